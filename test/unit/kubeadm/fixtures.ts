/** Models shared by the kubeadm tests: fixed fake secrets, nothing real. */
import type { ClusterConfiguration, InitConfiguration, JoinConfiguration, KubeadmConfig } from '../../../src/kubeadm/index.js';
import { MINUTE, HOUR } from '../../../src/duration/index.js';

export const TOKEN = 'abcdef.0123456789abcdef';
export const PIN = 'sha256:7c53a0fd3bd0f0bd1ee9fc5bd5b3f2a0c4e0ea7e2d3f51e2bba6b50e1d0e9f11';
export const CERT_KEY = 'e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204';

export const joinTokenDiscovery: JoinConfiguration = {
  discovery: {
    bootstrapToken: { token: TOKEN, apiServerEndpoint: '10.0.0.10:6443', caCertHashes: [PIN] },
  },
  nodeRegistration: {
    name: 'worker-1',
    criSocket: 'unix:///run/containerd/containerd.sock',
    taints: [],
    kubeletExtraArgs: [
      { name: 'node-labels', value: 'joinery.io/pool=default' },
      { name: 'v', value: '2' },
    ],
  },
  timeouts: { discovery: 5n * MINUTE },
};

export const joinFileDiscovery: JoinConfiguration = {
  caCertPath: '/etc/kubernetes/pki/ca.crt',
  discovery: {
    file: { kubeConfigPath: 'https://joinery.example/cluster-info.yaml' },
    tlsBootstrapToken: TOKEN,
  },
  nodeRegistration: {
    name: 'worker-2',
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    ignorePreflightErrors: ['Swap'],
  },
};

export const joinControlPlane: JoinConfiguration = {
  discovery: {
    bootstrapToken: { token: TOKEN, apiServerEndpoint: 'cp.example:6443', caCertHashes: [PIN] },
  },
  nodeRegistration: { name: 'cp-2', criSocket: 'unix:///run/containerd/containerd.sock' },
  controlPlane: {
    localAPIEndpoint: { advertiseAddress: '10.0.0.12', bindPort: 6443 },
    certificateKey: CERT_KEY,
  },
};

export const init: InitConfiguration = {
  bootstrapTokens: [
    {
      token: TOKEN,
      description: 'joinery bootstrap token for the first workers',
      ttl: 24n * HOUR,
      usages: ['signing', 'authentication'],
      groups: ['system:bootstrappers:kubeadm:default-node-token'],
    },
  ],
  nodeRegistration: {
    name: 'cp-1',
    criSocket: 'unix:///run/containerd/containerd.sock',
    taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }],
  },
  localAPIEndpoint: { advertiseAddress: '10.0.0.11', bindPort: 6443 },
  certificateKey: CERT_KEY,
  timeouts: { controlPlaneComponentHealthCheck: 4n * MINUTE },
};

export const cluster: ClusterConfiguration = {
  etcd: {
    local: {
      dataDir: '/var/lib/etcd',
      extraArgs: [{ name: 'listen-metrics-urls', value: 'http://127.0.0.1:2381' }],
      serverCertSANs: ['etcd.example'],
    },
  },
  networking: { serviceSubnet: '10.96.0.0/12', podSubnet: '10.244.0.0/16', dnsDomain: 'cluster.local' },
  kubernetesVersion: 'v1.20.2',
  controlPlaneEndpoint: 'cp.example:6443',
  apiServer: {
    extraArgs: [
      { name: 'audit-log-path', value: '/var/log/kubernetes/audit.log' },
      { name: 'authorization-mode', value: 'Node,RBAC' },
    ],
    extraVolumes: [
      { name: 'audit', hostPath: '/var/log/kubernetes', mountPath: '/var/log/kubernetes', pathType: 'DirectoryOrCreate' },
    ],
    certSANs: ['cp.example', '10.0.0.10'],
  },
  controllerManager: { extraArgs: [{ name: 'bind-address', value: '0.0.0.0' }] },
  scheduler: { extraArgs: [{ name: 'bind-address', value: '0.0.0.0' }] },
  certificatesDir: '/etc/kubernetes/pki',
  imageRepository: 'k8s.gcr.io',
  clusterName: 'joinery',
};

/** Golden name → config, written for every version. */
export const GOLDEN_CONFIGS: Readonly<Record<string, KubeadmConfig>> = {
  'join-token': { join: joinTokenDiscovery },
  'join-file': { join: joinFileDiscovery },
  'join-control-plane': { join: joinControlPlane },
  'init-cluster': { init, cluster },
};
