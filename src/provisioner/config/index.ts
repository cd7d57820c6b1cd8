/**
 * joinery.yaml, the provisioner's configuration (issue 5 §1): listen address, TLS, kubeconfig, API
 * keys (hashes only) and profiles, read strictly with errors that name file, line, column and path.
 */
export {
  parseProvisionerConfig,
  publicBaseUrl,
  isLoopbackHost,
  nodeNameAllowed,
  configSkeleton,
  configPath,
  CONFIG_INVALID,
  CONFIG_UNKNOWN_FIELD,
  CONFIG_YAML_INVALID,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  DEFAULT_NODE_NAME_PATTERN,
  EXAMPLE_API_KEY,
  DEFAULT_RATE_LIMIT,
  DEFAULT_LEADER_ELECTION,
} from './parse.js';
export {
  API_KEY_SCOPES,
  PROFILE_ROLES,
  type ApiKey,
  type ApiKeyScope,
  type FileTls,
  type InsecureLoopbackTls,
  type LeaderElectionConfig,
  type RateLimit,
  type ListenAddress,
  type Profile,
  type ProfileRole,
  type ProvisionerConfig,
  type TlsConfig,
} from './model.js';
