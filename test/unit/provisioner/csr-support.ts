/** Real certificate signing requests for the approver tests: made by openssl, or DER-encoded here and signed with Node's crypto. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type OpensslKey = 'rsa2048' | 'rsa1024' | 'ec-p256' | 'ec-p384' | 'ed25519' | 'ec-secp256k1';

const GENPKEY: Record<OpensslKey, string[]> = {
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsa1024: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
  'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  ed25519: ['-algorithm', 'ED25519'],
  'ec-secp256k1': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
};

const keyCache = new Map<OpensslKey, string>();

/** A PEM private key made by `openssl genpkey` (cached per type for the run). */
export function opensslKey(type: OpensslKey): string {
  const cached = keyCache.get(type);
  if (cached) return cached;
  const pem = execFileSync('openssl', ['genpkey', ...GENPKEY[type]], { stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
  keyCache.set(type, pem);
  return pem;
}

/** `openssl req -new` with `subject` (e.g. /O=system:nodes/CN=system:node:a) and optional -addext lines. */
export function opensslCsr(type: OpensslKey, subject: string, options: { addext?: string[]; digest?: string } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-csr-'));
  try {
    const keyFile = join(dir, 'key.pem');
    writeFileSync(keyFile, opensslKey(type), { mode: 0o600 });
    const args = ['req', '-new', '-key', keyFile, '-subj', subject, '-out', join(dir, 'csr.pem')];
    for (const e of options.addext ?? []) args.push('-addext', e);
    if (options.digest) args.push(`-${options.digest}`);
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    return readFileSync(join(dir, 'csr.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when `openssl req -verify` accepts the request's self-signature (OpenSSL 3.0 exits 0 either way, so its words decide). */
export function opensslVerifies(pem: string): boolean {
  const r = spawnSync('openssl', ['req', '-verify', '-noout'], { input: pem });
  const out = `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`;
  return /verify OK/.test(out) && !/verify failure/.test(out);
}

/** `openssl req -text` output, to compare parsed fields with. */
export function opensslText(pem: string): string {
  return execFileSync('openssl', ['req', '-noout', '-text'], { input: pem, stdio: ['pipe', 'pipe', 'pipe'] }).toString('utf8');
}

// --- a minimal DER encoder -------------------------------------------------------------------

export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : Buffer.from([0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
export const seq = (...c: Uint8Array[]): Buffer => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]): Buffer => tlv(0x31, ...c);
export function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const out: number[] = [40 * (arcs[0] as number) + (arcs[1] as number)];
  for (const a of arcs.slice(2)) {
    const bytes: number[] = [a & 0x7f];
    for (let v = Math.floor(a / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}
export const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1'));
export function bmp(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return tlv(0x1e, b);
}

export const OID = {
  cn: '2.5.4.3',
  o: '2.5.4.10',
  ou: '2.5.4.11',
  extensionRequest: '1.2.840.113549.1.9.14',
  san: '2.5.29.17',
  keyUsage: '2.5.29.15',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  sha256Rsa: '1.2.840.113549.1.1.11',
  sha1Rsa: '1.2.840.113549.1.1.5',
  ed25519: '1.3.101.112',
};

export interface DerCsrOptions {
  /** Each entry one RDN: [attribute OID, encoded value]. */
  subject: [string, Buffer][];
  /** Extensions for the extensionRequest attribute: [OID, DER value]. */
  extensions?: [string, Buffer][];
  /** Signature algorithm OID and Node hash (null for Ed25519). */
  algorithm?: { oid: string; hash: string | null; params?: Buffer };
  /** Flip a bit of the signature. */
  corruptSignature?: boolean;
  /** Sign with this key but put `spkiOf`'s public key in the request. */
  spkiOf?: KeyObject;
}

/** A PKCS#10 request DER-encoded here and signed with Node's crypto.sign. */
export function derCsr(privateKey: KeyObject, o: DerCsrOptions): Buffer {
  const spki = createPublicKey(o.spkiOf ?? privateKey).export({ type: 'spki', format: 'der' });
  const name = seq(...o.subject.map(([t, v]) => set(seq(oid(t), v))));
  const attrs =
    o.extensions === undefined
      ? tlv(0xa0)
      : tlv(0xa0, seq(oid(OID.extensionRequest), set(seq(...o.extensions.map(([t, v]) => seq(oid(t), tlv(0x04, v)))))));
  const info = seq(tlv(0x02, Buffer.from([0])), name, spki, attrs);
  const alg = o.algorithm ?? { oid: OID.ecdsaSha256, hash: 'sha256' };
  const signature = sign(alg.hash, info, privateKey);
  if (o.corruptSignature) signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 1;
  return seq(info, seq(oid(alg.oid), ...(alg.params ? [alg.params] : [])), tlv(0x03, Buffer.from([0]), signature));
}

export function pemOf(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}-----END CERTIFICATE REQUEST-----\n`;
}

export function ecKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

export function keyObjectOf(type: OpensslKey): KeyObject {
  return createPrivateKey(opensslKey(type));
}

/** The kubelet's subject for node `name`. */
export function kubeletSubject(name: string): [string, Buffer][] {
  return [
    [OID.o, utf8('system:nodes')],
    [OID.cn, utf8(`system:node:${name}`)],
  ];
}
