/**
 * The node side of TLS bootstrap done by the real kubelet of the testbed's version, without a container
 * runtime: with `rotateCertificates: false` the kubelet requests its client certificate synchronously
 * (bootstrap.LoadClientCert: CSR, wait for issue, write --kubeconfig) before it connects to the CRI, so
 * it gets its certificate and then exits on the missing runtime socket. See testbed/README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tlsBootstrapKubeconfig } from '../../src/discovery/index.js';
import type { TestbedState } from '../../src/testbed/index.js';
import { kubernetesMinor } from './testbed.js';

export interface KubeletBootstrap {
  /** The kubeconfig the kubelet wrote (--kubeconfig), undefined when it did not get that far. */
  kubeconfig?: string;
  /** kubelet-client-current.pem: certificate and key, PEM. */
  clientPem?: string;
  /** The kubelet's log. */
  log: string;
}

/**
 * Runs `tb`'s kubelet with a bootstrap kubeconfig holding `token` until it has written its kubeconfig
 * (or exited, or `timeoutMs` passed), then stops it. Everything it writes stays under `dir`; its CRI
 * endpoint is a socket under `dir` that does not exist, so it never talks to a container runtime.
 */
export async function kubeletTlsBootstrap(tb: TestbedState, nodeName: string, token: string, dir: string, timeoutMs = 60_000): Promise<KubeletBootstrap> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const minor = kubernetesMinor(tb);
  const bootstrap = join(dir, 'bootstrap-kubelet.conf');
  writeFileSync(bootstrap, tlsBootstrapKubeconfig({ server: tb.server, caData: readFileSync(join(tb.dir, 'pki', 'ca.crt')), token }), { mode: 0o600 });
  const kubeconfig = join(dir, 'kubelet.conf');
  const runtime = `unix://${join(dir, 'no-runtime.sock')}`;
  const config = [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'rotateCertificates: false',
    'failSwapOn: false',
    'address: 127.0.0.1',
    'readOnlyPort: 0',
    'healthzBindAddress: 127.0.0.1',
    'healthzPort: 0',
    // 1.31+ refuse cgroup v1 hosts unless told (failCgroupV1, default true since 1.35).
    ...(minor >= 31 ? ['failCgroupV1: false'] : []),
    // The CRI endpoint is a config field since 1.27; before, a flag (and 1.20 needs --container-runtime=remote).
    ...(minor >= 27 ? [`containerRuntimeEndpoint: ${runtime}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'kubelet-config.yaml'), `${config}\n`, { mode: 0o600 });
  const args = [
    `--config=${join(dir, 'kubelet-config.yaml')}`,
    `--bootstrap-kubeconfig=${bootstrap}`,
    `--kubeconfig=${kubeconfig}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--root-dir=${join(dir, 'root')}`,
    `--hostname-override=${nodeName}`,
    ...(minor < 24 ? ['--container-runtime=remote'] : []),
    ...(minor < 27 ? [`--container-runtime-endpoint=${runtime}`] : []),
    '--v=2',
  ];
  const child = spawn(tb.kubelet, args, { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  const closed = new Promise<void>((res) => child.on('close', () => ((exited = true), res())));
  const until = Date.now() + timeoutMs;
  while (!exited && !existsSync(kubeconfig) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  // It writes the kubeconfig last; then it stops on the missing runtime by itself, or is stopped here.
  const settle = Date.now() + 3000;
  while (!exited && Date.now() < settle) await new Promise((r) => setTimeout(r, 100));
  if (!exited) {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await closed;
  const current = join(dir, 'pki', 'kubelet-client-current.pem');
  return {
    ...(existsSync(kubeconfig) ? { kubeconfig } : {}),
    ...(existsSync(current) ? { clientPem: readFileSync(current, 'utf8') } : {}),
    log,
  };
}
