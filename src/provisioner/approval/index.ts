/**
 * Node identity binding (issue 5 §4): reading kubelet CSRs and deciding those made with joinery's
 * single-node bootstrap tokens.
 */
export { parseCertificateRequest, CSR_INVALID, MAX_CSR_BYTES, type CertificateRequest } from './csr.js';
export {
  kubeletClientCsrVerdict,
  kubeletClientUsageSets,
  JOINERY_NODE_GROUP,
  KUBELET_CLIENT_SIGNER,
  APPROVED_REASON,
  DENY_REASONS,
  type CsrInput,
  type CsrVerdict,
  type DenyReason,
} from './verdict.js';
