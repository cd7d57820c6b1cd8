/**
 * A real, kubeadm-shaped control plane on 127.0.0.1 for tests and the demo: etcd, kube-apiserver and
 * kube-controller-manager on free loopback ports, shaped by the real kubeadm phases (certs, kubeconfig,
 * upload-config, bootstrap-token, addon kube-proxy), with its state in one directory. `up` leaves the
 * processes running (their pids are in `<dir>/testbed.json`); `down` stops them and removes the directory.
 * The flags and pitfalls are those of ../shared/testbed/README.md; what newer releases change is in testbed/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JoineryError } from '../errors/index.js';
import { KubeClient, kubeconfigCredentials } from '../cluster/index.js';
import { DEFAULT_KUBERNETES_VERSION, etcdBinary, kubernetesBinaries, type KubernetesBinaries } from './binaries.js';

/** The name of the control-plane Node that kubeadm's upload-config phase annotates. */
export const TESTBED_NODE = 'testbed-control-plane';
/** A TEST-NET address: kubeadm 1.20 refuses a loopback advertise address; nothing ever connects to it. */
const ADVERTISE_ADDRESS = '192.0.2.200';
const STATE_FILE = 'testbed.json';

export interface TestbedState {
  dir: string;
  version: string;
  binDir: string;
  kubeadm: string;
  kubelet: string;
  kubeconfig: string;
  server: string;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number; controllerManager: number };
  /** Process-group leaders started by `up`, by name. */
  pids: Record<string, number>;
  /** How each of them was started (no secrets: flags name files), so that one can be restarted. */
  commands?: Record<string, { cmd: string; args: string[] }>;
  clusterName: string;
  startedAt: string;
}

export interface UpOptions {
  dir?: string;
  kubernetesVersion?: string;
  /** Build the binaries from source when they are missing. */
  build?: boolean;
  /** Progress lines (to stderr in the CLI). */
  log?: (line: string) => void;
  /** Overall deadline for readiness, in ms. */
  timeoutMs?: number;
  /**
   * kube-controller-manager's --controllers (default `*,bootstrapsigner,tokencleaner`, what kubeadm
   * clusters run). Tests of `doctor` start a testbed without the bootstrap controllers to see it notice.
   */
  controllers?: string;
}

/** The directory used when none is named: one per user. */
export function defaultTestbedDir(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(tmpdir(), `joinery-testbed-${uid}`);
}

/** Ports freePort has handed out in this process: never twice, since a port is free until its process binds it. */
const handedOut = new Set<number>();

/** The lowest port of Linux's ephemeral range, from which outgoing connections take their source ports. */
export function ephemeralPortLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 4096) return low;
  } catch {
    // not Linux: its default
  }
  return 32768;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/**
 * A free loopback port for a process that binds it later, chosen below the ephemeral range. A port from
 * listen(0) is one the kernel may give the next outgoing connection as its source port before etcd,
 * kube-apiserver or kube-controller-manager binds it (a testbed's start makes hundreds of connections), and
 * that process then fails with "address already in use"; below the range only a listener can take it.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralPortLow() - 1;
  const low = Math.max(1024, high - 16_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new JoineryError('TESTBED_NO_PORT', `no free loopback port between ${low} and ${high} after 200 tries`, 'stop what listens on 127.0.0.1 in that range, or widen it (net.ipv4.ip_local_port_range)', { family: 'io' });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The state of the testbed in `dir`, or undefined when none is up there. */
export function readTestbedState(dir: string = defaultTestbedDir()): TestbedState | undefined {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TestbedState;
}

