/**
 * The `kube-system/kubeadm-certs` Secret of `kubeadm init phase upload-certs --upload-certs`
 * (cmd/kubeadm/app/phases/copycerts): every CA file a new control plane needs, each sealed on its own
 * with the certificate key (AES-256-GCM, see certificate-key.ts), owned by a bootstrap token with a 2h
 * TTL so that the garbage collector deletes the Secret when the token cleaner deletes the token; and the
 * Role/RoleBinding that let bootstrap tokens read it. `kubeadm join --control-plane --certificate-key K`
 * downloads and opens it (DownloadCerts), as decodeKubeadmCertsSecret does.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { JoineryError } from '../errors/index.js';
import { HOUR } from '../duration/index.js';
import { isStdBase64 } from '../encoding/index.js';
import { cryptoRandomBytes, type RandomBytes } from '../random/index.js';
import {
  DEFAULT_TOKEN_GROUPS,
  generateBootstrapToken,
  parseBootstrapToken,
  tokenSecret,
  type BootstrapToken,
  type BootstrapTokenSecret,
  type SecretManifest,
} from '../token/index.js';
import { bundleCertificates } from './certificates.js';
import { decryptWithCertificateKey, encryptWithCertificateKey, parseCertificateKey } from './certificate-key.js';
import type { CertificateAuthority, ClusterCas, ServiceAccountKeyPair } from './ca.js';

/** kubeadm constants KubeadmCertsSecret, KubeadmCertsClusterRoleName, DefaultCertTokenDuration. */
export const KUBEADM_CERTS_SECRET = 'kubeadm-certs';
export const KUBEADM_CERTS_ROLE = `kubeadm:${KUBEADM_CERTS_SECRET}`;
export const KUBEADM_CERTS_TOKEN_TTL = 2n * HOUR;
/** The description of the owner token (copycerts.createShortLivedBootstrapToken). */
export const KUBEADM_CERTS_TOKEN_DESCRIPTION = 'Proxy for managing TTL for the kubeadm-certs secret';

const NONCE_SIZE = 12;

/**
 * The files of an external etcd (ClusterConfiguration etcd.external caFile/certFile/keyFile), PEM. A file
 * left out is uploaded empty, as kubeadm does for a file that does not exist (insecure etcd).
 */
export interface ExternalEtcdCerts {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * What the kubeadm-certs Secret carries: the cluster CA, front-proxy CA and service-account keys, plus
 * either the etcd CA (stacked etcd) or the external etcd client files, never both (certsToTransfer).
 * ClusterCas is one of these.
 */
export interface KubeadmCerts {
  ca: CertificateAuthority;
  frontProxyCa: CertificateAuthority;
  serviceAccount: ServiceAccountKeyPair;
  etcdCa?: CertificateAuthority;
  externalEtcd?: ExternalEtcdCerts;
}

/** The bootstrap token Secret that owns kubeadm-certs, as read back from the API (its uid is set by the server). */
export interface KubeadmCertsOwner {
  /** `bootstrap-token-<id>`. */
  name: string;
  uid: string;
}

/** metav1.NewControllerRef(tokenSecret, v1 Secret). */
export interface SecretControllerReference {
  apiVersion: 'v1';
  kind: 'Secret';
  name: string;
  uid: string;
  controller: true;
  blockOwnerDeletion: true;
}

/** The Secret as kubeadm creates it: no `type` (the API server stores it as Opaque), base64 `data`. */
export interface KubeadmCertsSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: typeof KUBEADM_CERTS_SECRET;
    namespace: 'kube-system';
    ownerReferences: [SecretControllerReference];
  };
  data: Record<string, string>;
}

/** The owner token and the Secret to create for it. */
export interface KubeadmCertsOwnerToken {
  token: BootstrapToken;
  secret: BootstrapTokenSecret;
}

/** The data keys in stacked-etcd form: kubeadm's file names with `/` turned into `-` (certOrKeyNameToSecretName). */
const STACKED_KEYS = ['ca.crt', 'ca.key', 'etcd-ca.crt', 'etcd-ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub'];
const EXTERNAL_KEYS = [
  'ca.crt',
  'ca.key',
  'external-etcd-ca.crt',
  'external-etcd.crt',
  'external-etcd.key',
  'front-proxy-ca.crt',
  'front-proxy-ca.key',
  'sa.key',
  'sa.pub',
];

