/**
 * One version-neutral model of kubeadm's InitConfiguration, ClusterConfiguration and JoinConfiguration,
 * able to hold everything kubeadm.k8s.io/v1beta2, v1beta3 and v1beta4 can say. Its shape follows
 * v1beta4 (kubeadm's newest API and the closest to kubeadm's internal types): extra arguments are
 * `{name, value}` lists and timeouts live in `timeouts`. Durations are nanoseconds (bigint, as in
 * src/duration), times are Dates. A field left undefined is "not set" and is not written.
 *
 * Where versions differ (see the converters in v1beta2.ts, v1beta3.ts, v1beta4.ts):
 * - `timeouts.discovery` of a JoinConfiguration is `discovery.timeout` before v1beta4;
 * - `timeouts.controlPlaneComponentHealthCheck` of an InitConfiguration is
 *   `apiServer.timeoutForControlPlane` of the ClusterConfiguration before v1beta4;
 * - extra arguments are maps before v1beta4 (so one name cannot appear twice there);
 * - `dns.type` and `useHyperKubeImage` exist only in v1beta2.
 */

/** Go duration in nanoseconds (time.Duration). */
export type Duration = bigint;

/** A command-line flag for a component, without leading dashes (v1beta4 `Arg`). */
export interface Arg {
  name: string;
  value: string;
}

/** An environment variable with a literal value (v1beta4 `EnvVar`; valueFrom is not supported). */
export interface EnvVar {
  name: string;
  value: string;
}

export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export type TaintEffect = (typeof TAINT_EFFECTS)[number];

/** core/v1 Taint, as kubeadm registers the Node with it. */
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

export interface NodeRegistration {
  name?: string;
  criSocket?: string;
  /** undefined: kubeadm's default (control-plane taint on control-plane nodes); []: no taints. */
  taints?: Taint[];
  kubeletExtraArgs?: Arg[];
  ignorePreflightErrors?: string[];
  /** v1beta3+. */
  imagePullPolicy?: PullPolicy;
  /** v1beta4. */
  imagePullSerial?: boolean;
}

export interface APIEndpoint {
  advertiseAddress?: string;
  bindPort?: number;
}

/** v1beta4 Timeouts. */
export interface Timeouts {
  controlPlaneComponentHealthCheck?: Duration;
  kubeletHealthCheck?: Duration;
  kubernetesAPICall?: Duration;
  etcdAPICall?: Duration;
  tlsBootstrap?: Duration;
  discovery?: Duration;
  upgradeManifests?: Duration;
}

export const TIMEOUT_NAMES = [
  'controlPlaneComponentHealthCheck',
  'kubeletHealthCheck',
  'kubernetesAPICall',
  'etcdAPICall',
  'tlsBootstrap',
  'discovery',
  'upgradeManifests',
] as const satisfies readonly (keyof Timeouts)[];

export interface Patches {
  directory?: string;
}

export interface BootstrapTokenDiscovery {
  token: string;
  apiServerEndpoint?: string;
  caCertHashes?: string[];
  unsafeSkipCAVerification?: boolean;
}

export interface FileDiscovery {
  kubeConfigPath: string;
}

export interface Discovery {
  bootstrapToken?: BootstrapTokenDiscovery;
  file?: FileDiscovery;
  tlsBootstrapToken?: string;
}

export interface JoinControlPlane {
  localAPIEndpoint?: APIEndpoint;
  certificateKey?: string;
}

export interface JoinConfiguration {
  dryRun?: boolean;
  nodeRegistration?: NodeRegistration;
  caCertPath?: string;
  discovery: Discovery;
  controlPlane?: JoinControlPlane;
  skipPhases?: string[];
  patches?: Patches;
  timeouts?: Timeouts;
}

/** A bootstrap token for `kubeadm init` to create (bootstraptoken/v1 BootstrapToken). */
export interface BootstrapToken {
  // No `expires`: kubeadm defaults every token's ttl and refuses ttl next to expires, so it never
  // accepts a document with one (the parser says so at bootstrapTokens[i].expires).
  /** Absent: kubeadm generates one (SetBootstrapTokensDynamicDefaults). */
  token?: string;
  description?: string;
  ttl?: Duration;
  usages?: string[];
  groups?: string[];
}

export interface InitConfiguration {
  bootstrapTokens?: BootstrapToken[];
  dryRun?: boolean;
  nodeRegistration?: NodeRegistration;
  localAPIEndpoint?: APIEndpoint;
  certificateKey?: string;
  skipPhases?: string[];
  patches?: Patches;
  timeouts?: Timeouts;
}

export const HOST_PATH_TYPES = [
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
] as const;
export type HostPathType = (typeof HOST_PATH_TYPES)[number];

export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly?: boolean;
  pathType?: HostPathType;
}

export interface ControlPlaneComponent {
  extraArgs?: Arg[];
  extraVolumes?: HostPathMount[];
  /** v1beta4. */
  extraEnvs?: EnvVar[];
}

export interface APIServer extends ControlPlaneComponent {
  certSANs?: string[];
}

export interface LocalEtcd {
  imageRepository?: string;
  imageTag?: string;
  dataDir?: string;
  extraArgs?: Arg[];
  /** v1beta4. */
  extraEnvs?: EnvVar[];
  serverCertSANs?: string[];
  peerCertSANs?: string[];
}

export interface ExternalEtcd {
  endpoints: string[];
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface Etcd {
  local?: LocalEtcd;
  external?: ExternalEtcd;
}

export interface Networking {
  serviceSubnet?: string;
  podSubnet?: string;
  dnsDomain?: string;
}

export const DNS_TYPES = ['CoreDNS', 'kube-dns'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DNS {
  /** v1beta2 only; v1beta3+ always use CoreDNS, so `CoreDNS` is dropped when writing them. */
  type?: DnsType;
  imageRepository?: string;
  imageTag?: string;
  /** v1beta4. */
  disabled?: boolean;
}

export const ENCRYPTION_ALGORITHMS = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export interface ClusterConfiguration {
  etcd?: Etcd;
  networking?: Networking;
  kubernetesVersion?: string;
  controlPlaneEndpoint?: string;
  apiServer?: APIServer;
  controllerManager?: ControlPlaneComponent;
  scheduler?: ControlPlaneComponent;
  dns?: DNS;
  /** v1beta4. */
  proxy?: { disabled?: boolean };
  certificatesDir?: string;
  imageRepository?: string;
  /** v1beta2 only (deprecated there). */
  useHyperKubeImage?: boolean;
  featureGates?: Record<string, boolean>;
  clusterName?: string;
  /** v1beta4. */
  encryptionAlgorithm?: EncryptionAlgorithm;
  /** v1beta4. */
  certificateValidityPeriod?: Duration;
  /** v1beta4. */
  caCertificateValidityPeriod?: Duration;
}

/** A set of kubeadm documents that belong together (one config file). */
export interface KubeadmConfig {
  init?: InitConfiguration;
  cluster?: ClusterConfiguration;
  join?: JoinConfiguration;
}
