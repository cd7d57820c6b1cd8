/**
 * Discovery of kubeadm's join protocol, free of I/O: the cluster-info kubeconfig and its JWS, the
 * kubeconfigs a joining node writes, and the node-side checks of token discovery.
 */
export { detachedJws, jwsKeyOfTokenId, verifyDetachedJws } from './jws.js';
export {
  clusterInfoKubeconfig,
  discoveryFileKubeconfig,
  parseClusterInfoKubeconfig,
  tlsBootstrapKubeconfig,
} from './kubeconfig.js';
export type { ClusterInfo } from './kubeconfig.js';
export { compareClusterInfo, verifyClusterInfo } from './cluster-info.js';
export type { VerifiedClusterInfo, VerifyClusterInfoInput } from './cluster-info.js';
export { endpointUnreachable, isTlsVerificationCode, parseApiServerEndpoint, tlsFailureDiagnosis } from './diagnosis.js';
export type { ApiServerEndpoint, PeerCertificateFacts, TlsFailure } from './diagnosis.js';