/** The data keys kubeadm's upload-certs writes, in byte order: with the etcd CA, or with external etcd's three files. */
export function kubeadmCertsSecretKeys(externalEtcd = false): string[] {
  return [...(externalEtcd ? EXTERNAL_KEYS : STACKED_KEYS)];
}

function invalidCerts(message: string, fix: string, path?: string): JoineryError {
  return new JoineryError('KUBEADM_CERTS_INVALID', message, fix, path === undefined ? {} : { path });
}

function requiredPem(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidCerts(`${path}: the PEM text is missing`, 'give every CA certificate and key (or generate them with generateClusterCas)', path);
  }
  return value;
}

/** The plain contents per data key, in byte order, checking that the certs have one shape or the other. */
function plainEntries(certs: KubeadmCerts): Array<[string, string]> {
  if (certs === null || typeof certs !== 'object') {
    throw invalidCerts('the certificates to upload must be an object with ca, frontProxyCa, serviceAccount and etcdCa', 'pass the result of generateClusterCas or loadClusterCas');
  }
  const stacked = certs.etcdCa !== undefined;
  if (stacked === (certs.externalEtcd !== undefined)) {
    throw invalidCerts(
      stacked
        ? 'both etcdCa and externalEtcd are given; kubeadm uploads the etcd CA only for stacked etcd'
        : 'neither etcdCa (stacked etcd) nor externalEtcd is given',
      'give etcdCa for a stacked etcd, or externalEtcd ({ca, cert, key}) for an external one',
      stacked ? 'externalEtcd' : 'etcdCa',
    );
  }
  const e: Record<string, string> = {
    'ca.crt': requiredPem(certs.ca?.cert, 'ca.cert'),
    'ca.key': requiredPem(certs.ca?.key, 'ca.key'),
    'front-proxy-ca.crt': requiredPem(certs.frontProxyCa?.cert, 'frontProxyCa.cert'),
    'front-proxy-ca.key': requiredPem(certs.frontProxyCa?.key, 'frontProxyCa.key'),
    'sa.key': requiredPem(certs.serviceAccount?.privateKey, 'serviceAccount.privateKey'),
    'sa.pub': requiredPem(certs.serviceAccount?.publicKey, 'serviceAccount.publicKey'),
  };
  if (certs.etcdCa !== undefined) {
    e['etcd-ca.crt'] = requiredPem(certs.etcdCa.cert, 'etcdCa.cert');
    e['etcd-ca.key'] = requiredPem(certs.etcdCa.key, 'etcdCa.key');
  } else {
    const x = certs.externalEtcd ?? {};
    for (const [k, v] of [
      ['external-etcd-ca.crt', x.ca],
      ['external-etcd.crt', x.cert],
      ['external-etcd.key', x.key],
    ] as const) {
      if (v !== undefined && typeof v !== 'string') {
        throw invalidCerts(`externalEtcd: ${k} must be PEM text`, 'give the contents of the external etcd files', 'externalEtcd');
      }
      e[k] = v ?? '';
    }
  }
  return (stacked ? STACKED_KEYS : EXTERNAL_KEYS).map((k) => [k, e[k] as string]);
}

function checkOwner(owner: KubeadmCertsOwner): void {
  if (owner === null || typeof owner !== 'object' || typeof owner.name !== 'string' || !/^bootstrap-token-[a-z0-9]{6}$/.test(owner.name)) {
    throw new JoineryError(
      'KUBEADM_CERTS_OWNER_INVALID',
      'owner.name: the owner of kubeadm-certs must be a bootstrap token Secret named bootstrap-token-<id>',
      'create the token with kubeadmCertsOwnerToken first and pass its Secret\'s name and uid as the API server returned them',
      { path: 'owner.name' },
    );
  }
  if (typeof owner.uid !== 'string' || owner.uid === '') {
    throw new JoineryError(
      'KUBEADM_CERTS_OWNER_INVALID',
      'owner.uid: the uid of the owner token Secret is missing',
      'pass metadata.uid of the bootstrap token Secret as the API server returned it after creating it',
      { path: 'owner.uid' },
    );
  }
}

