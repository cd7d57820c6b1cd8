/**
 * The machine spec: Cluster API's `KubeadmConfig.spec` (bootstrap.cluster.x-k8s.io/v1beta1) after
 * reading and checking, with the kubeadm sections in src/kubeadm's version-neutral model, file contents
 * decoded to bytes, and one joinery extension (`kubernetesBinaries`). See docs/machine-spec.md.
 */
import type {
  BootstrapTokenDiscovery,
  ClusterConfiguration,
  Discovery,
  InitConfiguration,
  JoinConfiguration,
} from '../../kubeadm/index.js';
import type { Format, PlanDiskSetup, PlanNtp, PlanUser } from '../plan.js';

/** A key of a Secret in the cluster (Cluster API's SecretFileSource / SecretPasswdSource). */
export interface SecretRef {
  name: string;
  key: string;
}

/** Cluster API's file encodings (cloud-init's write_files encodings). */
export const FILE_ENCODINGS = ['base64', 'gzip', 'gzip+base64'] as const;
export type FileEncoding = (typeof FILE_ENCODINGS)[number];

/** One of `files[]`. */
export interface SpecFile {
  path: string;
  /** `user:group` (or `user`), as given. */
  owner?: string;
  /** Mode bits from `permissions` ("0640" → 0o640); undefined: the renderers' default 0644. */
  mode?: number;
  /** The encoding the content was given in (already undone in `content`). */
  encoding?: FileEncoding;
  append?: boolean;
  /** The decoded bytes; undefined while the content still comes from `contentFrom`. */
  content?: Uint8Array;
  /** Content from a Secret, not yet fetched (resolveSecretRefs fills `content` and drops it). */
  contentFrom?: { secret: SecretRef };
}

/** One of `users[]`: PlanUser plus the reference of a password hash kept in a Secret. */
export interface SpecUser extends PlanUser {
  passwdFrom?: { secret: SecretRef };
}

/** The token-discovery fields a spec may set; the role fills the rest from the credentials. */
export type SpecBootstrapTokenDiscovery = Partial<BootstrapTokenDiscovery>;

export interface SpecDiscovery extends Omit<Discovery, 'bootstrapToken'> {
  bootstrapToken?: SpecBootstrapTokenDiscovery;
}

/** A JoinConfiguration whose discovery may be partial (Cluster API fills discovery in; so does joinery). */
export interface SpecJoinConfiguration extends Omit<JoinConfiguration, 'discovery'> {
  discovery?: SpecDiscovery;
}

export const KUBERNETES_BINARY_NAMES = ['kubeadm', 'kubelet', 'kubectl'] as const;
export type KubernetesBinaryName = (typeof KUBERNETES_BINARY_NAMES)[number];

/** joinery's `kubernetesBinaries` extension: binaries fetched, checked and installed before kubeadm runs. */
export interface SpecKubernetesBinaries {
  /** `vX.Y.Z` for the `{{version}}` placeholder; undefined: the node's Kubernetes version. */
  version?: string;
  /** Where they are installed; default /usr/local/bin. */
  installDir: string;
  /** In the order kubeadm, kubelet, kubectl; `url` may still hold `{{version}}` and `{{name}}`. */
  binaries: { name: KubernetesBinaryName; url: string; sha256: string }[];
}

export interface MachineSpec {
  clusterConfiguration?: ClusterConfiguration;
  /** Also holds the ClusterConfiguration's apiServer.timeoutForControlPlane (timeouts.controlPlaneComponentHealthCheck). */
  initConfiguration?: InitConfiguration;
  joinConfiguration?: SpecJoinConfiguration;
  files: SpecFile[];
  bootCommands: string[];
  preKubeadmCommands: string[];
  postKubeadmCommands: string[];
  users: SpecUser[];
  ntp?: PlanNtp;
  diskSetup?: PlanDiskSetup;
  mounts?: string[][];
  /** Undefined: the caller chooses (Cluster API defaults to cloud-config). */
  format?: Format;
  verbosity?: number;
  /** Read and ignored: kubeadm retries the join itself (Cluster API deprecated the field). */
  useExperimentalRetryJoin?: boolean;
  /** Cluster API's `ignition`; only `strict` (meaningless without additionalConfig) is accepted. */
  ignition?: { containerLinuxConfig?: { strict?: boolean } };
  kubernetesBinaries?: SpecKubernetesBinaries;
}