function writeState(state: TestbedState): void {
  const file = join(state.dir, STATE_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** True while process `pid` runs (a zombie, dead but not yet reaped by its parent, counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function kubeadmConfig(version: string, clusterName: string, dir: string, ports: TestbedState['ports']): string {
  // v1beta2 reads on every kubeadm from 1.15 to 1.21; newer kubeadm versions need v1beta3 (see configFor).
  return configFor(version)
    .replaceAll('@VERSION@', version)
    .replaceAll('@CLUSTER@', clusterName)
    .replaceAll('@PKI@', join(dir, 'pki'))
    .replaceAll('@APIPORT@', String(ports.apiserver))
    .replaceAll('@DIR@', dir)
    .replaceAll('@ADVERTISE@', ADVERTISE_ADDRESS)
    .replaceAll('@NODE@', TESTBED_NODE);
}

/**
 * kubeadm's view of the cluster. It says stacked etcd, as most kubeadm clusters have, so that `certs all`
 * makes the etcd CA and upload-certs and control-plane joins see the usual set of CAs; the etcd that really
 * runs is the testbed's own on loopback over plain HTTP, given to kube-apiserver by flag.
 */
function configFor(version: string): string {
  const minor = minorOf(version);
  const api = minor >= 31 ? 'v1beta4' : minor >= 22 ? 'v1beta3' : 'v1beta2';
  return `apiVersion: kubeadm.k8s.io/${api}
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: @ADVERTISE@
  bindPort: @APIPORT@
nodeRegistration:
  name: @NODE@
  criSocket: ${api === 'v1beta2' ? '/var/run/dockershim.sock' : 'unix:///var/run/containerd/containerd.sock'}
---
apiVersion: kubeadm.k8s.io/${api}
kind: ClusterConfiguration
kubernetesVersion: @VERSION@
clusterName: @CLUSTER@
controlPlaneEndpoint: 127.0.0.1:@APIPORT@
certificatesDir: @PKI@
apiServer:
  certSANs: [127.0.0.1, localhost]
etcd:
  local:
    dataDir: @DIR@/kubeadm-etcd
networking:
  serviceSubnet: 10.96.0.0/12
  podSubnet: 10.244.0.0/16
`;
}

/** The minor version of `v1.X.Y`. */
export function minorOf(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[1] ?? 0);
}

interface Started {
  name: string;
  pid: number;
  log: string;
  cmd: string;
  args: string[];
}

function start(dir: string, name: string, cmd: string, args: string[]): Started {
  const log = join(dir, 'logs', `${name}.log`);
  const fd = openSync(log, 'a', 0o600);
  const child = spawn(cmd, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new JoineryError('TESTBED_START_FAILED', `${name} did not start`, `see ${log}`, { family: 'io' });
  return { name, pid: child.pid, log, cmd, args };
}

function kubeadm(bin: KubernetesBinaries, dir: string, args: string[]): void {
  const r = spawnSync(bin.kubeadm, args, { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  const out = `$ kubeadm ${args.join(' ')}\n${r.stdout}${r.stderr}\n`;
  writeFileSync(join(dir, 'logs', 'kubeadm.log'), out, { flag: 'a', mode: 0o600 });
  if (r.status !== 0) {
    throw new JoineryError('TESTBED_KUBEADM_FAILED', `kubeadm ${args.slice(0, 4).join(' ')} failed (exit ${r.status ?? r.signal}):\n${tail(join(dir, 'logs', 'kubeadm.log'))}`, `see ${join(dir, 'logs', 'kubeadm.log')}`, {
      family: 'io',
    });
  }
}

async function waitFor(what: string, deadline: number, started: Started[], probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    if (await probe().catch(() => false)) return;
    for (const p of started) {
      if (!processAlive(p.pid)) {
        throw new JoineryError('TESTBED_START_FAILED', `${p.name} exited while waiting for ${what}:\n${tail(p.log)}`, `see ${p.log}`, { family: 'io' });
      }
    }
    if (Date.now() > deadline) {
      throw new JoineryError('TESTBED_TIMEOUT', `timed out waiting for ${what}`, `see the logs in ${started[0] === undefined ? '' : resolve(started[0].log, '..')}`, { family: 'io' });
    }
    await sleep(150);
  }
}

/** Starts a testbed and returns its state once kube-apiserver is ready and the cluster is kubeadm-shaped. */
export async function testbedUp(options: UpOptions = {}): Promise<TestbedState> {
  const log = options.log ?? (() => undefined);
  const version = options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const requested = options.dir === undefined ? defaultTestbedDir() : resolve(options.dir);
  const existing = readTestbedState(requested);
  if (existing !== undefined && Object.values(existing.pids).some(processAlive)) {
    throw new JoineryError('TESTBED_ALREADY_UP', `a testbed is already up in ${requested}`, `use it (joinery testbed env --dir ${requested}) or stop it first: joinery testbed down --dir ${requested}`, {
      family: 'usage',
    });
  }
  if (existing !== undefined) rmSync(requested, { recursive: true, force: true });
  const buildOptions = { ...(options.build === undefined ? {} : { build: options.build }), log };
  const bin = kubernetesBinaries(version, buildOptions);
  const etcd = etcdBinary(version, buildOptions);
  const minor = minorOf(version);
  // The clock starts once the binaries are there (a build takes minutes).
  const t0 = Date.now();
  const deadline = t0 + (options.timeoutMs ?? 120_000);
  mkdirSync(resolve(requested, '..'), { recursive: true });
  if (!existsSync(requested)) mkdirSync(requested, { mode: 0o700 });
  const dir = requested;
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort(), controllerManager: await freePort() };
  const clusterName = 'testbed';
  const controllers = options.controllers ?? '*,bootstrapsigner,tokencleaner';
  const started: Started[] = [];
  const state: TestbedState = {
    dir,
    version,
    binDir: bin.dir,
    kubeadm: bin.kubeadm,
    kubelet: bin.kubelet,
    kubeconfig: join(dir, 'admin.conf'),
    server: `https://127.0.0.1:${ports.apiserver}`,
    ports,
    pids: {},
    clusterName,
    startedAt: new Date().toISOString(),
  };
  const record = (s: Started): void => {
    started.push(s);
    state.pids[s.name] = s.pid;
    state.commands = { ...state.commands, [s.name]: { cmd: s.cmd, args: s.args } };
    writeState(state);
  };
  writeState(state);
  try {
    const cfg = join(dir, 'kubeadm.yaml');
    writeFileSync(cfg, kubeadmConfig(version, clusterName, dir, ports), { mode: 0o600 });
    kubeadm(bin, dir, ['init', 'phase', 'certs', 'all', '--config', cfg]);
    kubeadm(bin, dir, ['init', 'phase', 'kubeconfig', 'admin', '--config', cfg, '--kubeconfig-dir', dir]);
    // Since 1.29 admin.conf is only in the group kubeadm:cluster-admins, which `kubeadm init` binds to
    // cluster-admin with super-admin.conf (system:masters); the phases run here do not, so do it below.
    if (minor >= 29) kubeadm(bin, dir, ['init', 'phase', 'kubeconfig', 'super-admin', '--config', cfg, '--kubeconfig-dir', dir]);
    kubeadm(bin, dir, ['init', 'phase', 'kubeconfig', 'controller-manager', '--config', cfg, '--kubeconfig-dir', dir]);
    const cmConf = join(dir, 'controller-manager.conf');
    writeFileSync(cmConf, readFileSync(cmConf, 'utf8').replace(/server: https:\/\/[^\s]+/, `server: ${state.server}`), { mode: 0o600 });
    log(`certificates and kubeconfigs written (${Date.now() - t0} ms)`);

    record(
      start(dir, 'etcd', etcd, [
        '--name=testbed',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${ports.etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
        `--initial-cluster=testbed=http://127.0.0.1:${ports.etcdPeer}`,
        '--unsafe-no-fsync=true',
      ]),
    );
    const pki = join(dir, 'pki');
    record(
      start(dir, 'kube-apiserver', bin.kubeApiserver, [
        '--advertise-address=127.0.0.1',
        '--bind-address=127.0.0.1',
        `--secure-port=${ports.apiserver}`,
        ...(minor < 24 ? ['--insecure-port=0'] : []),
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        `--client-ca-file=${pki}/ca.crt`,
        `--tls-cert-file=${pki}/apiserver.crt`,
        `--tls-private-key-file=${pki}/apiserver.key`,
        `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
        `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
        '--enable-bootstrap-token-auth=true',
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki}/sa.pub`,
        `--service-account-signing-key-file=${pki}/sa.key`,
        '--service-cluster-ip-range=10.96.0.0/12',
        '--allow-privileged=true',
        `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
        `--proxy-client-key-file=${pki}/front-proxy-client.key`,
        `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
        '--requestheader-allowed-names=front-proxy-client',
        '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--requestheader-group-headers=X-Remote-Group',
        '--requestheader-username-headers=X-Remote-User',
        '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      ]),
    );
    const client = probeClient(state);
    try {
      await waitFor('kube-apiserver /readyz', deadline, started, () => apiserverReady(client));
      log(`etcd and kube-apiserver ready on ${state.server} (${Date.now() - t0} ms)`);
      if (minor >= 29) await bindClusterAdmins(join(dir, 'super-admin.conf'));
      record(
        start(dir, 'kube-controller-manager', bin.kubeControllerManager, [
          `--kubeconfig=${cmConf}`,
          `--authentication-kubeconfig=${cmConf}`,
          `--authorization-kubeconfig=${cmConf}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${ports.controllerManager}`,
          ...(minor < 24 ? ['--port=0'] : []),
          `--controllers=${controllers}`,
          `--cluster-signing-cert-file=${pki}/ca.crt`,
          `--cluster-signing-key-file=${pki}/ca.key`,
          `--root-ca-file=${pki}/ca.crt`,
          `--service-account-private-key-file=${pki}/sa.key`,
          '--use-service-account-credentials=true',
          '--leader-elect=false',
          `--cluster-name=${clusterName}`,
        ]),
      );
      // upload-config kubelet annotates the control-plane Node and waits for it: there is no kubelet, so make it.
      await client.request('/api/v1/nodes', {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'Node', metadata: { name: TESTBED_NODE, labels: { 'kubernetes.io/hostname': TESTBED_NODE } } },
        action: { verb: 'create', resource: 'nodes' },
      });
      kubeadm(bin, dir, ['init', 'phase', 'upload-config', 'kubeadm', '--config', cfg, '--kubeconfig', state.kubeconfig]);
      kubeadm(bin, dir, ['init', 'phase', 'upload-config', 'kubelet', '--config', cfg, '--kubeconfig', state.kubeconfig]);
      kubeadm(bin, dir, ['init', 'phase', 'bootstrap-token', '--config', cfg, '--kubeconfig', state.kubeconfig]);
      kubeadm(bin, dir, ['init', 'phase', 'addon', 'kube-proxy', '--config', cfg, '--kubeconfig', state.kubeconfig]);
      log(`kubeadm phases done (${Date.now() - t0} ms)`);
      // The controller manager is up when its bootstrapsigner has signed cluster-info for the phase's token
      // (or, without that controller, when it answers /healthz).
      if (!controllers.split(',').includes('bootstrapsigner')) {
        await waitFor('kube-controller-manager /healthz', deadline, started, () => healthz(ports.controllerManager));
      } else await waitFor('kube-controller-manager to sign cluster-info', deadline, started, async () => {
        const cm = await client.request<{ data?: Record<string, string> }>('/api/v1/namespaces/kube-public/configmaps/cluster-info', {
          allowNotFound: true,
          action: { verb: 'get', resource: 'configmaps', namespace: 'kube-public', name: 'cluster-info' },
        });
        return Object.keys(cm?.data ?? {}).some((k) => k.startsWith('jws-kubeconfig-'));
      });
    } finally {
      client.close();
    }
    log(`testbed ${version} up in ${dir} (${Date.now() - t0} ms)`);
    return state;
  } catch (err) {
    stopProcesses(state);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** An admin client for readiness probes: one attempt, 5 s at most (the caller polls). */
function probeClient(state: TestbedState): KubeClient {
  const client = new KubeClient(kubeconfigCredentials(state.kubeconfig), { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
  client.timeoutMs = 5000;
  return client;
}

async function apiserverReady(client: KubeClient): Promise<boolean> {
  return (await client.request<string>('/readyz', { raw: true, action: { verb: 'get', resource: 'nonResourceURL /readyz' } })) === 'ok';
}

/** kubeadm's EnsureAdminClusterRoleBinding: the ClusterRoleBinding kubeadm:cluster-admins that admin.conf's group needs. */
async function bindClusterAdmins(superAdminConf: string): Promise<void> {
  const superAdmin = new KubeClient(kubeconfigCredentials(superAdminConf));
  try {
    await superAdmin.request('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      method: 'POST',
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'kubeadm:cluster-admins' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'kubeadm:cluster-admins' }],
      },
      action: { verb: 'create', resource: 'clusterrolebindings', name: 'kubeadm:cluster-admins' },
    });
  } finally {
    superAdmin.close();
  }
}

/** True when the HTTPS server on 127.0.0.1:`port` answers /healthz with "ok" (its serving certificate is self-signed). */
function healthz(port: number): Promise<boolean> {
  return new Promise((res) => {
    const req = httpsGet({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 2000 }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => res(r.statusCode === 200 && body === 'ok'));
    });
    req.on('error', () => res(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * Records a process started for the testbed after `up` (containerd, a node's supervisor) so that `down` stops
 * it too: one file per process under `<dir>/pids`, named after it. Each is the leader of its own process group.
 */
export function registerTestbedProcess(dir: string, name: string, pid: number): void {
  mkdirSync(join(dir, 'pids'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'pids', name), `${pid}\n`, { mode: 0o600 });
}

/** The processes recorded with registerTestbedProcess, by name. */
export function registeredTestbedProcesses(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const pidsDir = join(dir, 'pids');
  if (!existsSync(pidsDir)) return out;
  for (const name of readdirSync(pidsDir)) {
    const pid = Number(readFileSync(join(pidsDir, name), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) out[name] = pid;
  }
  return out;
}

/** Stops process groups (SIGTERM, then SIGKILL after 5 s) and returns once they are gone. */
export function stopProcessGroups(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  const until = Date.now() + 5000;
  while (pids.some(processAlive) && Date.now() < until) spawnSync('sleep', ['0.05']);
  for (const pid of pids.filter(processAlive)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // `down` returns only once they are gone (a loaded machine takes a moment even after SIGKILL).
  const killed = Date.now() + 5000;
  while (pids.some(processAlive) && Date.now() < killed) spawnSync('sleep', ['0.05']);
}

function stopProcesses(state: TestbedState): void {
  // Nodes and containerd first (their kubelets talk to kube-apiserver), then the control plane.
  stopProcessGroups(Object.values(registeredTestbedProcesses(state.dir)));
  stopProcessGroups(Object.values(state.pids));
}

/** Stops every process the testbed in `dir` started (nodes and containerd too) and removes its directory; false when none was there. */
export function testbedDown(dir: string = defaultTestbedDir()): boolean {
  const state = readTestbedState(dir);
  if (state === undefined) return false;
  stopProcesses(state);
  rmSync(state.dir, { recursive: true, force: true });
  return true;
}

/** `KUBECONFIG=...` and `KUBE_BIN=...` lines for a shell (`eval "$(joinery testbed env)"`). */
export function testbedEnv(state: TestbedState): string {
  return `KUBECONFIG=${state.kubeconfig}\nKUBE_BIN=${state.binDir}\n`;
}


/**
 * Stops one control-plane process of the testbed (`kube-apiserver`, `kube-controller-manager`, `etcd`) and
 * returns once it is gone: for tests of what joinery does while the cluster is away.
 */
export function stopTestbedProcess(state: TestbedState, name: string): void {
  const pid = state.pids[name];
  if (pid === undefined) throw new JoineryError('TESTBED_NO_PROCESS', `the testbed has no process ${name}`, `one of: ${Object.keys(state.pids).join(', ')}`, { family: 'usage' });
  stopProcessGroups([pid]);
}

/** Starts a process stopped with stopTestbedProcess again, as `up` started it; resolves once kube-apiserver is ready again. */
export async function startTestbedProcess(state: TestbedState, name: string, timeoutMs = 60_000): Promise<TestbedState> {
  const command = state.commands?.[name];
  if (command === undefined) throw new JoineryError('TESTBED_NO_PROCESS', `the testbed has no command for ${name}`, 'restart the testbed (joinery testbed down; up)', { family: 'usage' });
  const pid = state.pids[name];
  if (pid !== undefined && processAlive(pid)) throw new JoineryError('TESTBED_PROCESS_RUNNING', `${name} is still running (pid ${pid})`, 'stop it first', { family: 'usage' });
  const s = start(state.dir, name, command.cmd, command.args);
  state.pids[name] = s.pid;
  writeState(state);
  const client = probeClient(state);
  try {
    await waitFor(`${name} to be back (kube-apiserver /readyz)`, Date.now() + timeoutMs, [s], () => apiserverReady(client));
  } finally {
    client.close();
  }
  return state;
}