/**
 * The `kube-system/kubeadm-certs` Secret exactly as kubeadm's UploadCerts writes it: each data value is
 * `nonce || AES-256-GCM(file) || tag` under the certificate key (a fresh 12-byte nonce per value from
 * `random`), base64; keys as kubeadmCertsSecretKeys (etcd-ca.* for stacked etcd, external-etcd* for external
 * etcd, a missing external file as an empty value); one ownerReference, the controller reference
 * (controller and blockOwnerDeletion true) to the owner token's Secret. Throws KUBEADM_CERTS_INVALID,
 * KUBEADM_CERTS_OWNER_INVALID or CERTIFICATE_KEY_INVALID; no key material is ever quoted.
 */
export function kubeadmCertsSecret(
  certs: KubeadmCerts,
  certificateKey: string | Uint8Array,
  owner: KubeadmCertsOwner,
  random: RandomBytes = cryptoRandomBytes,
): KubeadmCertsSecret {
  const key = typeof certificateKey === 'string' ? parseCertificateKey(certificateKey) : certificateKey;
  checkOwner(owner);
  const data: Record<string, string> = {};
  for (const [name, plain] of plainEntries(certs)) {
    if (plain === '') {
      data[name] = '';
      continue;
    }
    const nonce = random(NONCE_SIZE);
    data[name] = encryptWithCertificateKey(Buffer.from(plain, 'utf8'), key, nonce).toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: KUBEADM_CERTS_SECRET,
      namespace: 'kube-system',
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Secret', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    data,
  };
}

/**
 * The short-lived token kubeadm creates to own kubeadm-certs (createShortLivedBootstrapToken): a fresh
 * token, description "Proxy for managing TTL for the kubeadm-certs secret", TTL 2h from `now`, and no
 * usages and no extra groups (kubeadm sets none and applies no defaults there), so it cannot authenticate
 * or sign: it only carries the expiration. Returns the token and its Secret (tokenSecret at `now`).
 */
export function kubeadmCertsOwnerToken(now: Date, random: RandomBytes = cryptoRandomBytes): KubeadmCertsOwnerToken {
  const token: BootstrapToken = {
    token: parseBootstrapToken(generateBootstrapToken(random)),
    description: KUBEADM_CERTS_TOKEN_DESCRIPTION,
    ttl: KUBEADM_CERTS_TOKEN_TTL,
    usages: [],
    groups: [],
  };
  return { token, secret: tokenSecret(token, now) };
}

/** The Role and RoleBinding of kubeadm's upload-certs (createRBAC): bootstrap tokens may `get` kubeadm-certs. */
export function kubeadmCertsRbac(): [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1';
    kind: 'Role';
    metadata: { name: string; namespace: 'kube-system' };
    rules: Array<{ verbs: string[]; apiGroups: string[]; resources: string[]; resourceNames: string[] }>;
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1';
    kind: 'RoleBinding';
    metadata: { name: string; namespace: 'kube-system' };
    roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'Role'; name: string };
    subjects: Array<{ kind: 'Group'; name: string }>;
  },
] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: KUBEADM_CERTS_ROLE, namespace: 'kube-system' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: [KUBEADM_CERTS_SECRET] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: KUBEADM_CERTS_ROLE, namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: KUBEADM_CERTS_ROLE },
      subjects: [{ kind: 'Group', name: DEFAULT_TOKEN_GROUPS[0] as string }],
    },
  ];
}

const FIX_REUPLOAD =
  'run `kubeadm init phase upload-certs --upload-certs` on a control-plane node (or upload them again with joinery) and use the new certificate key';

/** writeCertOrKey's check, per kind of file: each entry must be what its name says. */
function checkContent(name: string, text: string): void {
  const path = `data[${name}]`;
  const bad = (what: string): JoineryError =>
    new JoineryError('KUBEADM_CERTS_INVALID', `${path}: the decrypted ${name} is not ${what}`, FIX_REUPLOAD, { path });
  if (name === 'sa.pub') {
    try {
      createPublicKey({ key: text, format: 'pem' });
    } catch {
      throw bad('a PEM public key');
    }
  } else if (name.endsWith('.key')) {
    try {
      if (!text.includes('-----BEGIN ')) throw new Error('not PEM');
      createPrivateKey({ key: text, format: 'pem' });
    } catch {
      throw bad('a PEM private key');
    }
  } else {
    try {
      if (bundleCertificates(text).length === 0) throw new Error('no certificate');
    } catch {
      throw bad('a PEM certificate');
    }
  }
}

