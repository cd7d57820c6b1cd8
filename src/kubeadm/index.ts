/**
 * kubeadm's config API (kubeadm.k8s.io/v1beta2, v1beta3, v1beta4): a version-neutral model of
 * InitConfiguration, ClusterConfiguration and JoinConfiguration, converters to and from each versioned
 * document, a writer that produces kubeadm's own YAML style, and a strict reader for users' files.
 * No I/O.
 */
export * from './model.js';
export {
  configApiVersion,
  parseKubernetesVersion,
  kubeadmApiVersion,
  CONFIG_API_VERSIONS,
  KUBEADM_GROUP,
  type ConfigApiVersion,
  type KubernetesVersion,
} from './version.js';
export {
  joinConfigurationDocument,
  initConfigurationDocument,
  clusterConfigurationDocument,
  kubeadmDocuments,
  emitKubeadmYaml,
  type KubeadmDocument,
} from './emit.js';
export { parseKubeadmDocuments, goYamlDocuments, type KubeadmDocuments, type OtherDocument } from './parse.js';
export { validateNodeName, DNS1123_LABEL, DNS1123_SUBDOMAIN } from './node-name.js';
export { closestName } from './rules.js';
