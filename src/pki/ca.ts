/**
 * The cluster's certificate authorities as `kubeadm init phase certs` makes them (cmd/kubeadm/app/phases/certs,
 * util/pkiutil.NewCertificateAuthority, client-go util/cert.NewSelfSignedCACert): the cluster CA
 * (CN=kubernetes), the etcd CA (CN=etcd-ca), the front-proxy CA (CN=front-proxy-ca) and the
 * service-account key pair (sa.key / sa.pub), generated with @peculiar/x509 over WebCrypto, or loaded from
 * PEM files the user gives and checked the way kubeadm would use them.
 */
import { createPrivateKey, createPublicKey, KeyObject, webcrypto } from 'node:crypto';
import * as x509 from './x509.js';
import { JoineryError } from '../errors/index.js';
import { HOUR, parseDuration } from '../duration/index.js';
import { cryptoRandomBytes, type RandomBytes } from '../random/index.js';
import { bundleCertificates } from './certificates.js';

/** A CA certificate and its private key, both PEM. */
export interface CertificateAuthority {
  /** `CERTIFICATE` PEM. */
  cert: string;
  /** Private key PEM: `RSA PRIVATE KEY` (PKCS#1) or `EC PRIVATE KEY` (SEC 1) when generated; as given when loaded. */
  key: string;
}

/** The service-account token signing key pair (kubeadm's sa.key / sa.pub). */
export interface ServiceAccountKeyPair {
  /** `PUBLIC KEY` PEM (PKIX), as kubeadm writes sa.pub. */
  publicKey: string;
  privateKey: string;
}

/** Everything `kubeadm init` needs so that it generates no CA of its own. */
export interface ClusterCas {
  ca: CertificateAuthority;
  etcdCa: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  serviceAccount: ServiceAccountKeyPair;
}

/** Key types kubeadm reads and signs with: RSA (kubeadm's default, 2048 bits) and ECDSA. */
export type CaKeyAlgorithm = 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'ECDSA-P256' | 'ECDSA-P384';

export const CA_KEY_ALGORITHMS: readonly CaKeyAlgorithm[] = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'];

/** client-go's duration365d * 10: kubeadm's CA lifetime (87600h, not ten calendar years). */
export const DEFAULT_CA_VALIDITY = 10n * 365n * 24n * HOUR;

/** The subjects kubeadm gives its CAs (certlist.go: KubeadmCertRootCA, KubeadmCertEtcdCA, KubeadmCertFrontProxyCA). */
export const CA_COMMON_NAMES = { ca: 'kubernetes', etcdCa: 'etcd-ca', frontProxyCa: 'front-proxy-ca' } as const;

/** The files of ClusterCas, relative to kubeadm's certificatesDir (`/etc/kubernetes/pki`). */
export type ClusterCaFileName =
  | 'ca.crt'
  | 'ca.key'
  | 'etcd/ca.crt'
  | 'etcd/ca.key'
  | 'front-proxy-ca.crt'
  | 'front-proxy-ca.key'
  | 'sa.key'
  | 'sa.pub';

export const CLUSTER_CA_FILE_NAMES: readonly ClusterCaFileName[] = [
  'ca.crt',
  'ca.key',
  'etcd/ca.crt',
  'etcd/ca.key',
  'front-proxy-ca.crt',
  'front-proxy-ca.key',
  'sa.key',
  'sa.pub',
];

/** One file of the CAs as kubeadm lays it out under certificatesDir. */
export interface ClusterCaFile {
  /** Relative to certificatesDir, e.g. `etcd/ca.key`. */
  path: ClusterCaFileName;
  content: string;
  /** 0o644 for certificates, 0o600 for private keys and for sa.pub (kubeadm writes it with keyutil.WriteKey). */
  mode: number;
}