/**
 * The certificates in a kubeadm-certs Secret (as the API returns it), opened with the certificate key as
 * `kubeadm join --control-plane` does (DownloadCerts): every non-empty value is decrypted, and any failure
 * fails the whole Secret (CERTIFICATE_KEY_MISMATCH, family trust). The etcd CA is returned for stacked etcd,
 * externalEtcd (empty files left out) for external etcd. Throws KUBEADM_CERTS_INVALID when a value is not
 * base64, a required file is missing or empty, or a file is not the PEM its name says; nothing decrypted is
 * ever quoted.
 */
export function decodeKubeadmCertsSecret(secret: SecretManifest, certificateKey: string | Uint8Array): KubeadmCerts {
  const key = typeof certificateKey === 'string' ? parseCertificateKey(certificateKey) : certificateKey;
  const data: unknown = secret !== null && typeof secret === 'object' ? (secret as { data?: unknown }).data : undefined;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw invalidCerts(
      'the kubeadm-certs Secret has no data',
      `read kube-system/${KUBEADM_CERTS_SECRET} from the API server unchanged; if it is gone (it lives two hours), ${FIX_REUPLOAD}`,
      'data',
    );
  }
  const plain = new Map<string, string>();
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value !== 'string' || !isStdBase64(value)) {
      throw invalidCerts(`data[${name}]: the value is not base64`, `read kube-system/${KUBEADM_CERTS_SECRET} from the API server unchanged`, `data[${name}]`);
    }
    const sealed = Buffer.from(value, 'base64');
    plain.set(name, sealed.length === 0 ? '' : decryptWithCertificateKey(sealed, key).toString('utf8'));
  }
  const stacked = !plain.has('external-etcd-ca.crt') && !plain.has('external-etcd.crt') && !plain.has('external-etcd.key');
  const required = stacked ? STACKED_KEYS : ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.key', 'sa.pub'];
  for (const name of required) {
    const text = plain.get(name);
    if (text === undefined || text === '') {
      throw invalidCerts(
        `data[${name}]: the kubeadm-certs Secret does not include ${name}`,
        FIX_REUPLOAD,
        `data[${name}]`,
      );
    }
  }
  for (const name of stacked ? STACKED_KEYS : EXTERNAL_KEYS) {
    const text = plain.get(name);
    if (text !== undefined && text !== '') checkContent(name, text);
  }
  const get = (name: string): string => plain.get(name) as string;
  const out: KubeadmCerts = {
    ca: { cert: get('ca.crt'), key: get('ca.key') },
    frontProxyCa: { cert: get('front-proxy-ca.crt'), key: get('front-proxy-ca.key') },
    serviceAccount: { publicKey: get('sa.pub'), privateKey: get('sa.key') },
  };
  if (stacked) {
    out.etcdCa = { cert: get('etcd-ca.crt'), key: get('etcd-ca.key') };
  } else {
    const x: ExternalEtcdCerts = {};
    const ca = plain.get('external-etcd-ca.crt');
    const cert = plain.get('external-etcd.crt');
    const k = plain.get('external-etcd.key');
    if (ca) x.ca = ca;
    if (cert) x.cert = cert;
    if (k) x.key = k;
    out.externalEtcd = x;
  }
  return out;
}

/** The ClusterCas of a decoded stacked-etcd Secret; throws KUBEADM_CERTS_INVALID for an external-etcd one. */
export function clusterCasOfKubeadmCerts(certs: KubeadmCerts): ClusterCas {
  if (certs.etcdCa === undefined) {
    throw invalidCerts(
      'the kubeadm-certs Secret is for an external etcd: it carries no etcd CA',
      'use the external etcd files (externalEtcd) instead of an etcd CA',
      'etcdCa',
    );
  }
  return { ca: certs.ca, etcdCa: certs.etcdCa, frontProxyCa: certs.frontProxyCa, serviceAccount: certs.serviceAccount };
}
