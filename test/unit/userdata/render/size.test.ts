/**
 * renderedSize and fitToMaxSize: the text when it fits, its gzip (deterministic header) when that fits,
 * else USERDATA_TOO_LARGE pointing at the provisioner's stub mode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { fitToMaxSize, renderedSize, renderIgnition, DEFAULT_MAX_USER_DATA_SIZE } from '../../../../src/userdata/render/index.js';
import { isJoineryError } from '../../../../src/errors/index.js';
import { initPlan } from './fixtures.js';

test('renderedSize counts UTF-8 bytes', () => {
  assert.equal(renderedSize('abc'), 3);
  assert.equal(renderedSize('é😀'), 6);
});

test('fitToMaxSize: text that fits is returned as it is', () => {
  const r = fitToMaxSize('#cloud-config\n', 'cloud-config');
  assert.equal(r.gzipped, false);
  assert.equal(r.bytes, 14);
  assert.equal(Buffer.from(r.data).toString(), '#cloud-config\n');
  assert.equal(DEFAULT_MAX_USER_DATA_SIZE, 16384);
});

test('fitToMaxSize: over the limit it gzips, deterministically (MTIME 0, OS 3)', () => {
  const doc = renderIgnition(initPlan());
  assert.ok(renderedSize(doc) > 16384, 'the init Ignition document is over EC2\'s limit');
  const r = fitToMaxSize(doc, 'ignition');
  assert.equal(r.gzipped, true);
  assert.equal(r.bytes, r.data.length);
  assert.ok(r.bytes <= 16384);
  assert.equal(gunzipSync(r.data).toString(), doc);
  assert.deepEqual([...r.data.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
  assert.deepEqual(fitToMaxSize(doc, 'ignition').data, r.data);
});

test('fitToMaxSize: still too large says to use stub mode', () => {
  const noise = randomBytes(30000).toString('base64');
  assert.throws(
    () => fitToMaxSize(noise, 'script'),
    (e: unknown) => {
      assert.ok(isJoineryError(e));
      assert.equal(e.code, 'USERDATA_TOO_LARGE');
      assert.match(e.message, /script bootstrap data is 40000 bytes \(\d+ gzipped\), over the 16384-byte/);
      assert.match(e.fix, /"delivery": "stub"/);
      return true;
    },
  );
  assert.throws(() => fitToMaxSize('x', 'script', 0), (e: unknown) => isJoineryError(e) && e.code === 'USERDATA_MAX_SIZE_INVALID');
});

test('fitToMaxSize: the result never exceeds the limit, and always gives back the text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 3000 }), fc.integer({ min: 1, max: 4000 }), (text, max) => {
      try {
        const r = fitToMaxSize(text, 'cloud-config', max);
        assert.ok(r.bytes <= max && r.bytes === r.data.length);
        assert.equal((r.gzipped ? gunzipSync(r.data) : Buffer.from(r.data)).toString(), Buffer.from(text).toString());
      } catch (e) {
        assert.ok(isJoineryError(e) && e.code === 'USERDATA_TOO_LARGE');
      }
    }),
  );
});
