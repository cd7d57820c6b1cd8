/**
 * The neutral boot plan (DESIGN "One plan, three renderers"): what a machine must do to become a node,
 * independent of the format that carries it. A role (init, control-plane, worker) builds one plan
 * from a MachineSpec and the credentials; cloud-config, Ignition and the shell script are thin
 * translations of it, so no role logic lives in a renderer.
 */

/** The three roles of Cluster API's kubeadm bootstrap provider. */
export const ROLES = ['init', 'control-plane', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** The three bootstrap-data formats. */
export const FORMATS = ['cloud-config', 'ignition', 'script'] as const;
export type Format = (typeof FORMATS)[number];

/** One file to write on the machine, with its final bytes (encodings from the spec already undone). */
export interface PlanFile {
  /** Absolute path on the machine. */
  path: string;
  content: Uint8Array;
  /** Unix mode bits, e.g. 0o644; files with `secret: true` are always 0o600. */
  mode: number;
  /** `user:group` as in Cluster API's `files[].owner`; absent means root:root. */
  owner?: string;
  /** Append to an existing file instead of replacing it. */
  append?: boolean;
  /** Holds a token, a private key or a certificate key: mode 0600, never on a command line or in a log. */
  secret: boolean;
}

/** A login user, as Cluster API's `users[]`. `passwd` is a crypted hash, never a plain password. */
export interface PlanUser {
  name: string;
  gecos?: string;
  groups?: string[];
  homeDir?: string;
  inactive?: boolean;
  shell?: string;
  passwd?: string;
  primaryGroup?: string;
  lockPassword?: boolean;
  sudo?: string;
  sshAuthorizedKeys?: string[];
}

/** Kubernetes binaries fetched before kubeadm runs; the checksum is verified and a mismatch fails the boot. */
export interface PlanBinary {
  name: 'kubeadm' | 'kubelet' | 'kubectl';
  url: string;
  /** Lowercase hex SHA-256 of the file. */
  sha256: string;
  /** Where it is installed, e.g. /usr/local/bin/kubeadm (mode 0755). */
  path: string;
}

export interface PlanNtp {
  enabled?: boolean;
  servers: string[];
}

/**
 * Disk partitions, filesystems and mounts, kept in Cluster API's shape. cloud-config maps them to
 * `disk_setup`/`fs_setup`/`mounts`; Ignition to `storage.disks`/`filesystems`; the script refuses them.
 */
export interface PlanDiskSetup {
  partitions?: { device: string; layout: boolean; overwrite?: boolean; tableType?: string }[];
  filesystems?: {
    device: string;
    filesystem: string;
    label: string;
    partition?: string;
    overwrite?: boolean;
    replaceFS?: string;
    extraOpts?: string[];
  }[];
}

export interface BootPlan {
  role: Role;
  nodeName: string;
  /** Files in write order (kubeadm's config file among them). */
  files: PlanFile[];
  /** Run as early as possible (cloud-init `bootcmd`); the other formats run them first. */
  bootCommands: string[];
  preKubeadmCommands: string[];
  /** The kubeadm invocation, e.g. `kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml`. Never holds a secret. */
  kubeadmCommand: string;
  postKubeadmCommands: string[];
  users: PlanUser[];
  ntp?: PlanNtp;
  diskSetup?: PlanDiskSetup;
  /** Cluster API's `mounts`: each entry is an fstab-like list [device, mountpoint, ...]. */
  mounts?: string[][];
  binaries: PlanBinary[];
  /** The plan runs only while this path does not exist (kubeadm writes it on success). */
  runOnceGuard: string;
  /** Written after kubeadm succeeds, as Cluster API's bootstrap-success sentinel. */
  sentinel: string;
  /** Cluster API's `verbosity`: passed to kubeadm as `--v=N` when set. */
  verbosity?: number;
}

/** Cluster API's paths, kept so that tooling that looks for them finds them. */
export const KUBEADM_INIT_CONFIG_PATH = '/run/kubeadm/kubeadm.yaml';
export const KUBEADM_JOIN_CONFIG_PATH = '/run/kubeadm/kubeadm-join-config.yaml';
export const BOOTSTRAP_SENTINEL_PATH = '/run/cluster-api/bootstrap-success.complete';
export const RUN_ONCE_GUARD_PATH = '/etc/kubernetes/kubelet.conf';
