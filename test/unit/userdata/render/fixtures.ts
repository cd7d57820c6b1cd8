/**
 * Boot plans built by hand in the shape Cluster API's kubeadm bootstrap provider produces (its
 * KubeadmConfig -> cloud-init): the kubeadm config at /run/kubeadm/kubeadm(-join-config).yaml marked
 * secret, CA files for the first control plane, user files with append and owner, users, NTP, boot, pre
 * and post commands, and Kubernetes binaries. The renderer tests need no role code.
 */
import { createHash } from 'node:crypto';
import {
  BOOTSTRAP_SENTINEL_PATH,
  KUBEADM_INIT_CONFIG_PATH,
  KUBEADM_JOIN_CONFIG_PATH,
  RUN_ONCE_GUARD_PATH,
  type BootPlan,
  type PlanBinary,
  type PlanFile,
  type PlanUser,
} from '../../../../src/userdata/plan.js';

const te = new TextEncoder();
export const text = (s: string): Uint8Array => te.encode(s);

/** The token every fixture carries in its kubeadm config: tests look for it outside the secret files. */
export const FIXTURE_TOKEN = 'abcdef.0123456789abcdef';
export const FIXTURE_CERT_KEY = 'c7b7b1ef4b5f0cde1cf54bb4f0a22edc2a64fc5fd8bdbc2b2e1f9b2be18f3d40';

/** A PEM-shaped block of deterministic base64, `lines` lines long. */
function pem(label: string, seed: string, lines: number): string {
  let b64 = '';
  for (let i = 0; b64.length < lines * 64; i++) b64 += createHash('sha256').update(`${seed}/${i}`).digest('base64');
  const body = [];
  for (let i = 0; i < lines; i++) body.push(b64.slice(i * 64, (i + 1) * 64));
  return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n`;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export const BINARIES: PlanBinary[] = (['kubeadm', 'kubelet', 'kubectl'] as const).map((name) => ({
  name,
  url: `https://dl.k8s.io/release/v1.30.2/bin/linux/amd64/${name}`,
  sha256: sha(`${name}-v1.30.2`),
  path: `/usr/local/bin/${name}`,
}));

export const USERS: PlanUser[] = [
  {
    name: 'capi',
    gecos: 'Cluster API admin',
    groups: ['adm', 'systemd-journal'],
    shell: '/bin/bash',
    lockPassword: true,
    sudo: 'ALL=(ALL) NOPASSWD:ALL',
    sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6v1fJ0nZ3oXYdGQ6Ir0q3gWsmv9H8m1F3Jm0c8c1Yk admin@example.com'],
  },
];

const userFiles: PlanFile[] = [
  {
    path: '/etc/sysctl.d/99-kubernetes.conf',
    content: text('net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n'),
    mode: 0o644,
    owner: 'root:root',
    secret: false,
  },
  {
    path: '/etc/hosts',
    content: text('10.0.0.10 api.cluster.example.internal\n'),
    mode: 0o644,
    append: true,
    secret: false,
  },
  {
    path: '/opt/capi/README',
    content: text("Managed by Cluster API: don't edit; `kubectl` lives in /usr/local/bin.\n"),
    mode: 0o640,
    owner: 'capi:capi',
    secret: false,
  },
];

const common = {
  bootCommands: ['mkdir -p /var/lib/kubelet'],
  preKubeadmCommands: ['swapoff -a', 'modprobe br_netfilter'],
  postKubeadmCommands: ['echo "joined $(hostname)" >> /var/log/joinery.log'],
  users: USERS,
  ntp: { enabled: true, servers: ['0.pool.ntp.org', 'time.example.com'] },
  binaries: BINARIES,
  runOnceGuard: RUN_ONCE_GUARD_PATH,
  sentinel: BOOTSTRAP_SENTINEL_PATH,
};

const joinConfig = (controlPlane: boolean): string =>
  [
    'apiVersion: kubeadm.k8s.io/v1beta3',
    'caCertPath: /etc/kubernetes/pki/ca.crt',
    ...(controlPlane
      ? ['controlPlane:', '  certificateKey: ' + FIXTURE_CERT_KEY, '  localAPIEndpoint:', '    advertiseAddress: 10.0.0.12', '    bindPort: 6443']
      : []),
    'discovery:',
    '  bootstrapToken:',
    '    apiServerEndpoint: api.cluster.example.internal:6443',
    '    caCertHashes:',
    '    - sha256:7f1b1f5b0e6c1f5e0f5b1a9e3d2c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4',
    `    token: ${FIXTURE_TOKEN}`,
    '  timeout: 5m0s',
    'kind: JoinConfiguration',
    'nodeRegistration:',
    '  criSocket: unix:///var/run/containerd/containerd.sock',
    '  imagePullPolicy: IfNotPresent',
    '  kubeletExtraArgs:',
    '    cloud-provider: external',
    `  name: ${controlPlane ? 'cp-1' : 'worker-1'}`,
    '  taints: null',
    '',
  ].join('\n');

