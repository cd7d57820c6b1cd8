/**
 * What a role needs besides the machine spec: the credentials the cluster edge mints or reads (the
 * bootstrap token, CA pins, endpoint, version, and for init the cluster's CAs), checked before use.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { JoineryError } from '../../errors/index.js';
import { parseKubernetesVersion, validateNodeName } from '../../kubeadm/index.js';
import { parseCaPins, parseCertificateKey } from '../../pki/index.js';
import { parseBootstrapToken, tokenString, type BootstrapTokenString } from '../../token/index.js';

/** The cluster's CAs (PEM), as src/pki generates or loads them. */
export type { ClusterCas } from '../../pki/index.js';
/** A CA certificate and its private key, both PEM. */
export type { CertificateAuthority as CaKeyPair } from '../../pki/index.js';
import type { ClusterCas } from '../../pki/index.js';

/** How the joining node discovers and trusts the cluster. */
export type JoinDiscovery =
  | { kind: 'token' }
  /** A discovery kubeconfig (with the token, from src/discovery), written as a 0600 file at `path`. */
  | { kind: 'file'; kubeconfig: string; path?: string };

export interface JoinCredentials {
  nodeName: string;
  kubernetesVersion: string;
  /** The API server, `host:port`. */
  endpoint: string;
  token: BootstrapTokenString | string;
  /** `sha256:<hex>` pins of the cluster CA's public key. */
  caPins: string[];
  discovery: JoinDiscovery;
  /** Set for the control-plane role. */
  controlPlane?: {
    /** kubeadm's upload-certs way: the key of the kube-system/kubeadm-certs Secret. */
    certificateKey?: string;
    advertiseAddress?: string;
    bindPort?: number;
    /** The CAs inside the bootstrap data, as Cluster API does (then no certificateKey). */
    inlineCas?: ClusterCas;
  };
}

export interface InitCredentials {
  nodeName: string;
  kubernetesVersion: string;
  /** The control-plane endpoint, `host:port` (kubeadm's controlPlaneEndpoint). */
  endpoint: string;
  clusterName?: string;
  cas: ClusterCas;
  /** A bootstrap token for `kubeadm init` to create, so that other nodes can join at once. */
  bootstrapToken?: BootstrapTokenString | string;
  /** With it, `kubeadm init --upload-certs` stores the CAs in kube-system/kubeadm-certs for control-plane joins. */
  certificateKey?: string;
}

export const CREDENTIALS_INVALID = 'USERDATA_CREDENTIALS_INVALID';

function invalid(path: string, what: string, fix: string): JoineryError {
  return new JoineryError(CREDENTIALS_INVALID, `credentials ${path}: ${what}`, fix, { path });
}

/** Re-raises another module's JoineryError as USERDATA_CREDENTIALS_INVALID at `path` (its message never holds the secret). */
function rethrow<T>(path: string, fix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    throw new JoineryError(CREDENTIALS_INVALID, `credentials ${err.message}`, fix, { path: err.path ?? path });
  }
}

/** kubeadm's rule for nodeRegistration.name (a DNS-1123 subdomain), reported as a credentials error. */
export function checkNodeName(name: unknown, path = 'nodeName'): string {
  return rethrow(path, 'use a lowercase host name such as worker-1 or worker-1.example.internal', () => validateNodeName(name, path));
}

/** `host:port` with a real port (net.SplitHostPort as kubeadm's ValidateDiscoveryTokenAPIServer uses). */
export function checkEndpoint(text: unknown, path = 'endpoint'): string {
  const m = typeof text === 'string' ? /^(?:\[([^\[\]\s]+)\]|([^:\[\]\s/]+)):([0-9]{1,5})$/.exec(text) : null;
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw invalid(path, `${typeof text === 'string' ? JSON.stringify(text.slice(0, 128)) : 'the value'} is not host:port`, 'write the API server address as host:port, e.g. 10.0.0.1:6443 or [fd00::1]:6443');
  }
  return text as string;
}

export function checkKubernetesVersion(text: unknown, path = 'kubernetesVersion'): string {
  if (typeof text !== 'string') throw invalid(path, 'is not a string', 'give the version, e.g. v1.30.0');
  return rethrow(path, 'give a release version such as v1.30.0', () => {
    const v = parseKubernetesVersion(text, path);
    return `v${v.major}.${v.minor}.${v.patch}${v.preRelease === undefined ? '' : `-${v.preRelease}`}`;
  });
}

