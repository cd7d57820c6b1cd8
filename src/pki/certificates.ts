/**
 * Reading CA certificates the way client-go's certutil.ParseCertsPEM does (only `CERTIFICATE` blocks
 * without PEM headers count, any other block is skipped) and taking each certificate's
 * SubjectPublicKeyInfo exactly as its DER bytes appear in the certificate (Go's RawSubjectPublicKeyInfo).
 */
import { X509Certificate } from 'node:crypto';
import { JoineryError } from '../errors/index.js';
import { isStdBase64 } from '../encoding/index.js';

/** One certificate of a bundle, with its 1-based position among the bundle's PEM blocks. */
export interface BundleCertificate {
  certificate: X509Certificate;
  /** Position among all PEM blocks of the bundle, counting from 1 (0 for a DER input). */
  block: number;
}

/** Input accepted wherever a certificate is wanted: PEM text or bytes, DER bytes, or a parsed certificate. */
export type CertificateInput = X509Certificate | string | Uint8Array;

const PEM_BLOCK = /-----BEGIN ([^\r\n]*?)-----\r?\n([\s\S]*?)-----END ([^\r\n]*?)-----/g;

function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes('-----BEGIN ');
}

function certInvalid(what: string, cause: unknown, path: string | undefined): JoineryError {
  return new JoineryError(
    'CA_CERT_INVALID',
    `${path ? `${path}: ` : ''}${what} is not a valid X.509 certificate`,
    'give the cluster CA certificate as PEM (the contents of /etc/kubernetes/pki/ca.crt on a control-plane node)',
    { ...(path === undefined ? {} : { path }), cause },
  );
}

function parseDer(der: Buffer, what: string, path: string | undefined): X509Certificate {
  try {
    const certificate = new X509Certificate(der);
    spkiOf(certificate.raw); // the structure must also walk as DER
    return certificate;
  } catch (err) {
    if (err instanceof JoineryError) throw err;
    throw certInvalid(what, err, path);
  }
}

/**
 * The certificates of a PEM bundle in order (only `CERTIFICATE` blocks without headers, as client-go's
 * certutil.ParseCertsPEM), or the one certificate of DER bytes. Throws CA_CERT_INVALID naming the block
 * that does not parse and CA_CERT_MISSING when there is no certificate at all.
 */
export function bundleCertificates(input: CertificateInput, path?: string): BundleCertificate[] {
  if (input instanceof X509Certificate) return [{ certificate: input, block: 0 }];
  if (typeof input !== 'string' && !isPem(input)) {
    const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (der.length === 0) throw certMissing(path);
    return [{ certificate: parseDer(der, 'the DER data', path), block: 0 }];
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  const out: BundleCertificate[] = [];
  let block = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    block++;
    const [, type, body = ''] = m;
    if (type !== 'CERTIFICATE' || m[3] !== type) continue;
    if (/^[\w-]+:/m.test(body)) continue; // a block with PEM headers, which certutil skips
    const b64 = body.replace(/[\r\n\t ]/g, '');
    if (!isStdBase64(b64) || b64.length === 0) {
      throw certInvalid(`PEM block ${block} (CERTIFICATE)`, new Error('the block is not valid base64'), path);
    }
    out.push({ certificate: parseDer(Buffer.from(b64, 'base64'), `PEM block ${block} (CERTIFICATE)`, path), block });
  }
  if (out.length === 0) throw certMissing(path);
  return out;
}

function certMissing(path: string | undefined): JoineryError {
  return new JoineryError(
    'CA_CERT_MISSING',
    `${path ? `${path}: ` : ''}no CERTIFICATE block found: the data holds no CA certificate`,
    'give the cluster CA certificate as PEM, starting with "-----BEGIN CERTIFICATE-----" (/etc/kubernetes/pki/ca.crt on a control-plane node)',
    path === undefined ? {} : { path },
  );
}

interface Tlv {
  tag: number;
  start: number; // first byte of the header
  body: number; // first byte of the contents
  end: number; // one past the last byte
}

function readTlv(der: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at]!;
  let len = der[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i]!;
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: at, body, end };
}

/**
 * The DER SubjectPublicKeyInfo of a certificate, byte for byte as it appears inside the certificate
 * (what Go's x509.Certificate.RawSubjectPublicKeyInfo holds and kubeadm's pubkeypin.Hash digests).
 */
export function subjectPublicKeyInfo(certificate: X509Certificate): Buffer {
  try {
    return spkiOf(certificate.raw);
  } catch (err) {
    throw certInvalid('the certificate', err, undefined);
  }
}

/** Walks certificate → tbsCertificate → subjectPublicKeyInfo; throws a plain Error on malformed DER. */
function spkiOf(der: Buffer): Buffer {
  const cert = readTlv(der, 0, der.length);
  const tbs = readTlv(der, cert.body, cert.end);
  let field = readTlv(der, tbs.body, tbs.end);
  if (field.tag === 0xa0) field = readTlv(der, field.end, tbs.end); // [0] version
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
  for (let i = 0; i < 5; i++) field = readTlv(der, field.end, tbs.end);
  if (field.tag !== 0x30) throw new Error('subjectPublicKeyInfo is not a SEQUENCE');
  return Buffer.from(der.subarray(field.start, field.end));
}
