/**
 * The roles (issue 4 §2): first control plane (init), joining control plane and worker, each a
 * function from a machine spec and credentials to the neutral BootPlan the renderers translate.
 */
export {
  bootPlan,
  DEFAULT_CERTIFICATES_DIR,
  DEFAULT_CLUSTER_NAME,
  DEFAULT_DISCOVERY_KUBECONFIG_PATH,
  DEFAULT_DNS_DOMAIN,
  DEFAULT_SERVICE_SUBNET,
} from './boot-plan.js';
export {
  checkClusterCas,
  CREDENTIALS_INVALID,
  type CaKeyPair,
  type ClusterCas,
  type InitCredentials,
  type JoinCredentials,
  type JoinDiscovery,
} from './credentials.js';
