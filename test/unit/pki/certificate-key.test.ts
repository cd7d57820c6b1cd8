import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import {
  decryptWithCertificateKey,
  encryptWithCertificateKey,
  generateCertificateKey,
  parseCertificateKey,
} from '../../../src/pki/index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const goVectors = JSON.parse(readFileSync(join(fixtures, 'gcm-vectors.json'), 'utf8')) as {
  key: string;
  vectors: Array<{ plaintext: string; sealed: string }>;
};

test('generateCertificateKey: 64 lowercase hex digits of 32 random bytes', () => {
  const bytes = Buffer.from('00ff10aa'.repeat(8), 'hex');
  let asked = 0;
  const key = generateCertificateKey((n) => {
    asked = n;
    return bytes;
  });
  assert.equal(asked, 32);
  assert.equal(key, '00ff10aa'.repeat(8));
  const a = generateCertificateKey();
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.notEqual(a, generateCertificateKey());
  throwsCode(() => generateCertificateKey(() => new Uint8Array(31)), 'INTERNAL_RANDOM_SHORT');
});

test('parseCertificateKey: 64 hex digits in either case; errors never echo the key', () => {
  const hex = goVectors.key;
  assert.deepEqual(parseCertificateKey(hex), Buffer.from(hex, 'hex'));
  assert.deepEqual(parseCertificateKey(hex.toUpperCase()), Buffer.from(hex, 'hex'));
  for (const bad of ['', hex.slice(2), `${hex}00`, `${hex.slice(1)}g`, `${hex.slice(0, 32)} ${hex.slice(33)}`]) {
    const err = throwsCode(() => parseCertificateKey(bad, 'controlPlane.certificateKey'), 'CERTIFICATE_KEY_INVALID');
    assert.equal(err.path, 'controlPlane.certificateKey');
    if (bad.length >= 8) {
      for (const s of [err.message, err.fix]) assert.ok(!s.includes(bad.slice(0, 8)), `leaks the key: ${s}`);
    }
  }
  fc.assert(
    fc.property(fc.string({ minLength: 12 }), (text) => {
      try {
        assert.equal(parseCertificateKey(text).length, 32);
      } catch (err) {
        assert.ok(err instanceof JoineryError && err.code === 'CERTIFICATE_KEY_INVALID', String(err));
        assert.ok(!JSON.stringify(err.toJSON()).includes(JSON.stringify(text).slice(1, -1)));
      }
    }),
  );
});

test('encryptWithCertificateKey with a fixed nonce equals Go gcm.Seal (kubeadm crypto.EncryptBytes)', () => {
  for (const v of goVectors.vectors) {
    const nonce = Buffer.from(v.sealed, 'hex').subarray(0, 12);
    assert.equal(encryptWithCertificateKey(Buffer.from(v.plaintext), goVectors.key, nonce).toString('hex'), v.sealed);
    assert.equal(decryptWithCertificateKey(Buffer.from(v.sealed, 'hex'), goVectors.key).toString(), v.plaintext);
  }
});

test('decryptWithCertificateKey opens a nonce||ciphertext||tag payload built with node crypto directly', () => {
  const key = Buffer.alloc(32, 7);
  const nonce = Buffer.alloc(12, 9);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const ct = Buffer.concat([cipher.update('ca.key contents'), cipher.final()]);
  const payload = Buffer.concat([nonce, ct, cipher.getAuthTag()]);
  assert.equal(decryptWithCertificateKey(payload, key).toString(), 'ca.key contents');
  assert.equal(decryptWithCertificateKey(payload, key.toString('hex')).toString(), 'ca.key contents');
  assert.equal(encryptWithCertificateKey(Buffer.from('ca.key contents'), key, nonce).equals(payload), true);
  assert.notEqual(encryptWithCertificateKey(Buffer.from('x'), key).subarray(0, 12).toString('hex'),
    encryptWithCertificateKey(Buffer.from('x'), key).subarray(0, 12).toString('hex'));
});

test('decryptWithCertificateKey: wrong key, altered data or short payload is CERTIFICATE_KEY_MISMATCH', () => {
  const sealed = Buffer.from(goVectors.vectors[1]!.sealed, 'hex');
  const wrong = Buffer.alloc(32, 1);
  for (const data of [sealed.subarray(0, 0), sealed.subarray(0, 11), sealed.subarray(0, 27)]) {
    const err = throwsCode(() => decryptWithCertificateKey(data, goVectors.key), 'CERTIFICATE_KEY_MISMATCH');
    assert.match(err.fix, /kubeadm init phase upload-certs/);
  }
  const err = throwsCode(() => decryptWithCertificateKey(sealed, wrong), 'CERTIFICATE_KEY_MISMATCH');
  assert.match(err.fix, /re-upload/);
  assert.ok(!err.message.includes(goVectors.key) && !err.fix.includes(goVectors.key));
  throwsCode(() => decryptWithCertificateKey(sealed, new Uint8Array(16)), 'CERTIFICATE_KEY_INVALID');
  throwsCode(() => encryptWithCertificateKey(sealed, goVectors.key, new Uint8Array(8)), 'INTERNAL_NONCE_SIZE');
});

test('property: encrypt then decrypt round trips; any single-byte change fails', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.nat(),
      fc.integer({ min: 1, max: 255 }),
      (data, key, at, flip) => {
        const sealed = encryptWithCertificateKey(data, key);
        assert.equal(sealed.length, 12 + data.length + 16);
        assert.deepEqual(decryptWithCertificateKey(sealed, Buffer.from(key).toString('hex')), Buffer.from(data));
        const altered = Buffer.from(sealed);
        const i = at % altered.length;
        altered[i] = altered[i]! ^ flip;
        throwsCode(() => decryptWithCertificateKey(altered, key), 'CERTIFICATE_KEY_MISMATCH');
      },
    ),
  );
});