const initConfig = [
  'apiVersion: kubeadm.k8s.io/v1beta3',
  'apiServer:',
  '  certSANs:',
  '  - api.cluster.example.internal',
  'clusterName: demo',
  'controlPlaneEndpoint: api.cluster.example.internal:6443',
  'kind: ClusterConfiguration',
  'kubernetesVersion: v1.30.2',
  'networking:',
  '  dnsDomain: cluster.local',
  '  podSubnet: 192.168.0.0/16',
  '  serviceSubnet: 10.96.0.0/12',
  '---',
  'apiVersion: kubeadm.k8s.io/v1beta3',
  'bootstrapTokens:',
  '- groups:',
  '  - system:bootstrappers:kubeadm:default-node-token',
  `  token: ${FIXTURE_TOKEN}`,
  '  ttl: 24h0m0s',
  '  usages:',
  '  - signing',
  '  - authentication',
  'kind: InitConfiguration',
  'nodeRegistration:',
  '  criSocket: unix:///var/run/containerd/containerd.sock',
  '  kubeletExtraArgs:',
  '    cloud-provider: external',
  '  name: cp-0',
  '',
].join('\n');

function caFiles(): PlanFile[] {
  const out: PlanFile[] = [];
  for (const [dir, name] of [
    ['/etc/kubernetes/pki', 'ca'],
    ['/etc/kubernetes/pki/etcd', 'ca'],
    ['/etc/kubernetes/pki', 'front-proxy-ca'],
  ] as const) {
    out.push({ path: `${dir}/${name}.crt`, content: text(pem('CERTIFICATE', `${dir}/${name}.crt`, 17)), mode: 0o640, owner: 'root:root', secret: false });
    out.push({ path: `${dir}/${name}.key`, content: text(pem('RSA PRIVATE KEY', `${dir}/${name}.key`, 25)), mode: 0o600, owner: 'root:root', secret: true });
  }
  out.push({ path: '/etc/kubernetes/pki/sa.pub', content: text(pem('PUBLIC KEY', 'sa.pub', 6)), mode: 0o640, owner: 'root:root', secret: false });
  out.push({ path: '/etc/kubernetes/pki/sa.key', content: text(pem('RSA PRIVATE KEY', 'sa.key', 25)), mode: 0o600, owner: 'root:root', secret: true });
  return out;
}

/** The first control plane: CAs written in, `kubeadm init` with a ClusterConfiguration + InitConfiguration. */
export function initPlan(): BootPlan {
  return {
    role: 'init',
    nodeName: 'cp-0',
    files: [
      ...caFiles(),
      ...userFiles,
      // Cluster API writes it 0640; a secret file comes out 0600 whatever the plan says.
      { path: KUBEADM_INIT_CONFIG_PATH, content: text(initConfig), mode: 0o640, owner: 'root:root', secret: true },
    ],
    kubeadmCommand: `kubeadm init --config ${KUBEADM_INIT_CONFIG_PATH}`,
    ...common,
  };
}

/** A control plane joining with kubeadm's upload-certs certificate key (no CA key in the data). */
export function controlPlanePlan(): BootPlan {
  return {
    role: 'control-plane',
    nodeName: 'cp-1',
    files: [...userFiles, { path: KUBEADM_JOIN_CONFIG_PATH, content: text(joinConfig(true)), mode: 0o640, owner: 'root:root', secret: true }],
    kubeadmCommand: `kubeadm join --config ${KUBEADM_JOIN_CONFIG_PATH}`,
    verbosity: 5,
    ...common,
  };
}

/** A worker. */
export function workerPlan(): BootPlan {
  return {
    role: 'worker',
    nodeName: 'worker-1',
    files: [...userFiles, { path: KUBEADM_JOIN_CONFIG_PATH, content: text(joinConfig(false)), mode: 0o640, owner: 'root:root', secret: true }],
    kubeadmCommand: `kubeadm join --config ${KUBEADM_JOIN_CONFIG_PATH}`,
    ...common,
  };
}

/** The first control plane with Cluster API's documented etcd disk (GPT, ext4 labelled, mounted). */
export function initWithEtcdDiskPlan(): BootPlan {
  return {
    ...initPlan(),
    diskSetup: {
      partitions: [{ device: '/dev/sdb', layout: true, overwrite: false, tableType: 'gpt' }],
      filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4', label: 'etcd_disk', overwrite: false, extraOpts: ['-E', 'lazy_itable_init=1'] }],
    },
    mounts: [['LABEL=etcd_disk', '/var/lib/etcd']],
  };
}

export const FIXTURES: Record<'init' | 'control-plane' | 'worker', () => BootPlan> = {
  init: initPlan,
  'control-plane': controlPlanePlan,
  worker: workerPlan,
};
