/**
 * PKCS#10 certificate requests (RFC 2986) read as Go's crypto/x509.ParseCertificateRequest reads them
 * for Kubernetes' CSR approver: subject common name and organizations, the subjectAltName names of
 * the extensionRequest attribute, the public key and a synchronous signature check with Node's crypto.
 * A small strict DER reader does the work (no @peculiar/x509: the approver must decide synchronously,
 * and every malformed input must become a JoineryError).
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { JoineryError } from '../../errors/index.js';

/** The request is not a PEM CERTIFICATE REQUEST holding a well-formed PKCS#10 structure. */
export const CSR_INVALID = 'CSR_INVALID';

/** Longest request read (a kubelet's is about 500 bytes). */
export const MAX_CSR_BYTES = 64 * 1024;

export interface CertificateRequest {
  /** The last CN of the subject, as Go's pkix.Name keeps it ('' when none). */
  commonName: string;
  /** Every CN of the subject, in order (Go keeps only the last; the approver wants exactly one). */
  commonNames: string[];
  /** Every O of the subject, in order, as Go's pkix.Name.Organization. */
  organizations: string[];
  dnsNames: string[];
  /** Dotted IPv4 or RFC 5952 IPv6 text; addresses of another length as hex. */
  ipAddresses: string[];
  emailAddresses: string[];
  uris: string[];
  /** True when the request asks for a subjectAltName extension at all (even of name kinds not listed above). */
  hasSubjectAltName: boolean;
  /** 'RSA', 'ECDSA', 'Ed25519', or the algorithm OID for others. */
  publicKeyAlgorithm: string;
  /** RSA modulus bits, or the EC curve's bits; undefined for others. */
  publicKeyBits: number | undefined;
  /** e.g. 'ECDSA-SHA256', 'SHA256-RSA', 'Ed25519', or the OID when not supported. */
  signatureAlgorithm: string;
  /** The self-signature verifies with the request's key, using an algorithm of SHA-256 strength or more. */
  signatureValid: boolean;
}

interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  contentStart: number;
  end: number;
}

const SEQUENCE = 0x30;
const SET = 0x31;

function invalid(what: string): JoineryError {
  return new JoineryError(CSR_INVALID, `the certificate signing request is malformed: ${what}`, 'send spec.request as the PEM of a PKCS#10 CERTIFICATE REQUEST, as the kubelet makes it');
}

/** One DER TLV at `pos`, inside `limit`; definite lengths in minimal form only, as DER requires. */
function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw invalid('truncated ASN.1 element');
  const tag = buf[pos] as number;
  if ((tag & 0x1f) === 0x1f) throw invalid('unsupported ASN.1 tag number');
  let len = buf[pos + 1] as number;
  let at = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw invalid('indefinite length (BER) where DER is required');
    if (n > 4 || at + n > limit) throw invalid('ASN.1 length out of range');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[at + i] as number);
    if (buf[at] === 0 || len < 0x80) throw invalid('non-minimal ASN.1 length');
    at += n;
  }
  if (at + len > limit) throw invalid('ASN.1 element longer than its container');
  return { tag, start: pos, contentStart: at, end: at + len };
}

