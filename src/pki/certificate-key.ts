/**
 * The certificate key of `kubeadm init phase upload-certs` / `kubeadm join --certificate-key`
 * (cmd/kubeadm/app/phases/copycerts, cmd/kubeadm/app/util/crypto): 32 random bytes written as 64 hex
 * digits, an AES-256 key for the `kubeadm-certs` Secret. Encryption is AES-GCM in Go's layout
 * `nonce(12) || ciphertext || tag(16)` (gcm.Seal(nonce, nonce, data, nil)).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { JoineryError } from '../errors/index.js';
import { cryptoRandomBytes, type RandomBytes } from '../random/index.js';

/** Length of a certificate key in bytes (kubeadm's CertificateKeySize). */
const CERTIFICATE_KEY_SIZE = 32;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;

/** A new certificate key: 64 lowercase hex digits from 32 random bytes, as kubeadm's CreateCertificateKey. */
export function generateCertificateKey(random: RandomBytes = cryptoRandomBytes): string {
  const bytes = random(CERTIFICATE_KEY_SIZE);
  if (bytes.length !== CERTIFICATE_KEY_SIZE) {
    throw new JoineryError(
      'INTERNAL_RANDOM_SHORT',
      `the random source returned ${bytes.length} bytes instead of ${CERTIFICATE_KEY_SIZE}`,
      'this is a bug in joinery: report it',
      { family: 'internal' },
    );
  }
  return Buffer.from(bytes).toString('hex');
}

/**
 * The 32-byte AES key of a certificate key given as 64 hex digits (either case, as Go's
 * hex.DecodeString). Throws CERTIFICATE_KEY_INVALID; the key itself never appears in the error.
 */
export function parseCertificateKey(hex: string, path = 'certificateKey'): Buffer {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    const what =
      typeof hex !== 'string'
        ? 'is not a string'
        : /^[0-9a-fA-F]*$/.test(hex)
          ? `has ${hex.length} hex digits`
          : 'contains characters that are not hex digits';
    throw new JoineryError(
      'CERTIFICATE_KEY_INVALID',
      `${path}: the certificate key ${what}; it must be 64 hex digits (32 bytes)`,
      'use the certificate key printed by `kubeadm init phase upload-certs --upload-certs` on a control-plane node ' +
        '(or make one with `kubeadm certs certificate-key`)',
      { path },
    );
  }
  return Buffer.from(hex, 'hex');
}

function keyBytes(key: Uint8Array | string): Buffer {
  if (typeof key === 'string') return parseCertificateKey(key);
  if (key.length !== CERTIFICATE_KEY_SIZE) {
    throw new JoineryError(
      'CERTIFICATE_KEY_INVALID',
      `the certificate key has ${key.length} bytes; it must be ${CERTIFICATE_KEY_SIZE}`,
      'use the certificate key printed by `kubeadm init phase upload-certs --upload-certs` on a control-plane node',
    );
  }
  return Buffer.from(key);
}

/**
 * `nonce || ciphertext || tag` of `data` under the certificate key (AES-256-GCM, no additional data),
 * byte for byte what kubeadm's crypto.EncryptBytes returns for the same nonce (random by default).
 */
export function encryptWithCertificateKey(
  data: Uint8Array,
  key: Uint8Array | string,
  nonce: Uint8Array = randomBytes(NONCE_SIZE),
): Buffer {
  if (nonce.length !== NONCE_SIZE) {
    throw new JoineryError(
      'INTERNAL_NONCE_SIZE',
      `an AES-GCM nonce must be ${NONCE_SIZE} bytes, got ${nonce.length}`,
      'this is a bug in joinery: report it',
      { family: 'internal' },
    );
  }
  const cipher = createCipheriv('aes-256-gcm', keyBytes(key), nonce);
  const sealed = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([nonce, sealed, cipher.getAuthTag()]);
}

function keyMismatch(why: string): JoineryError {
  return new JoineryError(
    'CERTIFICATE_KEY_MISMATCH',
    `cannot decrypt the uploaded control-plane certificates: ${why}`,
    'use the certificate key printed by `kubeadm init phase upload-certs --upload-certs`; the uploaded certificates ' +
      'expire after two hours, so if in doubt re-upload them with that command on a control-plane node and use the new key',
    { family: 'trust' },
  );
}

/**
 * Opens data sealed by kubeadm's crypto.EncryptBytes (`nonce(12) || ciphertext || tag(16)`) with the
 * certificate key. A short payload or a failed authentication (wrong key, altered data) throws
 * CERTIFICATE_KEY_MISMATCH.
 */
export function decryptWithCertificateKey(data: Uint8Array, key: Uint8Array | string): Buffer {
  const k = keyBytes(key);
  if (data.length < NONCE_SIZE) throw keyMismatch('the encrypted data is shorter than the AES-GCM nonce');
  if (data.length < NONCE_SIZE + TAG_SIZE) throw keyMismatch('the encrypted data is shorter than nonce and tag');
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const decipher = createDecipheriv('aes-256-gcm', k, buf.subarray(0, NONCE_SIZE));
  decipher.setAuthTag(buf.subarray(buf.length - TAG_SIZE));
  try {
    return Buffer.concat([decipher.update(buf.subarray(NONCE_SIZE, buf.length - TAG_SIZE)), decipher.final()]);
  } catch {
    throw keyMismatch('the certificate key does not match the data (or the data was altered)');
  }
}
