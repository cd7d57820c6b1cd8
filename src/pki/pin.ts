/**
 * CA public key pins as kubeadm writes and checks them (cmd/kubeadm/app/util/pubkeypin):
 * `sha256:<hex>` of the SHA-256 of the CA certificate's DER SubjectPublicKeyInfo, the value of
 * `--discovery-token-ca-cert-hash` and `discovery.bootstrapToken.caCertHashes`.
 */
import { createHash, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { JoineryError } from '../errors/index.js';
import { bundleCertificates, subjectPublicKeyInfo, type CertificateInput } from './certificates.js';

/** The pin formats kubeadm knows (pubkeypin's supportedFormats). */
const CA_PIN_FORMATS: readonly string[] = ['sha256'];

/** A set of allowed CA pins, canonical (`sha256:` + lowercase hex), without duplicates, in the order given. */
export interface CaPinSet {
  readonly pins: readonly string[];
}

function pinOfSpki(spki: Uint8Array): string {
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** DER bytes that parse as a SubjectPublicKeyInfo (and not as PEM), else undefined. */
function derSpki(bytes: Uint8Array): Buffer | undefined {
  const der = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (der.includes('-----BEGIN ')) return undefined;
  try {
    createPublicKey({ key: der, format: 'der', type: 'spki' });
    return der;
  } catch {
    return undefined;
  }
}

/**
 * The pin of one certificate (PEM text or DER; the first certificate of a bundle) or of a public key
 * (KeyObject or DER SubjectPublicKeyInfo bytes), as kubeadm's pubkeypin.Hash: `sha256:` and the
 * lowercase hex SHA-256 of the DER SubjectPublicKeyInfo.
 */
export function caPin(certificate: CertificateInput | KeyObject): string {
  if (certificate instanceof KeyObject) {
    return pinOfSpki(certificate.export({ type: 'spki', format: 'der' }));
  }
  try {
    const [first] = bundleCertificates(certificate);
    return pinOfSpki(subjectPublicKeyInfo(first!.certificate));
  } catch (err) {
    const spki = typeof certificate === 'string' || certificate instanceof X509Certificate ? undefined : derSpki(certificate);
    if (spki === undefined) throw err;
    return pinOfSpki(spki);
  }
}

/**
 * One pin per CERTIFICATE block of a PEM bundle, in order (other PEM blocks are skipped, as in
 * client-go's certutil.ParseCertsPEM, which kubeadm uses for the cluster CA). Throws CA_CERT_INVALID
 * naming the block that does not parse, CA_CERT_MISSING when the bundle holds no certificate.
 */
export function caPins(pemBundle: string | Uint8Array): string[] {
  return bundleCertificates(pemBundle).map(({ certificate }) => pinOfSpki(subjectPublicKeyInfo(certificate)));
}

function pinInvalid(path: string, why: string): JoineryError {
  return new JoineryError(
    'CA_PIN_INVALID',
    `${path}: ${why}`,
    'write each CA pin as sha256:<64 hex digits>, e.g. the output of ' +
      "`kubeadm token create --print-join-command`, or compute it on a control-plane node with " +
      '`openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum`',
    { path },
  );
}

/**
 * The pin set of `--discovery-token-ca-cert-hash` / `caCertHashes`, checked as kubeadm's pubkeypin
 * Set.Allow: each pin is `format:hex` with exactly one ':', the format compared case-insensitively
 * (only `sha256` is known), the value exactly 32 bytes of hex in either case (kept lowercase).
 * Errors are CA_PIN_INVALID with path `<path>[i]` (pins are public values, so they are quoted).
 */
export function parseCaPins(pins: readonly string[], path = 'caCertHashes'): CaPinSet {
  const out: string[] = [];
  pins.forEach((pin, i) => {
    const at = `${path}[${i}]`;
    if (typeof pin !== 'string') throw pinInvalid(at, 'a CA pin must be a string "format:hex-value"');
    const parts = pin.split(':');
    if (parts.length !== 2) {
      throw pinInvalid(
        at,
        `invalid hash ${JSON.stringify(pin)}, expected "format:hex-value". Known format(s) are: ${CA_PIN_FORMATS.join(', ')}`,
      );
    }
    const [format = '', value = ''] = parts;
    if (format.toLowerCase() !== 'sha256') {
      throw pinInvalid(at, `unknown hash format ${JSON.stringify(format)}. Known format(s) are: ${CA_PIN_FORMATS.join(', ')}`);
    }
    const bytes = Math.floor(value.length / 2); // Go's hex.DecodedLen
    if (bytes !== 32) {
      throw pinInvalid(at, `invalid hash ${JSON.stringify(pin)}, expected a 32 byte SHA-256 hash, found ${bytes} bytes`);
    }
    if (!/^[0-9a-fA-F]{64}$/.test(value)) {
      throw pinInvalid(at, `invalid hash ${JSON.stringify(pin)}, could not decode SHA-256 from hex`);
    }
    const canonical = `sha256:${value.toLowerCase()}`;
    if (!out.includes(canonical)) out.push(canonical);
  });
  return Object.freeze({ pins: Object.freeze(out) });
}

/**
 * Whether one certificate (PEM, DER or parsed) or public key (KeyObject or DER SubjectPublicKeyInfo)
 * is pinned by the set: kubeadm's Set.checkSHA256.
 */
export function pinSetAllows(set: CaPinSet, certificateOrKey: X509Certificate | KeyObject | string | Uint8Array): boolean {
  return set.pins.includes(caPin(certificateOrKey));
}

/**
 * Checks a CA bundle (PEM or DER) against the pin set as kubeadm's Set.CheckAny: at least one of its
 * certificates must be pinned. Returns the pin that matched. Throws CA_PIN_MISMATCH (family trust)
 * showing the pins found and the pins expected, or CA_PIN_REQUIRED for an empty set.
 */
export function checkCaPins(set: CaPinSet, pemOrDer: CertificateInput): string {
  if (set.pins.length === 0) throw caPinRequired();
  const found = bundleCertificates(pemOrDer).map(({ certificate }) => pinOfSpki(subjectPublicKeyInfo(certificate)));
  const match = found.find((pin) => set.pins.includes(pin));
  if (match !== undefined) return match;
  throw new JoineryError(
    'CA_PIN_MISMATCH',
    `the cluster CA public key does not match any expected pin: found ${found.join(', ')}, expected ${set.pins.join(', ')}`,
    'check the CA pin (--discovery-token-ca-cert-hash / caCertHashes) against the cluster: on a control-plane node run ' +
      '`openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum`; ' +
      'if the pin is right, the server you reached is not that cluster: do not join it',
    { family: 'trust' },
  );
}

/** The CA_PIN_REQUIRED error: token discovery without a pin and without unsafeSkipCAVerification. */
export function caPinRequired(): JoineryError {
  return new JoineryError(
    'CA_PIN_REQUIRED',
    'no CA pin given: without one the node cannot check that the cluster CA it receives is the real one',
    'pass the CA pin (--discovery-token-ca-cert-hash sha256:<hex>, as printed by `kubeadm token create --print-join-command`), ' +
      'or, knowingly accepting the risk, set unsafeSkipCAVerification: true',
    { family: 'trust' },
  );
}