export interface GenerateClusterCasOptions {
  /** NotBefore of every CA (kubeadm v1.20 uses the current time, no backdating); pass an earlier time to allow for clock skew. */
  now: Date;
  /** Lifetime as nanoseconds or a Go duration (`87600h`); default DEFAULT_CA_VALIDITY, as kubeadm. */
  validity?: bigint | string;
  /** Default RSA-2048, kubeadm's key type; also used for the service-account key, as kubeadm does. */
  keyAlgorithm?: CaKeyAlgorithm;
  /** Source of the serial numbers (key generation always uses the platform's CSPRNG). */
  random?: RandomBytes;
  /** CAs to keep instead of generating them (e.g. from loadClusterCas); only the missing ones are made. */
  existing?: Partial<ClusterCas>;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = webcrypto.subtle;
/** Node's WebCrypto, passed to @peculiar/x509 explicitly (its global provider is left alone). */
const provider = webcrypto;

/** X.509 times: UTCTime from 1950, GeneralizedTime up to the end of 9999 (RFC 5280 4.1.2.5). */
const MIN_CERT_TIME = Date.UTC(1950, 0, 1);
const MAX_CERT_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

interface KeyParams {
  generate: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
  sign: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

/** Go's x509 signs with SHA-256 for RSA and P-256, SHA-384 for P-384 (signingParamsForPublicKey). */
function keyParams(algorithm: CaKeyAlgorithm): KeyParams {
  switch (algorithm) {
    case 'RSA-2048':
    case 'RSA-3072':
    case 'RSA-4096': {
      const generate: webcrypto.RsaHashedKeyGenParams = {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(algorithm.slice(4)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
      return { generate, sign: { name: 'RSASSA-PKCS1-v1_5' } };
    }
    case 'ECDSA-P256':
      return { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams };
    case 'ECDSA-P384':
      return { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } as webcrypto.EcdsaParams };
    default:
      throw new JoineryError(
        'CA_KEY_ALGORITHM_INVALID',
        `keyAlgorithm ${JSON.stringify(String(algorithm))} is not supported`,
        `use one of ${CA_KEY_ALGORITHMS.join(', ')}`,
        { path: 'keyAlgorithm' },
      );
  }
}

function validityNanos(validity: bigint | string | undefined): bigint {
  const ns = validity === undefined ? DEFAULT_CA_VALIDITY : typeof validity === 'string' ? parseDuration(validity, 'validity') : validity;
  if (typeof ns !== 'bigint' || ns <= 0n) {
    throw new JoineryError(
      'CA_VALIDITY_INVALID',
      'validity: a CA must be valid for a positive duration',
      'give the CA lifetime as a Go duration such as 87600h (kubeadm\'s ten years)',
      { path: 'validity' },
    );
  }
  return ns;
}

/** `now + validity`, truncated to whole seconds as X.509 times are. */
function validityPeriod(now: Date, validity: bigint): { notBefore: Date; notAfter: Date } {
  if (!(now instanceof Date) || Number.isNaN(now.getTime()) || now.getTime() < MIN_CERT_TIME || now.getTime() > MAX_CERT_TIME) {
    throw new JoineryError(
      'CA_VALIDITY_INVALID',
      'now: the start of the CA validity must be a date between 1950 and 9999',
      'pass the current time',
      { path: 'now' },
    );
  }
  const startMs = Math.floor(now.getTime() / 1000) * 1000;
  const endMsBig = BigInt(startMs) + validity / 1_000_000n;
  const endMs = Number((endMsBig / 1000n) * 1000n);
  if (endMsBig > BigInt(MAX_CERT_TIME)) {
    throw new JoineryError(
      'CA_VALIDITY_INVALID',
      'validity: the CA would expire after the year 9999, which X.509 cannot express',
      'give a shorter validity, such as 87600h (kubeadm\'s ten years)',
      { path: 'validity' },
    );
  }
  return { notBefore: new Date(startMs), notAfter: new Date(endMs) };
}

/** A positive serial below 2^63, in [1, 2^63) as newer client-go draws them (v1.20 used 0, which RFC 5280 forbids). */
function serialHex(random: RandomBytes): string {
  const bytes = Buffer.from(random(8));
  if (bytes.length !== 8) {
    throw new JoineryError(
      'INTERNAL_RANDOM_SHORT',
      `the random source returned ${bytes.length} bytes instead of 8`,
      'this is a bug in joinery: report it',
      { family: 'internal' },
    );
  }
  bytes[0] = (bytes[0] as number) & 0x7f;
  if (bytes.every((b) => b === 0)) bytes[7] = 1;
  return bytes.toString('hex');
}

/** Go's pem.Encode: 64 base64 characters per line, a final newline. */
export function pemEncode(type: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** keyutil.MarshalPrivateKeyToPEM: PKCS#1 `RSA PRIVATE KEY` for RSA, SEC 1 `EC PRIVATE KEY` for ECDSA. */
function privateKeyPem(key: KeyObject): string {
  const type = key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1';
  return key.export({ type, format: 'pem' }) as string;
}

function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
}

async function generateKeyPair(params: KeyParams): Promise<{ pair: CryptoKeyPair; privateKey: KeyObject }> {
  const pair = (await subtle.generateKey(params.generate, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = await subtle.exportKey('pkcs8', pair.privateKey);
  return { pair, privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }) };
}

async function generateCa(
  commonName: string,
  period: { notBefore: Date; notAfter: Date },
  params: KeyParams,
  random: RandomBytes,
): Promise<CertificateAuthority> {
  const { pair, privateKey } = await generateKeyPair(params);
  const ski = await x509.SubjectKeyIdentifierExtension.create(pair.publicKey, false, provider);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialHex(random),
      name: [{ CN: [commonName] }],
      notBefore: period.notBefore,
      notAfter: period.notAfter,
      signingAlgorithm: params.sign,
      keys: pair,
      // Go's x509 order: KeyUsage, BasicConstraints, SubjectKeyId, then SubjectAltName (the CN, as
      // newer client-go's NewSelfSignedCACert adds; v1.20 had none).
      extensions: [
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign,
          true,
        ),
        new x509.BasicConstraintsExtension(true, undefined, true),
        ski,
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: commonName }], false),
      ],
    },
    provider,
  );
  return { cert: pemEncode('CERTIFICATE', new Uint8Array(cert.rawData)), key: privateKeyPem(privateKey) };
}

