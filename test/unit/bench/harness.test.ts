import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pairedInterval, percentile } from '../../../bench/harness.js';

/** The throughput ratio of the drawn pairs, as bench:serve computes it: rounds of equal size, so time over time. */
const ratioOf = (raw: number[], serve: number[]) => (ix: number[]) => ix.reduce((a, i) => a + 1 / (raw[i] as number), 0) / ix.reduce((a, i) => a + 1 / (serve[i] as number), 0);

test('pairedInterval: the same ratio in every pair gives exactly that ratio', () => {
  const raw = [700, 820, 510, 958, 640];
  const serve = raw.map((r) => r * 0.8);
  const [lo, hi] = pairedInterval(raw.length, ratioOf(raw, serve));
  assert.ok(Math.abs(lo - 0.8) < 1e-12 && Math.abs(hi - 0.8) < 1e-12, `${lo} ${hi}`);
});

test('pairedInterval: noisy pairs give a spread that holds the figure of all rounds, the same on every call', () => {
  const raw = [700, 820, 510, 958, 640, 770, 690, 800, 720, 610];
  const serve = [640, 760, 520, 780, 600, 700, 590, 810, 650, 560];
  const all = ratioOf(raw, serve)(raw.map((_, i) => i));
  const [lo, hi] = pairedInterval(raw.length, ratioOf(raw, serve));
  assert.ok(lo < all && all < hi, `${lo} < ${all} < ${hi}`);
  assert.ok(hi - lo > 0.02, 'a real spread');
  assert.deepEqual(pairedInterval(raw.length, ratioOf(raw, serve)), [lo, hi]);
  assert.notDeepEqual(pairedInterval(raw.length, ratioOf(raw, serve), 2000, 2), [lo, hi], 'another seed, other draws');
});

test('pairedInterval: a ratio of sums stays within the smallest and largest ratio of one pair', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 })), { minLength: 1, maxLength: 20 }), (pairs) => {
      const raw = pairs.map((p) => p[0]);
      const serve = pairs.map((p) => p[1]);
      const each = pairs.map((p) => p[1] / p[0]);
      const [lo, hi] = pairedInterval(pairs.length, ratioOf(raw, serve), 200);
      const eps = 1e-9;
      return Math.min(...each) - eps <= lo && lo <= hi && hi <= Math.max(...each) + eps;
    }),
  );
});

test('pairedInterval: a percentile statistic over drawn rounds, and no pairs refused', () => {
  const rounds = [[10, 20, 30], [11, 21, 31], [12, 22, 32]];
  const [lo, hi] = pairedInterval(rounds.length, (ix) => percentile(ix.flatMap((i) => rounds[i] as number[]), 99));
  assert.ok(lo >= 30 && hi <= 32 && lo <= hi, `${lo} ${hi}`);
  assert.throws(() => pairedInterval(0, () => 1), RangeError);
});
