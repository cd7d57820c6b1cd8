/** Testbed nodes: real kubeadm + kubelet + containerd joins on this machine (an edge: starts processes). */
export * from './cloud-config.js';
export * from './containerd.js';
export * from './node.js';
export * from './supervisor.js';