async function generateServiceAccount(params: KeyParams): Promise<ServiceAccountKeyPair> {
  const { privateKey } = await generateKeyPair(params);
  return { publicKey: publicKeyPem(privateKey), privateKey: privateKeyPem(privateKey) };
}

/**
 * New cluster, etcd and front-proxy CAs and a service-account key pair, as `kubeadm init phase certs`
 * makes them: self-signed, subject CN=kubernetes / etcd-ca / front-proxy-ca, KeyUsage
 * digitalSignature|keyEncipherment|keyCertSign (critical), BasicConstraints CA:TRUE (critical),
 * SubjectKeyIdentifier (SHA-1 of the public key, as Go), a SAN DNS name equal to the CN, valid from `now`
 * for `validity`. Unlike v1.20 (serial 0) the serial is a random positive 63-bit number, as newer kubeadm.
 * Keys are written as kubeadm writes them: PKCS#1 for RSA, SEC 1 for ECDSA (kubeadm also reads PKCS#8).
 * CAs in `existing` are returned unchanged. Throws CA_VALIDITY_INVALID or CA_KEY_ALGORITHM_INVALID.
 */
export async function generateClusterCas(options: GenerateClusterCasOptions): Promise<ClusterCas> {
  const period = validityPeriod(options.now, validityNanos(options.validity));
  const params = keyParams(options.keyAlgorithm ?? 'RSA-2048');
  const random = options.random ?? cryptoRandomBytes;
  const existing = options.existing ?? {};
  const [ca, etcdCa, frontProxyCa, serviceAccount] = await Promise.all([
    existing.ca ?? generateCa(CA_COMMON_NAMES.ca, period, params, random),
    existing.etcdCa ?? generateCa(CA_COMMON_NAMES.etcdCa, period, params, random),
    existing.frontProxyCa ?? generateCa(CA_COMMON_NAMES.frontProxyCa, period, params, random),
    existing.serviceAccount ?? generateServiceAccount(params),
  ]);
  return { ca, etcdCa, frontProxyCa, serviceAccount };
}

/** The files kubeadm keeps the CAs in under certificatesDir, with kubeadm's modes (keys and sa.pub 0600). */
export function clusterCaFiles(cas: ClusterCas): ClusterCaFile[] {
  return [
    { path: 'ca.crt', content: cas.ca.cert, mode: 0o644 },
    { path: 'ca.key', content: cas.ca.key, mode: 0o600 },
    { path: 'etcd/ca.crt', content: cas.etcdCa.cert, mode: 0o644 },
    { path: 'etcd/ca.key', content: cas.etcdCa.key, mode: 0o600 },
    { path: 'front-proxy-ca.crt', content: cas.frontProxyCa.cert, mode: 0o644 },
    { path: 'front-proxy-ca.key', content: cas.frontProxyCa.key, mode: 0o600 },
    { path: 'sa.key', content: cas.serviceAccount.privateKey, mode: 0o600 },
    { path: 'sa.pub', content: cas.serviceAccount.publicKey, mode: 0o600 },
  ];
}

// ---- loading CAs the user gives ----

