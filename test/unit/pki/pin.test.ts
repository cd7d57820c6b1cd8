import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import { caPin, caPins, checkCaPins, parseCaPins, pinSetAllows, subjectPublicKeyInfo } from '../../../src/pki/index.js';
import { KEY_TYPES, kubeadmCa, opensslCa, opensslPin, withTmpDir, type KeyType } from './ca-support.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const goldenPins = JSON.parse(readFileSync(join(fixtures, 'pins.json'), 'utf8')) as Record<string, string>;
const fixtureNames = Object.keys(goldenPins).filter((k) => k.endsWith('.crt'));
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

test('caPin of the committed fixtures equals the golden pins (openssl and Go agree on them)', () => {
  assert.equal(fixtureNames.length, 4);
  for (const name of fixtureNames) {
    const pem = fixture(name);
    assert.equal(caPin(pem), goldenPins[name], name);
    assert.equal(caPin(new X509Certificate(pem)), goldenPins[name], `${name} as X509Certificate`);
    assert.equal(caPin(new X509Certificate(pem).raw), goldenPins[name], `${name} as DER`);
    assert.equal(caPin(new X509Certificate(pem).publicKey), goldenPins[name], `${name} as KeyObject`);
  }
});

test('the SubjectPublicKeyInfo taken from the certificate equals the re-exported public key', () => {
  for (const name of fixtureNames) {
    const cert = new X509Certificate(fixture(name));
    assert.deepEqual(subjectPublicKeyInfo(cert), cert.publicKey.export({ type: 'spki', format: 'der' }), name);
  }
});

for (const type of Object.keys(KEY_TYPES) as KeyType[]) {
  test(`caPin equals the openssl pipeline for a fresh ${type} CA`, () => {
    withTmpDir((dir) => {
      const pem = opensslCa(dir, type);
      assert.equal(caPin(pem), opensslPin(pem));
      assert.match(caPin(pem), /^sha256:[0-9a-f]{64}$/);
    });
  });
}

test('caPin equals the openssl pipeline for a CA made by kubeadm init phase certs ca', (t) => {
  withTmpDir((dir) => {
    const ca = kubeadmCa(dir);
    if ('missing' in ca) return t.skip(ca.missing);
    assert.equal(caPin(ca.pem), opensslPin(ca.pem));
    assert.deepEqual(caPins(ca.pem), [opensslPin(ca.pem)]);
  });
});

test('caPins gives one pin per CERTIFICATE block in order and skips other blocks', () => {
  const publicKey = new X509Certificate(fixture('rsa2048.crt')).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const bundle = [fixture('ec-p256.crt'), publicKey, fixture('rsa2048.crt'), 'some text\n', fixture('ed25519.crt')].join('');
  const want = [goldenPins['ec-p256.crt'], goldenPins['rsa2048.crt'], goldenPins['ed25519.crt']];
  assert.deepEqual(caPins(bundle), want);
  assert.deepEqual(caPins(Buffer.from(bundle)), want);
  assert.deepEqual(caPins(fixture('ec-p384.crt').replace(/\n/g, '\r\n')), [goldenPins['ec-p384.crt']]);
});

test('caPins skips CERTIFICATE blocks with PEM headers, as certutil.ParseCertsPEM', () => {
  const withHeader = fixture('rsa2048.crt').replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n');
  assert.deepEqual(caPins(withHeader + fixture('ec-p256.crt')), [goldenPins['ec-p256.crt']]);
});

test('caPins: CA_CERT_MISSING without certificate, CA_CERT_INVALID naming the bad block', () => {
  throwsCode(() => caPins(''), 'CA_CERT_MISSING');
  throwsCode(() => caPins('hello'), 'CA_CERT_MISSING');
  throwsCode(() => caPins(new Uint8Array()), 'CA_CERT_MISSING');
  const publicKey = new X509Certificate(fixture('rsa2048.crt')).publicKey.export({ type: 'spki', format: 'pem' }) as string;
  throwsCode(() => caPins(publicKey), 'CA_CERT_MISSING');

  const good = fixture('ec-p256.crt');
  const lines = fixture('rsa2048.crt').split('\n');
  lines[1] = lines[1]!.replace(/^..../, 'AAAA');
  const corrupt = lines.join('\n');
  const err = throwsCode(() => caPins(good + publicKey + corrupt), 'CA_CERT_INVALID');
  assert.match(err.message, /PEM block 3 \(CERTIFICATE\)/);
  const notBase64 = '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n';
  assert.match(throwsCode(() => caPins(good + notBase64), 'CA_CERT_INVALID').message, /PEM block 2/);
  throwsCode(() => caPins(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])), 'CA_CERT_INVALID');
});

test('property: caPins returns pins or throws JoineryError on arbitrary and mutated input', () => {
  const pem = fixture('ec-p256.crt');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.uint8Array(),
        fc.tuple(fc.nat(pem.length - 1), fc.string({ minLength: 1, maxLength: 3 })).map(
          ([i, s]) => pem.slice(0, i) + s + pem.slice(i + 1),
        ),
      ),
      (input) => {
        try {
          for (const pin of caPins(input)) assert.match(pin, /^sha256:[0-9a-f]{64}$/);
        } catch (err) {
          assert.ok(err instanceof JoineryError, String(err));
          assert.ok(['CA_CERT_INVALID', 'CA_CERT_MISSING'].includes(err.code));
        }
      },
    ),
    { numRuns: 300 },
  );
});

