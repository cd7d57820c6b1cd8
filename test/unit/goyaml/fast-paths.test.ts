/**
 * The writer's speed-ups must not change a byte: key order against a plain per-character rendering of
 * yaml.v2's keyList.Less, and the kubeadm converters' in-place conversion against the caller's model.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goYamlKeyLess, goYamlSortedKeys } from '../../../src/goyaml/index.js';
import { emitKubeadmYaml, kubeadmDocuments, type KubeadmConfig } from '../../../src/kubeadm/index.js';
import { MINUTE } from '../../../src/duration/index.js';

/** yaml.v2 keyList.Less written character by character with Unicode regular expressions, no fast paths. */
function referenceKeyLess(a: string, b: string): boolean {
  const letter = (c: string): boolean => /^\p{L}$/u.test(c);
  const digit = (c: string): boolean => /^\p{Nd}$/u.test(c);
  const cp = (c: string): number => c.codePointAt(0) as number;
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = letter(ac);
    const bl = letter(bc);
    if (al && bl) return cp(ac) < cp(bc);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && digit(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && digit(ar[ai] as string); ai++) an = BigInt.asIntN(64, an * 10n + BigInt(cp(ar[ai] as string) - 48));
    let bi = i;
    for (; bi < br.length && digit(br[bi] as string); bi++) bn = BigInt.asIntN(64, bn * 10n + BigInt(cp(br[bi] as string) - 48));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return cp(ac) < cp(bc);
  }
  return ar.length < br.length;
}

// ASCII letters/digits/punctuation (the fast paths) mixed with non-ASCII letters, digits (Arabic-Indic,
// fullwidth), a non-BMP letter and digit, and unpaired surrogates.
const keyChar = fc.constantFrom(
  'a', 'z', 'A', 'Z', '0', '1', '9', '-', '_', '.', '/', ' ', '@', '[', '`', '{',
  'é', 'ß', 'Ω', 'ж', '中', '٣', '٠', '０', '９', 'Ⅻ', '\u{1d400}', '\u{1d7ce}', '\u{1f600}', '\ud800', '\udc00',
);
const key = fc.oneof(
  fc.array(keyChar, { maxLength: 8 }).map((cs) => cs.join('')),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.stringMatching(/^[a-z]{0,3}[0-9]{0,25}[a-z]{0,2}$/),
);

test('goYamlKeyLess agrees with a per-character rendering of yaml.v2 keyList.Less (property)', () => {
  fc.assert(
    fc.property(key, key, (a, b) => {
      assert.equal(goYamlKeyLess(a, b), referenceKeyLess(a, b), `${JSON.stringify(a)} < ${JSON.stringify(b)}`);
    }),
    { numRuns: 5000 },
  );
  assert.equal(goYamlKeyLess('a9', 'a10'), true);
  assert.equal(goYamlKeyLess('é', 'z'), false); // both letters: code point order
  assert.equal(goYamlKeyLess('٣', 'a'), true); // a non-ASCII digit is a non-letter
});

test('goYamlSortedKeys orders keys exactly as sorting with the reference keyList.Less does (property)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(key, { maxLength: 12 }), (keys) => {
      const expected = [...keys].sort((x, y) => (referenceKeyLess(x, y) ? -1 : referenceKeyLess(y, x) ? 1 : 0));
      assert.deepEqual(goYamlSortedKeys(keys), expected);
    }),
    { numRuns: 2000 },
  );
});

/** Freezes `v` and everything it holds, so that any write to it throws (ES modules are strict). */
function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Every field the converters rewrite in place: argument lists, timeouts, dns.type. */
function convertedEverywhere(): KubeadmConfig {
  const args = [{ name: 'v', value: '2' }, { name: 'a', value: '1' }];
  return {
    init: {
      nodeRegistration: { name: 'cp-1', kubeletExtraArgs: args },
      timeouts: { controlPlaneComponentHealthCheck: 4n * MINUTE },
    },
    cluster: {
      etcd: { local: { dataDir: '/var/lib/etcd', extraArgs: args } },
      apiServer: { extraArgs: args, certSANs: ['cp.example'] },
      controllerManager: { extraArgs: args },
      scheduler: { extraArgs: args },
      dns: { type: 'CoreDNS' },
      clusterName: 'c',
    },
    join: {
      discovery: {
        bootstrapToken: { token: 'abcdef.0123456789abcdef', apiServerEndpoint: '10.0.0.1:6443', unsafeSkipCAVerification: true },
      },
      nodeRegistration: { name: 'w-1', kubeletExtraArgs: args, taints: [] },
      timeouts: { discovery: 5n * MINUTE },
    },
  };
}

test('emitting converts its own superset in place: the caller\'s (frozen) model is never written to', () => {
  for (const version of ['v1beta2', 'v1beta3', 'v1beta4']) {
    const expected = emitKubeadmYaml(kubeadmDocuments(convertedEverywhere(), version));
    const frozen = deepFreeze(convertedEverywhere());
    const first = emitKubeadmYaml(kubeadmDocuments(frozen, version));
    const second = emitKubeadmYaml(kubeadmDocuments(frozen, version));
    assert.equal(first, expected, version);
    assert.equal(second, expected, version);
    assert.deepEqual(frozen, convertedEverywhere(), version);
    if (version !== 'v1beta4') assert.match(first, /kubeletExtraArgs:\n {4}a: "1"\n {4}v: "2"\n/);
    if (version !== 'v1beta2') assert.doesNotMatch(first, /CoreDNS/);
  }
});