const FIX_PEM = 'give the file as PEM, e.g. the same file from /etc/kubernetes/pki of an existing control plane';

function spkiDer(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** kubeadm (pkiutil.TryLoadKeyFromDisk) takes RSA and ECDSA keys only, unencrypted. */
function parsePrivateKey(pem: string, path: string, what: string): KeyObject {
  let key: KeyObject;
  try {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN ')) throw new Error('not PEM');
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new JoineryError(
      what === 'service-account' ? 'SA_KEY_INVALID' : 'CA_KEY_INVALID',
      `${path}: the ${what} private key is not an unencrypted PEM private key (PKCS#1, SEC 1 or PKCS#8)`,
      `${FIX_PEM}; decrypt an encrypted key first (openssl pkey -in KEY -out ${path.split('/').pop() ?? path})`,
      { path },
    );
  }
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') {
    throw new JoineryError(
      what === 'service-account' ? 'SA_KEY_INVALID' : 'CA_KEY_INVALID',
      `${path}: the ${what} private key is ${key.asymmetricKeyType ?? 'of an unknown type'}; kubeadm accepts only RSA and ECDSA keys`,
      'use an RSA or ECDSA key (or let joinery generate the CA)',
      { path },
    );
  }
  return key;
}

function checkCa(
  certPem: string,
  keyPem: string | undefined,
  certPath: ClusterCaFileName,
  keyPath: ClusterCaFileName,
  now: Date,
): CertificateAuthority {
  if (typeof certPem !== 'string') {
    throw new JoineryError('CA_CERT_INVALID', `${certPath}: the certificate must be PEM text`, FIX_PEM, { path: certPath });
  }
  const first = bundleCertificates(certPem, certPath)[0];
  if (first === undefined) {
    throw new JoineryError('CA_CERT_MISSING', `${certPath}: there is no certificate in the file`, FIX_PEM, { path: certPath });
  }
  const cert = first.certificate;
  let parsed: x509.X509Certificate;
  let basicConstraints: x509.BasicConstraintsExtension | null;
  let ku: x509.KeyUsagesExtension | null;
  let certKey: Buffer;
  try {
    parsed = new x509.X509Certificate(cert.raw);
    basicConstraints = parsed.getExtension(x509.BasicConstraintsExtension);
    ku = parsed.getExtension(x509.KeyUsagesExtension);
  } catch {
    throw new JoineryError('CA_CERT_INVALID', `${certPath}: the certificate's extensions are not valid DER`, FIX_PEM, { path: certPath });
  }
  try {
    certKey = spkiDer(cert.publicKey);
  } catch {
    throw new JoineryError('CA_CERT_INVALID', `${certPath}: the certificate's public key cannot be read`, FIX_PEM, { path: certPath });
  }
  if (basicConstraints?.ca !== true) {
    throw new JoineryError(
      'CA_CERT_NOT_CA',
      `${certPath}: the certificate is not a CA (its BasicConstraints do not say CA:TRUE)`,
      'give the certificate of the certificate authority itself, not one it issued',
      { path: certPath },
    );
  }
  if (ku && (ku.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    throw new JoineryError(
      'CA_CERT_NOT_CA',
      `${certPath}: the CA certificate's KeyUsage does not allow certificate signing (keyCertSign)`,
      'give a CA certificate whose KeyUsage includes keyCertSign',
      { path: certPath },
    );
  }
  if (now.getTime() < parsed.notBefore.getTime()) {
    throw new JoineryError(
      'CA_CERT_NOT_YET_VALID',
      `${certPath}: the CA certificate is not valid before ${parsed.notBefore.toISOString()}`,
      'check the clock of this machine, or give a CA that is already valid',
      { path: certPath },
    );
  }
  if (now.getTime() > parsed.notAfter.getTime()) {
    throw new JoineryError(
      'CA_CERT_EXPIRED',
      `${certPath}: the CA certificate expired at ${parsed.notAfter.toISOString()}`,
      'give a CA that is still valid, or renew it (a new CA means re-issuing every certificate of the cluster)',
      { path: certPath },
    );
  }
  if (keyPem === undefined) {
    throw new JoineryError(
      'CA_KEY_MISSING',
      `${keyPath}: the CA certificate ${certPath} is given without its private key`,
      `give ${keyPath} too (kubeadm signs the control-plane certificates with it)`,
      { path: keyPath },
    );
  }
  const key = parsePrivateKey(keyPem, keyPath, 'CA');
  if (!spkiDer(key).equals(certKey)) {
    throw new JoineryError(
      'CA_KEY_MISMATCH',
      `${keyPath}: the private key does not belong to the certificate ${certPath} (their public keys differ)`,
      `give the key that was generated together with ${certPath}`,
      { path: keyPath },
    );
  }
  return { cert: certPem, key: keyPem };
}

function checkServiceAccount(privatePem: string | undefined, publicPem: string | undefined): ServiceAccountKeyPair {
  if (privatePem === undefined) {
    throw new JoineryError(
      'SA_KEY_MISSING',
      'sa.key: the service-account public key sa.pub is given without its private key',
      'give sa.key too (kube-controller-manager signs service-account tokens with it)',
      { path: 'sa.key' },
    );
  }
  const key = parsePrivateKey(privatePem, 'sa.key', 'service-account');
  if (publicPem === undefined) return { privateKey: privatePem, publicKey: publicKeyPem(key) };
  let pub: KeyObject;
  try {
    if (typeof publicPem !== 'string' || !publicPem.includes('-----BEGIN ')) throw new Error('not PEM');
    pub = createPublicKey({ key: publicPem, format: 'pem' });
  } catch {
    throw new JoineryError('SA_KEY_INVALID', 'sa.pub: the service-account public key is not a PEM public key', FIX_PEM, {
      path: 'sa.pub',
    });
  }
  if (!spkiDer(pub).equals(spkiDer(key))) {
    throw new JoineryError(
      'SA_KEY_MISMATCH',
      'sa.pub: the public key does not belong to the private key sa.key',
      'give the sa.pub made together with sa.key, or leave sa.pub out and joinery derives it',
      { path: 'sa.pub' },
    );
  }
  return { privateKey: privatePem, publicKey: publicPem };
}

/**
 * The CAs among `files` (PEM contents keyed by their path under certificatesDir: ca.crt, ca.key,
 * etcd/ca.crt, ...), each checked as kubeadm would use it: the certificate parses (the first of a
 * bundle, as kubeadm's TryLoadCertFromDisk), is a CA (BasicConstraints CA:TRUE, keyCertSign if KeyUsage
 * is present) and is valid at `now`; its key is an unencrypted RSA or ECDSA key whose public key is the
 * certificate's. sa.key alone is enough (sa.pub is derived). Contents are returned unchanged, so the
 * files written are the user's bytes. Errors name the file in `path` and never quote key material.
 */
export function loadClusterCas(files: Partial<Record<ClusterCaFileName, string>>, now: Date): Partial<ClusterCas> {
  if (files === null || typeof files !== 'object' || Array.isArray(files)) {
    throw new JoineryError('CA_FILES_INVALID', 'the CA files must be a map from file name (ca.crt, ca.key, ...) to PEM text', FIX_PEM);
  }
  for (const name of Object.keys(files)) {
    if (!(CLUSTER_CA_FILE_NAMES as readonly string[]).includes(name)) {
      throw new JoineryError(
        'CA_FILE_UNKNOWN',
        `${JSON.stringify(name)} is not one of the CA files kubeadm reads`,
        `name the files ${CLUSTER_CA_FILE_NAMES.join(', ')}`,
        { path: name },
      );
    }
  }
  const f = files as Partial<Record<ClusterCaFileName, string>>;
  const out: Partial<ClusterCas> = {};
  const pairs: Array<[keyof Omit<ClusterCas, 'serviceAccount'>, ClusterCaFileName, ClusterCaFileName]> = [
    ['ca', 'ca.crt', 'ca.key'],
    ['etcdCa', 'etcd/ca.crt', 'etcd/ca.key'],
    ['frontProxyCa', 'front-proxy-ca.crt', 'front-proxy-ca.key'],
  ];
  for (const [field, certPath, keyPath] of pairs) {
    const cert = f[certPath];
    const key = f[keyPath];
    if (cert === undefined) {
      if (key !== undefined) {
        throw new JoineryError(
          'CA_CERT_MISSING',
          `${certPath}: the CA key ${keyPath} is given without its certificate`,
          `give ${certPath} too`,
          { path: certPath },
        );
      }
      continue;
    }
    out[field] = checkCa(cert, key, certPath, keyPath, now);
  }
  if (f['sa.key'] !== undefined || f['sa.pub'] !== undefined) out.serviceAccount = checkServiceAccount(f['sa.key'], f['sa.pub']);
  return out;
}