const H = 'a35a47d807746bb2e9a8afb8b8b37a981f9da8d279099f3225811e8dd324e0ac';

test('parseCaPins keeps kubeadm pins canonical: format case-insensitive, hex lowercased, duplicates once', () => {
  assert.deepEqual(parseCaPins([]).pins, []);
  assert.deepEqual(parseCaPins([`sha256:${H}`]).pins, [`sha256:${H}`]);
  assert.deepEqual(parseCaPins([`SHA256:${H.toUpperCase()}`, `sha256:${H}`, goldenPins['ed25519.crt']!]).pins, [
    `sha256:${H}`,
    goldenPins['ed25519.crt'],
  ]);
});

test('parseCaPins rejects what pubkeypin.Set.Allow rejects, with CA_PIN_INVALID and the path', () => {
  const cases: Array<[string, RegExp]> = [
    [H, /expected "format:hex-value"/],
    [`sha256:${H}:x`, /expected "format:hex-value"/],
    [`sha256::${H}`, /expected "format:hex-value"/],
    [`md5:${H}`, /unknown hash format "md5"/],
    [`:${H}`, /unknown hash format ""/],
    [`sha256:${H.slice(2)}`, /expected a 32 byte SHA-256 hash, found 31 bytes/],
    [`sha256:${H}00`, /found 33 bytes/],
    [`sha256:${H}0`, /could not decode SHA-256 from hex/],
    [`sha256:${H.slice(1)}g`, /could not decode/],
    ['sha256:', /found 0 bytes/],
  ];
  for (const [pin, message] of cases) {
    const err = throwsCode(() => parseCaPins([`sha256:${H}`, pin]), 'CA_PIN_INVALID');
    assert.match(err.message, message, pin);
    assert.equal(err.path, 'caCertHashes[1]');
  }
  assert.equal(
    throwsCode(() => parseCaPins(['x'], 'discovery.bootstrapToken.caCertHashes'), 'CA_PIN_INVALID').path,
    'discovery.bootstrapToken.caCertHashes[0]',
  );
});

test('property: parseCaPins returns a set or throws CA_PIN_INVALID; valid pins round trip in any case', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constant(`sha256:${H}`))), (pins) => {
      try {
        const set = parseCaPins(pins);
        for (const p of set.pins) assert.match(p, /^sha256:[0-9a-f]{64}$/);
      } catch (err) {
        assert.ok(err instanceof JoineryError && err.code === 'CA_PIN_INVALID', String(err));
      }
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), fc.boolean(), (bytes, upFormat, upHex) => {
      const hex = Buffer.from(bytes).toString('hex');
      const pin = `${upFormat ? 'SHA256' : 'sha256'}:${upHex ? hex.toUpperCase() : hex}`;
      assert.deepEqual(parseCaPins([pin]).pins, [`sha256:${hex}`]);
    }),
  );
});

test('pinSetAllows answers whether a certificate is pinned', () => {
  const set = parseCaPins([goldenPins['rsa2048.crt']!]);
  assert.equal(pinSetAllows(set, fixture('rsa2048.crt')), true);
  assert.equal(pinSetAllows(set, new X509Certificate(fixture('rsa2048.crt')).publicKey), true);
  const spki = new X509Certificate(fixture('rsa2048.crt')).publicKey.export({ type: 'spki', format: 'der' });
  assert.equal(pinSetAllows(set, spki), true, 'DER SubjectPublicKeyInfo');
  assert.equal(caPin(spki), goldenPins['rsa2048.crt']);
  assert.equal(pinSetAllows(set, fixture('ec-p256.crt')), false);
  assert.equal(pinSetAllows(parseCaPins([]), fixture('rsa2048.crt')), false);
});

test('checkCaPins passes when any certificate of the bundle is pinned (Set.CheckAny)', () => {
  const set = parseCaPins([goldenPins['ed25519.crt']!, goldenPins['ec-p384.crt']!]);
  assert.equal(checkCaPins(set, fixture('ec-p256.crt') + fixture('ec-p384.crt')), goldenPins['ec-p384.crt']);
  assert.equal(checkCaPins(set, new X509Certificate(fixture('ed25519.crt')).raw), goldenPins['ed25519.crt']);
});

test('checkCaPins: CA_PIN_MISMATCH shows the pin found and the pins expected; empty set is CA_PIN_REQUIRED', () => {
  const set = parseCaPins([goldenPins['ed25519.crt']!, goldenPins['ec-p384.crt']!]);
  const err = throwsCode(() => checkCaPins(set, fixture('rsa2048.crt')), 'CA_PIN_MISMATCH');
  assert.equal(err.family, 'trust');
  assert.ok(err.message.includes(`found ${goldenPins['rsa2048.crt']}`), err.message);
  assert.ok(err.message.includes(goldenPins['ed25519.crt']!) && err.message.includes(goldenPins['ec-p384.crt']!));
  assert.match(err.fix, /openssl x509 -pubkey/);
  const required = throwsCode(() => checkCaPins(parseCaPins([]), fixture('rsa2048.crt')), 'CA_PIN_REQUIRED');
  assert.equal(required.family, 'trust');
  throwsCode(() => checkCaPins(set, 'not a certificate'), 'CA_CERT_MISSING');
});
