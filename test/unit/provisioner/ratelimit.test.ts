import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RateLimiter } from '../../../src/provisioner/ratelimit/index.js';

test('a key gets its burst at once, then requestsPerSecond; the refusal says how long to wait', () => {
  const r = new RateLimiter();
  const limit = { requestsPerSecond: 2, burst: 3 };
  const at = (ms: number) => r.take('ci', limit, ms);
  assert.deepEqual([at(0), at(0), at(0)].map((d) => d.allowed), [true, true, true]);
  assert.deepEqual(at(0), { allowed: false, retryAfterMs: 500 });
  assert.deepEqual(at(250), { allowed: false, retryAfterMs: 250 });
  assert.equal(at(500).allowed, true);
  assert.equal(r.take('other', limit, 500).allowed, true, 'keys have their own buckets');
  // A new limit (a config reload) starts a full bucket.
  assert.equal(r.take('ci', { requestsPerSecond: 2, burst: 4 }, 500).allowed, true);
});

test('property: over any window, a key is allowed at most burst + rate * seconds requests', () => {
  fc.assert(
    fc.property(fc.double({ min: 0.1, max: 100, noNaN: true }), fc.integer({ min: 1, max: 50 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (rps, burst, gaps) => {
      const r = new RateLimiter();
      let t = 0;
      let allowed = 0;
      for (const g of gaps) {
        t += g;
        if (r.take('k', { requestsPerSecond: rps, burst }, t).allowed) allowed++;
        else {
          const d = r.take('k', { requestsPerSecond: rps, burst }, t);
          assert.equal(d.allowed, false);
          assert.ok(!d.allowed && d.retryAfterMs > 0 && d.retryAfterMs <= Math.ceil(1000 / rps));
        }
      }
      assert.ok(allowed <= burst + (rps * t) / 1000 + 1e-9, `${allowed} > ${burst} + ${rps} * ${t} ms`);
    }),
  );
});