export function checkToken(token: unknown, path = 'token'): string {
  const text = typeof token === 'object' && token !== null ? tokenString(token as BootstrapTokenString) : token;
  rethrow(path, 'mint the token with `joinery token create` (or `kubeadm token create`)', () => parseBootstrapToken(text, path));
  return text as string;
}

export function checkCertificateKey(key: unknown, path: string): string {
  rethrow(path, 'use the key printed by `kubeadm init phase upload-certs --upload-certs` (or made by joinery)', () => parseCertificateKey(key as string, path));
  return key as string;
}

export function checkCaPins(pins: unknown, path = 'caPins'): string[] {
  if (!Array.isArray(pins) || pins.length === 0) {
    throw invalid(path, 'has no CA pin: joinery never joins a node without pinning the cluster CA', 'give the sha256:<hex> pin of the cluster CA (`joinery ca-hash` prints it)');
  }
  rethrow(path, 'write each pin as sha256:<64 hex digits>', () => parseCaPins(pins as string[], path));
  return pins as string[];
}

const pemOf = (text: unknown, label: RegExp): boolean => typeof text === 'string' && label.test(text);

/**
 * Checks ClusterCas the way kubeadm will use them: each CA a CA certificate whose key matches it, the
 * service-account key pair a matching private and public key. Never quotes a key.
 */
export function checkClusterCas(cas: unknown, path = 'cas'): ClusterCas {
  if (typeof cas !== 'object' || cas === null) throw invalid(path, 'is missing', 'give the cluster CAs (generated by joinery or loaded from PEM files)');
  const c = cas as Partial<ClusterCas>;
  for (const name of ['ca', 'etcdCa', 'frontProxyCa'] as const) {
    const at = `${path}.${name}`;
    const pair = c[name];
    if (!pair || !pemOf(pair.cert, /-----BEGIN CERTIFICATE-----/)) throw invalid(`${at}.cert`, 'is not a PEM certificate', 'give the CA certificate as PEM (BEGIN CERTIFICATE)');
    if (!pemOf(pair.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/)) throw invalid(`${at}.key`, 'is not a PEM private key', 'give the CA private key as PEM (BEGIN ... PRIVATE KEY)');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pair.cert);
    } catch {
      throw invalid(`${at}.cert`, 'cannot be read as an X.509 certificate', 'give the CA certificate as PEM');
    }
    if (!cert.ca) throw invalid(`${at}.cert`, 'is not a CA certificate (basicConstraints CA:TRUE)', 'give the CA certificate, not a leaf certificate');
    let matches = false;
    try {
      matches = cert.checkPrivateKey(createPrivateKey(pair.key));
    } catch {
      throw invalid(`${at}.key`, 'cannot be read as a private key', 'give the CA private key as PEM (PKCS#1, SEC 1 or PKCS#8)');
    }
    if (!matches) throw invalid(`${at}.key`, `does not belong to ${at}.cert`, 'give the private key of this CA certificate');
  }
  const sa = c.serviceAccount;
  const at = `${path}.serviceAccount`;
  if (!sa || !pemOf(sa.privateKey, /-----BEGIN [A-Z ]*PRIVATE KEY-----/)) throw invalid(`${at}.privateKey`, 'is not a PEM private key', 'give sa.key as PEM');
  if (!pemOf(sa.publicKey, /-----BEGIN [A-Z ]*PUBLIC KEY-----/)) throw invalid(`${at}.publicKey`, 'is not a PEM public key', 'give sa.pub as PEM (BEGIN PUBLIC KEY)');
  try {
    const derived = createPublicKey(createPrivateKey(sa.privateKey)).export({ type: 'spki', format: 'der' });
    const given = createPublicKey(sa.publicKey).export({ type: 'spki', format: 'der' });
    if (!derived.equals(given)) throw invalid(`${at}.publicKey`, `does not belong to ${at}.privateKey`, 'give the public key of sa.key (openssl pkey -in sa.key -pubout)');
  } catch (err) {
    if (err instanceof JoineryError) throw err;
    throw invalid(at, 'cannot be read as a key pair', 'give sa.key and sa.pub as PEM');
  }
  return c as ClusterCas;
}
