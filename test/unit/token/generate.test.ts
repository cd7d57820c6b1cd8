import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateBootstrapToken, isValidBootstrapToken } from '../../../src/token/index.js';
import { JoineryError } from '../../../src/errors/index.js';

const CHARS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A random source that hands out `bytes` in order, whatever chunk size is asked for. */
function scripted(bytes: number[]): { source: (n: number) => Uint8Array; asked: number[] } {
  const queue = [...bytes];
  const asked: number[] = [];
  return {
    asked,
    source: (n) => {
      asked.push(n);
      return Uint8Array.from(queue.splice(0, Math.min(n, 3))); // short reads on purpose
    },
  };
}

test('generateBootstrapToken has the form [a-z0-9]{6}.[a-z0-9]{16}', () => {
  for (let i = 0; i < 200; i++) assert.ok(isValidBootstrapToken(generateBootstrapToken()));
});

test('bytes >= 252 are discarded and redrawn; the rest map to CHARS[b % 36]', () => {
  const kept = [0, 35, 36, 251, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 71];
  const bytes = [252, 253, 254, 255, ...kept.slice(0, 3), 255, ...kept.slice(3)];
  const { source } = scripted(bytes);
  const token = generateBootstrapToken(source);
  const expected = kept.map((b) => CHARS[b % 36]).join('');
  assert.equal(token, `${expected.slice(0, 6)}.${expected.slice(6)}`);
  assert.equal(token, '0z0z12.3456789abcdefghz');
});

test('251 is kept (the largest byte below 36*7)', () => {
  const { source } = scripted(Array(22).fill(251));
  assert.equal(generateBootstrapToken(source), 'zzzzzz.zzzzzzzzzzzzzzzz');
});

test('a random source that returns nothing, or only rejected bytes, is an internal error', () => {
  assert.throws(
    () => generateBootstrapToken(() => new Uint8Array(0)),
    (e: unknown) => e instanceof JoineryError && e.code === 'RANDOM_SOURCE_FAILED' && e.family === 'internal',
  );
  assert.throws(
    () => generateBootstrapToken((n) => new Uint8Array(n).fill(255)),
    (e: unknown) => e instanceof JoineryError && e.code === 'RANDOM_SOURCE_FAILED',
  );
});

/** Pearson's chi-square statistic of the character counts of `tokens` against a uniform distribution. */
function chiSquare(tokens: string[]): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const t of tokens) {
    for (const ch of t.replace('.', '')) {
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
      total++;
    }
  }
  const expected = total / CHARS.length;
  let chi = 0;
  for (const ch of CHARS) chi += ((counts.get(ch) ?? 0) - expected) ** 2 / expected;
  return chi;
}

// 35 degrees of freedom: mean 35, standard deviation 8.4; P(chi2 > 110) is about 1e-9.
const CHI_SQUARE_BOUND = 110;

test('characters are uniformly distributed (chi-square over 20000 tokens)', () => {
  const tokens = Array.from({ length: 20000 }, () => generateBootstrapToken());
  const chi = chiSquare(tokens);
  assert.ok(chi < CHI_SQUARE_BOUND, `chi-square ${chi.toFixed(1)} >= ${CHI_SQUARE_BOUND}`);
});

test('the chi-square check catches the modulo bias that rejection sampling avoids', () => {
  // the same mapping without rejection: bytes 252..255 fold onto 0..3, which become 8/7 as likely
  const biased = Array.from({ length: 20000 }, () => {
    const b = randomBytes(22);
    const s = Array.from(b, (x) => CHARS[x % 36]).join('');
    return `${s.slice(0, 6)}.${s.slice(6)}`;
  });
  assert.ok(chiSquare(biased) > CHI_SQUARE_BOUND);
});
