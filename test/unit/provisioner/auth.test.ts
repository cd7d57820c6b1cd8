import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import { apiKeyFor, apiKeyHash, generateApiKey, isAdmin, mayUseProfile, UNAUTHENTICATED } from '../../../src/provisioner/auth/index.js';
import type { ApiKey } from '../../../src/provisioner/config/index.js';

const keyOf = (name: string, secret: string, scope: ApiKey['scope'] = 'admin', profiles: string[] = []): ApiKey => ({
  name,
  sha256: Buffer.from(apiKeyHash(secret), 'hex'),
  scope,
  profiles,
  rateLimit: { requestsPerSecond: 1, burst: 1 },
});

const KEYS = [keyOf('ci', 'ci-secret-1'), keyOf('tf', 'tf-secret-2', 'provisioner', ['worker'])];

test('apiKeyHash is the hex SHA-256 that sha256sum prints for the key', () => {
  const sum = execFileSync('sha256sum', [], { input: 'ci-secret-1' }).toString('utf8').split(' ')[0];
  assert.equal(apiKeyHash('ci-secret-1'), sum);
});

test('apiKeyFor returns the key a Bearer header presents, scheme case-insensitive', () => {
  assert.equal(apiKeyFor('Bearer ci-secret-1', KEYS).name, 'ci');
  assert.equal(apiKeyFor('bearer tf-secret-2', KEYS).name, 'tf');
  assert.equal(apiKeyFor('BEARER  tf-secret-2 ', KEYS).name, 'tf');
});

test('apiKeyFor refuses missing, malformed and unknown keys without echoing them', () => {
  for (const h of [undefined, '', 'ci-secret-1', 'Basic Y2k6Y2ktc2VjcmV0LTE=', 'Bearer', 'Bearer ', 'Bearer ci-secret-1x', 'Bearer ci secret', `Bearer ${'a'.repeat(5000)}`, 'Bearer ci-secret-1\n']) {
    const err = throwsCode(() => apiKeyFor(h, KEYS), UNAUTHENTICATED);
    assert.ok(!err.message.includes('secret') && !err.fix.includes('secret-1'), err.message);
  }
  throwsCode(() => apiKeyFor('Bearer ci-secret-1', []), UNAUTHENTICATED);
});

test('every configured key is compared (no early exit): the first match wins even when later keys are checked', () => {
  // Two entries with the same hash cannot come from the config; here they show the loop runs on.
  const dup = [keyOf('first', 'same'), keyOf('second', 'same')];
  assert.equal(apiKeyFor('Bearer same', dup).name, 'first');
  const read = new Set<string>();
  const counting = KEYS.map((k) => ({ ...k, get sha256() { read.add(k.name); return k.sha256; } }) as ApiKey);
  apiKeyFor('Bearer ci-secret-1', counting);
  assert.deepEqual([...read].sort(), ['ci', 'tf']);
});

test('scopes: admin may use every profile; provisioner only its own', () => {
  const [admin, tf] = KEYS as [ApiKey, ApiKey];
  assert.ok(mayUseProfile(admin, 'anything'));
  assert.ok(mayUseProfile(tf, 'worker'));
  assert.ok(!mayUseProfile(tf, 'control-plane'));
  assert.ok(isAdmin(admin) && !isAdmin(tf));
});

test('generateApiKey: 256 random bits, base64url, prefixed, with its hash; a short random source is an error', () => {
  const fixed = generateApiKey((n) => new Uint8Array(n).fill(7));
  assert.equal(fixed.key, `joinery_${Buffer.alloc(32, 7).toString('base64url')}`);
  assert.equal(fixed.sha256, apiKeyHash(fixed.key));
  const a = generateApiKey();
  const b = generateApiKey();
  assert.notEqual(a.key, b.key);
  assert.match(a.key, /^joinery_[A-Za-z0-9_-]{43}$/);
  assert.equal(apiKeyFor(`Bearer ${a.key}`, [{ name: 'g', sha256: Buffer.from(a.sha256, 'hex'), scope: 'admin', profiles: [], rateLimit: { requestsPerSecond: 1, burst: 1 } }]).name, 'g');
  throwsCode(() => generateApiKey((n) => new Uint8Array(n - 1)), 'INTERNAL_RANDOM_SHORT');
});

test('property: any header gives a key or UNAUTHENTICATED', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `Bearer ${s}`)), (h) => {
      try {
        const k = apiKeyFor(h, KEYS);
        assert.ok(h.includes('ci-secret-1') || h.includes('tf-secret-2'));
        assert.ok(KEYS.includes(k));
      } catch (err) {
        assert.ok(err instanceof JoineryError && err.code === UNAUTHENTICATED);
      }
    }),
    { numRuns: 500 },
  );
});