function expect(buf: Uint8Array, pos: number, limit: number, tag: number, what: string): Tlv {
  const t = readTlv(buf, pos, limit);
  if (t.tag !== tag) throw invalid(`${what} has ASN.1 tag 0x${t.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return t;
}

/** The TLVs directly inside a constructed element. */
function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

function oidOf(buf: Uint8Array, t: Tlv): string {
  if (t.tag !== 0x06) throw invalid('expected an OBJECT IDENTIFIER');
  const bytes = buf.subarray(t.contentStart, t.end);
  if (bytes.length === 0 || bytes.length > 64) throw invalid('OBJECT IDENTIFIER of bad length');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (v === 0 && b === 0x80) throw invalid('non-minimal OBJECT IDENTIFIER');
    v = v * 128 + (b & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 256) throw invalid('OBJECT IDENTIFIER arc too large');
    if (!(b & 0x80)) {
      arcs.push(v);
      v = 0;
    } else if (i === bytes.length - 1) throw invalid('truncated OBJECT IDENTIFIER');
  }
  const first = arcs[0] as number;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** The text of a directory string (UTF8String, PrintableString, IA5String, T61String, BMPString, UniversalString); undefined for other types. */
function stringOf(buf: Uint8Array, t: Tlv): string | undefined {
  const b = buf.subarray(t.contentStart, t.end);
  switch (t.tag) {
    case 0x0c:
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b);
      } catch {
        throw invalid('UTF8String is not valid UTF-8');
      }
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x14: // T61String, read as Latin-1 as Go does
      return Buffer.from(b).toString('latin1');
    case 0x1e: {
      if (b.length % 2 !== 0) throw invalid('BMPString of odd length');
      let s = '';
      for (let i = 0; i < b.length; i += 2) s += String.fromCharCode(((b[i] as number) << 8) | (b[i + 1] as number));
      return s;
    }
    case 0x1c: {
      if (b.length % 4 !== 0) throw invalid('UniversalString of bad length');
      let s = '';
      for (let i = 0; i < b.length; i += 4) {
        const cp = (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>> 0;
        if (cp > 0x10ffff) throw invalid('UniversalString code point out of range');
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return undefined;
  }
}

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const OID_SAN = '2.5.29.17';

const KEY_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.10045.2.1': 'ECDSA',
  '1.3.101.112': 'Ed25519',
};

/** Signature algorithms checked (hash for crypto.verify, key type); SHA-1 and MD5 are not accepted. */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, { name: string; hash: string | null; key: string }>> = {
  '1.2.840.113549.1.1.11': { name: 'SHA256-RSA', hash: 'sha256', key: 'RSA' },
  '1.2.840.113549.1.1.12': { name: 'SHA384-RSA', hash: 'sha384', key: 'RSA' },
  '1.2.840.113549.1.1.13': { name: 'SHA512-RSA', hash: 'sha512', key: 'RSA' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA-SHA256', hash: 'sha256', key: 'ECDSA' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA-SHA384', hash: 'sha384', key: 'ECDSA' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA-SHA512', hash: 'sha512', key: 'ECDSA' },
  '1.3.101.112': { name: 'Ed25519', hash: null, key: 'Ed25519' },
};

const CURVE_BITS: Readonly<Record<string, number>> = { prime256v1: 256, secp384r1: 384, secp521r1: 521 };

function ipText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
    try {
      return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
    } catch {
      return groups.join(':');
    }
  }
  return Buffer.from(b).toString('hex');
}

/** The DER bytes of a PEM CERTIFICATE REQUEST (exactly one block; whitespace around it only) or of DER input. */
function derOf(input: string | Uint8Array): Uint8Array {
  if (input.length > MAX_CSR_BYTES) throw invalid(`it is larger than ${MAX_CSR_BYTES} bytes`);
  let text: string;
  if (typeof input === 'string') text = input;
  else if (input[0] === SEQUENCE) return input;
  else text = Buffer.from(input).toString('latin1');
  const m = /^\s*-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE REQUEST-----\s*$/.exec(text);
  if (!m) throw invalid('it is not one PEM block of type CERTIFICATE REQUEST');
  const body = (m[1] as string).replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) throw invalid('the PEM body is not base64');
  return Buffer.from(body, 'base64');
}

/**
 * Parses a PKCS#10 certificate request (RFC 2986) from PEM (string or bytes, as in a CSR's
 * spec.request) or DER bytes, as Go's x509.ParseCertificateRequest does for the fields Kubernetes'
 * csrapprover reads (subject CN/O, SAN DNS/IP/email/URI), and checks its self-signature. Throws
 * CSR_INVALID for anything that is not a well-formed request; an unverifiable signature is
 * `signatureValid: false`, not an error.
 */
export function parseCertificateRequest(input: string | Uint8Array): CertificateRequest {
  try {
    return parseDer(derOf(input));
  } catch (err) {
    if (err instanceof JoineryError) throw err;
    throw invalid((err as Error)?.message ?? 'unreadable');
  }
}

function parseDer(der: Uint8Array): CertificateRequest {
  const outer = expect(der, 0, der.length, SEQUENCE, 'CertificationRequest');
  if (outer.end !== der.length) throw invalid('trailing data after the request');
  const [info, sigAlg, sig, ...rest] = children(der, outer);
  if (!info || !sigAlg || !sig || rest.length > 0) throw invalid('CertificationRequest must hold info, signatureAlgorithm and signature');
  if (info.tag !== SEQUENCE || sigAlg.tag !== SEQUENCE || sig.tag !== 0x03) throw invalid('CertificationRequest fields have the wrong types');

  const [version, subject, spki, attrs, ...more] = children(der, info);
  if (!version || version.tag !== 0x02 || !subject || subject.tag !== SEQUENCE || !spki || spki.tag !== SEQUENCE) {
    throw invalid('certificationRequestInfo must hold version, subject and subjectPKInfo');
  }
  if (version.end - version.contentStart !== 1 || der[version.contentStart] !== 0) throw invalid('version is not 0 (v1)');
  if (more.length > 0 || (attrs && attrs.tag !== 0xa0)) throw invalid('unexpected fields after subjectPKInfo');

  const commonNames: string[] = [];
  const organizations: string[] = [];
  for (const rdn of children(der, subject)) {
    if (rdn.tag !== SET) throw invalid('subject RDN is not a SET');
    for (const atv of children(der, rdn)) {
      if (atv.tag !== SEQUENCE) throw invalid('subject attribute is not a SEQUENCE');
      const [type, value, ...x] = children(der, atv);
      if (!type || !value || x.length > 0) throw invalid('subject attribute must be type and value');
      const oid = oidOf(der, type);
      const text = stringOf(der, value);
      if (text === undefined) continue; // Go skips values that are not strings
      if (oid === OID_CN) commonNames.push(text);
      else if (oid === OID_O) organizations.push(text);
    }
  }

  const [keyAlg, keyBits] = children(der, spki);
  if (!keyAlg || keyAlg.tag !== SEQUENCE || !keyBits || keyBits.tag !== 0x03) throw invalid('subjectPKInfo must hold algorithm and key');
  const keyOidTlv = children(der, keyAlg)[0];
  if (!keyOidTlv) throw invalid('subjectPKInfo algorithm is empty');
  const keyOid = oidOf(der, keyOidTlv);
  const publicKeyAlgorithm = KEY_ALGORITHMS[keyOid] ?? keyOid;
  let key: KeyObject | undefined;
  try {
    key = createPublicKey({ key: Buffer.from(der.subarray(spki.start, spki.end)), format: 'der', type: 'spki' });
  } catch {
    key = undefined;
  }
  if (key === undefined && KEY_ALGORITHMS[keyOid] !== undefined) throw invalid(`the ${publicKeyAlgorithm} public key is malformed`);
  let publicKeyBits: number | undefined;
  if (key?.asymmetricKeyType === 'rsa') publicKeyBits = key.asymmetricKeyDetails?.modulusLength;
  else if (key?.asymmetricKeyType === 'ec') publicKeyBits = CURVE_BITS[key.asymmetricKeyDetails?.namedCurve ?? ''];

  const san = { dns: [] as string[], ip: [] as string[], email: [] as string[], uri: [] as string[], present: false };
  if (attrs) {
    for (const attr of children(der, attrs)) {
      if (attr.tag !== SEQUENCE) throw invalid('attribute is not a SEQUENCE');
      const [type, values, ...x] = children(der, attr);
      if (!type || !values || values.tag !== SET || x.length > 0) throw invalid('attribute must be type and a SET of values');
      if (oidOf(der, type) !== OID_EXTENSION_REQUEST) continue;
      for (const exts of children(der, values)) {
        if (exts.tag !== SEQUENCE) throw invalid('extensionRequest value is not a SEQUENCE');
        for (const ext of children(der, exts)) {
          if (ext.tag !== SEQUENCE) throw invalid('extension is not a SEQUENCE');
          const parts = children(der, ext);
          const id = parts[0];
          const value = parts[parts.length - 1];
          if (!id || !value || parts.length > 3 || value.tag !== 0x04 || (parts.length === 3 && parts[1]?.tag !== 0x01)) {
            throw invalid('extension must be id, critical and an OCTET STRING');
          }
          if (oidOf(der, id) !== OID_SAN) continue;
          san.present = true;
          readGeneralNames(der, value, san);
        }
      }
    }
  }

  const sigOid = children(der, sigAlg)[0];
  if (!sigOid) throw invalid('signatureAlgorithm is empty');
  const sigAlgOid = oidOf(der, sigOid);
  const known = SIGNATURE_ALGORITHMS[sigAlgOid];
  if (sig.end - sig.contentStart < 1 || der[sig.contentStart] !== 0) throw invalid('signature BIT STRING has unused bits');
  const signature = Buffer.from(der.subarray(sig.contentStart + 1, sig.end));
  let signatureValid = false;
  if (known && key && known.key === publicKeyAlgorithm) {
    try {
      signatureValid = verify(known.hash, Buffer.from(der.subarray(info.start, info.end)), key, signature);
    } catch {
      signatureValid = false;
    }
  }

  return {
    commonName: commonNames[commonNames.length - 1] ?? '',
    commonNames,
    organizations,
    dnsNames: san.dns,
    ipAddresses: san.ip,
    emailAddresses: san.email,
    uris: san.uri,
    hasSubjectAltName: san.present,
    publicKeyAlgorithm,
    publicKeyBits,
    signatureAlgorithm: known?.name ?? sigAlgOid,
    signatureValid,
  };
}

/** GeneralNames (RFC 5280 4.2.1.6): rfc822Name [1], dNSName [2], URI [6], iPAddress [7]; other kinds are skipped as Go skips them. */
function readGeneralNames(der: Uint8Array, octets: Tlv, out: { dns: string[]; ip: string[]; email: string[]; uri: string[] }): void {
  const seq = readTlv(der, octets.contentStart, octets.end);
  if (seq.tag !== SEQUENCE || seq.end !== octets.end) throw invalid('subjectAltName is not a SEQUENCE');
  for (const name of children(der, seq)) {
    const bytes = der.subarray(name.contentStart, name.end);
    const text = (): string => {
      for (const b of bytes) if (b > 0x7e || b < 0x20) throw invalid('subjectAltName holds a name that is not printable ASCII');
      return Buffer.from(bytes).toString('latin1');
    };
    switch (name.tag) {
      case 0x81:
        out.email.push(text());
        break;
      case 0x82:
        out.dns.push(text());
        break;
      case 0x86:
        out.uri.push(text());
        break;
      case 0x87:
        if (bytes.length !== 4 && bytes.length !== 16) throw invalid(`subjectAltName IP address of ${bytes.length} bytes`);
        out.ip.push(ipText(bytes));
        break;
      default:
        break;
    }
  }
}
