/**
 * joinery's kubelet client CSR approver (issue 5 §4): a CSR made with a joinery bootstrap token is
 * approved only when it asks for exactly the node the token was minted for, with the subject, signer
 * and usages Kubernetes' own csrapprover requires of a kubelet client certificate; every other CSR
 * from a joinery token is denied with a stable reason. CSRs of other tokens are left alone ('ignore'),
 * so `kubeadm token create` tokens keep kube-controller-manager's behaviour. No I/O.
 */
import { JoineryError } from '../../errors/index.js';
import { parseCertificateRequest, type CertificateRequest } from './csr.js';

/** The group joinery's bootstrap tokens carry instead of kubeadm's system:bootstrappers:kubeadm:default-node-token. */
export const JOINERY_NODE_GROUP = 'system:bootstrappers:joinery:nodes';
/** certificates.k8s.io's signer of kubelet client certificates (capi.KubeAPIServerClientKubeletSignerName). */
export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** The `Approved` condition's reason joinery writes. */
export const APPROVED_REASON = 'JoineryApproved';

/** Stable reasons of a 'deny' verdict (the `reason` of the CSR's Denied condition). */
export const DENY_REASONS = [
  'UsernameNotBootstrapToken',
  'TokenNotLive',
  'SignerNotKubeletClient',
  'RequestInvalid',
  'SignatureInvalid',
  'CommonNameInvalid',
  'NodeNameMismatch',
  'OrganizationInvalid',
  'SubjectAltNamesPresent',
  'UsagesInvalid',
  'PublicKeyUnsupported',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type CsrVerdict =
  | { verdict: 'approve'; reason: typeof APPROVED_REASON; message: string }
  | { verdict: 'deny'; reason: DenyReason; message: string }
  | { verdict: 'ignore'; reason: 'NotJoineryToken'; message: string };

/** The parts of a CertificateSigningRequest (certificates.k8s.io/v1) the verdict reads. */
export interface CsrInput {
  /** spec.username, e.g. system:bootstrap:abcdef. */
  username: string;
  /** spec.groups. */
  groups: readonly string[];
  /** spec.signerName. */
  signerName: string;
  /** spec.usages. */
  usages: readonly string[];
  /** spec.request: the base64 of the PEM (as the API's JSON carries it), or the PEM itself. */
  request: string | Uint8Array;
}

const DIGITAL_SIGNATURE = 'digital signature';
const KEY_ENCIPHERMENT = 'key encipherment';
const CLIENT_AUTH = 'client auth';

/**
 * The usage sets Kubernetes' csrapprover (sarapprove.go isNodeClientCert → certificates helpers
 * IsKubeletClientCSR) accepts for a kubelet client certificate on a cluster of this version:
 * {digital signature, key encipherment, client auth} always; from 1.25 also {digital signature,
 * client auth} (kubernetes/kubernetes#111061, the approver and signer half of #109077; 1.27's #111660
 * relaxed API validation and made kubelets with non-RSA keys request it).
 */
export function kubeletClientUsageSets(cluster: { major: number; minor: number }): string[][] {
  const sets = [[DIGITAL_SIGNATURE, KEY_ENCIPHERMENT, CLIENT_AUTH]];
  if (cluster.major > 1 || (cluster.major === 1 && cluster.minor >= 25)) sets.push([DIGITAL_SIGNATURE, CLIENT_AUTH]);
  return sets;
}

/** `"worker-a"`, shortened and escaped for a condition message. */
function q(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}...` : name);
}

function requestPem(request: string | Uint8Array): string | Uint8Array {
  if (typeof request !== 'string' || request.trimStart().startsWith('-----BEGIN')) return request;
  const compact = request.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    throw new JoineryError('CSR_INVALID', 'the certificate signing request is malformed: spec.request is neither base64 nor PEM', 'send spec.request as the base64 of a PEM CERTIFICATE REQUEST');
  }
  return Buffer.from(compact, 'base64');
}

/**
 * Decides a CertificateSigningRequest made with a bootstrap token (issue 5 §4). `binding` is the node
 * name of the live joinery token whose ID the username names (undefined when that token is expired,
 * revoked, used or not joinery's); `cluster` is the control plane's version, which decides the usage
 * sets (see kubeletClientUsageSets).
 *
 * - 'ignore' when the requester lacks JOINERY_NODE_GROUP: not joinery's to decide.
 * - 'approve' only when the username is system:bootstrap:<token-id>, the token is live and bound to N,
 *   the signer is kubernetes.io/kube-apiserver-client-kubelet, the request's self-signature verifies
 *   (SHA-256 or stronger; RSA keys of 2048 bits or more), the subject is exactly one CN
 *   system:node:N and O exactly [system:nodes] (as csrapprover), there is no subjectAltName at all
 *   (csrapprover refuses DNS/IP/email/URI names; joinery refuses the extension), and the usages are an
 *   accepted set.
 * - 'deny' otherwise, with a stable reason and a message naming what was expected and what was
 *   presented (node names, token ID; never a token secret).
 */
export function kubeletClientCsrVerdict(csr: CsrInput, binding: { nodeName: string } | undefined, cluster: { major: number; minor: number }): CsrVerdict {
  if (!csr.groups.includes(JOINERY_NODE_GROUP)) {
    return { verdict: 'ignore', reason: 'NotJoineryToken', message: `the requester is not in ${JOINERY_NODE_GROUP}` };
  }
  const deny = (reason: DenyReason, message: string): CsrVerdict => ({ verdict: 'deny', reason, message });
  const m = /^system:bootstrap:([a-z0-9]{6})$/.exec(csr.username);
  if (!m) return deny('UsernameNotBootstrapToken', `the requester ${q(csr.username)} is in ${JOINERY_NODE_GROUP} but is not a bootstrap token (system:bootstrap:<token-id>)`);
  const tokenId = m[1] as string;
  if (binding === undefined) {
    return deny('TokenNotLive', `bootstrap token ${tokenId} is not a live joinery token (expired, revoked or already used for its node)`);
  }
  const expected = binding.nodeName;
  if (csr.signerName !== KUBELET_CLIENT_SIGNER) {
    return deny('SignerNotKubeletClient', `signer ${q(csr.signerName)} is not ${KUBELET_CLIENT_SIGNER}: bootstrap token ${tokenId} (node ${q(expected)}) may only request a kubelet client certificate`);
  }
  let req: CertificateRequest;
  try {
    req = parseCertificateRequest(requestPem(csr.request));
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    return deny('RequestInvalid', `${err.message} (bootstrap token ${tokenId}, node ${q(expected)})`);
  }
  if (!req.signatureValid) {
    return deny('SignatureInvalid', `the request's signature (${req.signatureAlgorithm}, ${req.publicKeyAlgorithm} key) does not verify, or its algorithm is weaker than SHA-256 (node ${q(expected)})`);
  }
  const want = `system:node:${expected}`;
  if (req.commonNames.length !== 1 || !req.commonName.startsWith('system:node:')) {
    const got = req.commonNames.length === 0 ? 'no common name' : req.commonNames.map(q).join(', ');
    return deny('CommonNameInvalid', `the subject has ${got}; expected exactly one, ${q(want)}`);
  }
  const presented = req.commonName.slice('system:node:'.length);
  if (presented !== expected) {
    return deny('NodeNameMismatch', `the request is for node ${q(presented)} (CN ${q(req.commonName)}) but bootstrap token ${tokenId} was minted for node ${q(expected)}`);
  }
  if (req.organizations.length !== 1 || req.organizations[0] !== 'system:nodes') {
    return deny('OrganizationInvalid', `the subject's organizations are [${req.organizations.map(q).join(', ')}]; expected exactly ["system:nodes"] (node ${q(expected)})`);
  }
  if (req.hasSubjectAltName) {
    const names = [...req.dnsNames, ...req.ipAddresses, ...req.emailAddresses, ...req.uris];
    return deny('SubjectAltNamesPresent', `a kubelet client certificate has no subjectAltName, and the request asks for ${names.length === 0 ? 'one' : names.map(q).join(', ')} (node ${q(expected)})`);
  }
  const usages = [...new Set(csr.usages)].sort();
  const sets = kubeletClientUsageSets(cluster);
  if (!sets.some((s) => s.length === usages.length && [...s].sort().every((u, i) => u === usages[i]))) {
    return deny(
      'UsagesInvalid',
      `usages [${usages.join(', ')}] are not ${sets.map((s) => `[${s.join(', ')}]`).join(' or ')}, the kubelet client usages Kubernetes ${cluster.major}.${cluster.minor} accepts (node ${q(expected)})`,
    );
  }
  if (req.publicKeyAlgorithm === 'RSA' && (req.publicKeyBits ?? 0) < 2048) {
    return deny('PublicKeyUnsupported', `the request's RSA key has ${req.publicKeyBits ?? 'unknown'} bits; at least 2048 are required (node ${q(expected)})`);
  }
  if (req.publicKeyAlgorithm !== 'RSA' && req.publicKeyAlgorithm !== 'Ed25519' && !(req.publicKeyAlgorithm === 'ECDSA' && req.publicKeyBits !== undefined)) {
    return deny('PublicKeyUnsupported', `the request's ${req.publicKeyAlgorithm} key is not one Kubernetes signs (RSA, ECDSA P-256/P-384/P-521, Ed25519) (node ${q(expected)})`);
  }
  return {
    verdict: 'approve',
    reason: APPROVED_REASON,
    message: `approved by joinery: bootstrap token ${tokenId} was minted for node ${q(expected)} and the request is that node's kubelet client certificate`,
  };
}
