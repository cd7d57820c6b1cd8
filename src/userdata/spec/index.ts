/**
 * The machine spec (issue 4 §1): Cluster API's KubeadmConfig.spec as it is, read strictly into one
 * value — kubeadm sections in src/kubeadm's model, files decoded, Secret references kept until the
 * cluster edge resolves them — plus joinery's kubernetesBinaries extension. See docs/machine-spec.md.
 */
export { parseMachineSpec, resolveSecretRefs } from './parse.js';
export { decodeFileContent, MAX_FILE_BYTES } from './files.js';
export { SPEC_INVALID, SPEC_UNKNOWN_FIELD, SPEC_UNSUPPORTED, SPEC_YAML_INVALID } from './check.js';
export {
  FILE_ENCODINGS,
  KUBERNETES_BINARY_NAMES,
  type FileEncoding,
  type KubernetesBinaryName,
  type MachineSpec,
  type SecretRef,
  type SpecBootstrapTokenDiscovery,
  type SpecDiscovery,
  type SpecFile,
  type SpecJoinConfiguration,
  type SpecKubernetesBinaries,
  type SpecUser,
} from './model.js';
