/**
 * Testbed nodes: machines that join the testbed for real, with the real kubeadm and the real kubelet of the
 * testbed's version and Debian's containerd (../shared/testbed/README.md has the recipe). Each node is a
 * supervisor process (supervisor.ts) holding a private mount namespace with tmpfs over the node's directories;
 * bootstrap scripts and cloud-configs run inside it with `nsenter`, with the node's `systemctl` first on PATH.
 * Its files live in `<testbed>/nodes/<name>`; `testbed down` stops every node (registerTestbedProcess).
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JoineryError } from '../../errors/index.js';
import { KubeClient, kubeconfigCredentials } from '../../cluster/index.js';
import { freePort, minorOf, processAlive, registerTestbedProcess, registeredTestbedProcesses, stopProcessGroups, type TestbedState } from '../testbed.js';
import { crictlBinary } from '../binaries.js';
import { cloudConfigScript } from './cloud-config.js';
import { commandPath, ensureContainerd } from './containerd.js';
import { NODE_TMPFS_DIRS, supervisorScript, systemctlScript } from './supervisor.js';

/**
 * The preflight checks a testbed node cannot pass, ignored by name (kubeadm refuses `all` in a config file).
 * Seen on this machine: no crictl, conntrack or iptables, ip_forward 0, cgroup v1 (SystemVerification on 1.35+),
 * no registry for the control-plane images; the others are what such a host (swap on, a port taken by another
 * node, no bridge module) may also fail.
 */
export const TESTBED_PREFLIGHT_ERRORS = [
  'FileExisting-crictl',
  'FileExisting-conntrack',
  'FileExisting-iptables',
  'FileContent--proc-sys-net-ipv4-ip_forward',
  'FileContent--proc-sys-net-bridge-bridge-nf-call-iptables',
  'Swap',
  'SystemVerification',
  'Port-10250',
  // A control-plane join pulls its images from registry.k8s.io, which this machine cannot reach.
  'ImagePull',
  // kubeadm 1.30 built with Go 1.26 (testbed/k8s): the check builds "https://[10.96.0.1]:1234/", an IPv4 in
  // brackets, which newer Go's net/url refuses ("invalid IP-literal"); Go 1.22, kubeadm 1.30's own, accepted it.
  'HTTPProxyCIDR',
] as const;

export interface TestbedNodeInfo {
  name: string;
  dir: string;
  /** The supervisor's pid (the leader of the node's process group; its mount namespace is the node's). */
  pid: number;
  kubeletPort: number;
  /** Shared by every node (see addTestbedNode). */
  healthzPort: number;
  createdAt: string;
}

export interface NodeFile {
  path: string;
  /** Octal permission bits, e.g. "600". */
  mode: string;
  uid: number;
  gid: number;
  size: number;
}

export interface ScriptResult {
  status: number | null;
  /** stdout and stderr, interleaved. */
  output: string;
  /** Files under the node's directories after the run, with their modes. */
  files: NodeFile[];
  durationMs: number;
}

const PREFIX = 'node-';
/** kubeadm's default KubeletConfiguration healthzPort, which its joins poll on 127.0.0.1. */
const KUBELET_HEALTHZ_PORT = 10248;
const NAME_RE = /^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$/;

function nodesDir(state: TestbedState): string {
  return join(state.dir, 'nodes');
}

/**
 * The machine spec (docs/machine-spec.md) that makes joinery's bootstrap data fit a testbed node: the CRI socket
 * of the testbed's containerd and the preflight errors this machine cannot avoid. Everything else is joinery's own
 * output, unmodified.
 */
export function testbedNodeSpec(state: TestbedState): { joinConfiguration: { nodeRegistration: { criSocket: string; ignorePreflightErrors: string[] } } } {
  const socket = join(state.dir, 'containerd', 'containerd.sock');
  return {
    joinConfiguration: {
      nodeRegistration: {
        // kubeadm 1.20 takes a path; newer releases want the URL form (and warn about a bare path).
        criSocket: minorOf(state.version) >= 24 ? `unix://${socket}` : socket,
        ignorePreflightErrors: [...TESTBED_PREFLIGHT_ERRORS],
      },
    },
  };
}

function readInfo(dir: string): TestbedNodeInfo | undefined {
  const file = join(dir, 'node.json');
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as TestbedNodeInfo;
}

/** The supervisor's status file of the node in `dir`: kubelet.service active or inactive, and its start count. */
function readKubeletStatus(dir: string): { state: string; starts: number } {
  try {
    const [s, n] = readFileSync(join(dir, 'status'), 'utf8').trim().split(' ');
    return { state: s ?? 'unknown', starts: Number(n ?? 0) };
  } catch {
    return { state: 'unknown', starts: 0 };
  }
}

/** The nodes of `state`'s testbed, with whether their supervisor still runs. */
export function listTestbedNodes(state: TestbedState): (TestbedNodeInfo & { running: boolean; kubelet: string })[] {
  const dir = nodesDir(state);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const info = readInfo(join(dir, name));
      if (info === undefined) return [];
      const running = processAlive(info.pid);
      return [{ ...info, running, kubelet: running ? readKubeletStatus(info.dir).state : 'stopped' }];
    });
}

export interface RunOptions {
  /** Kills the script (its whole process group) after this long; default 5 min. */
  timeoutMs?: number;
  /** Each line of output as it comes. */
  onLine?: (line: string) => void;
  /** Kills the script when aborted (a test that has seen what it waited for). */
  signal?: AbortSignal;
}

export class TestbedNode {
  constructor(
    readonly state: TestbedState,
    readonly info: TestbedNodeInfo,
  ) {}

  get name(): string {
    return this.info.name;
  }

  /** The node's filesystem as its processes see it (through /proc/<pid>/root). */
  private root(path: string): string {
    return `/proc/${this.info.pid}/root${path}`;
  }

  private alive(): void {
    if (!processAlive(this.info.pid)) {
      throw new JoineryError('TESTBED_NODE_GONE', `testbed node ${this.name} is not running (its supervisor exited)`, `see ${join(this.info.dir, 'supervisor.log')}; remove it with joinery testbed node rm ${this.name}`, {
        family: 'io',
      });
    }
  }

  /**
   * Runs a POSIX sh script as root inside the node (its mount namespace, the node's `systemctl`, kubeadm and
   * kubelet first on PATH) and returns its status, output and the files it left. The script file is removed
   * afterwards (bootstrap data holds a token).
   */
  async runScript(text: string, options: RunOptions = {}): Promise<ScriptResult> {
    this.alive();
    const scripts = join(this.info.dir, 'scripts');
    mkdirSync(scripts, { recursive: true, mode: 0o700 });
    const file = join(scripts, `run-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.sh`);
    writeFileSync(file, text, { mode: 0o600 });
    const t0 = Date.now();
    const path = `${join(this.info.dir, 'bin')}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
    try {
      const r = await new Promise<{ status: number | null; output: string }>((res) => {
        const child = spawn('nsenter', [`--mount=/proc/${this.info.pid}/ns/mnt`, '--', 'env', '-i', `PATH=${path}`, 'HOME=/root', 'LANG=C.UTF-8', 'sh', '-c', 'cd / && exec sh "$0"', file], {
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        let partial = '';
        const take = (d: Buffer): void => {
          output += d.toString();
          if (options.onLine === undefined) return;
          const lines = (partial + d.toString()).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) options.onLine(l);
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        const kill = (why: string): void => {
          output += `\n[testbed node: ${why}, killed]\n`;
          try {
            process.kill(-(child.pid as number), 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        };
        const timer = setTimeout(() => kill(`timed out after ${options.timeoutMs ?? 300_000} ms`), options.timeoutMs ?? 300_000);
        const onAbort = (): void => kill('aborted');
        options.signal?.addEventListener('abort', onAbort, { once: true });
        child.on('close', (status) => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          if (partial !== '') options.onLine?.(partial);
          res({ status, output });
        });
      });
      return { ...r, files: this.files(), durationMs: Date.now() - t0 };
    } finally {
      rmSync(file, { force: true });
    }
  }

  /** Runs a `#cloud-config` document's bootcmd, write_files and runcmd inside the node (cloud-config.ts). */
  runCloudConfig(text: string, options: RunOptions = {}): Promise<ScriptResult> {
    return this.runScript(cloudConfigScript(text), options);
  }

  /** Files under the node's tmpfs directories, with their modes and owners. */
  files(): NodeFile[] {
    const out: NodeFile[] = [];
    const walk = (path: string): void => {
      let names: string[];
      try {
        names = readdirSync(this.root(path));
      } catch {
        return;
      }
      for (const n of names.sort()) {
        const p = `${path}/${n}`;
        const st = lstatSync(this.root(p));
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) out.push({ path: p, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid, size: st.size });
      }
    };
    for (const d of NODE_TMPFS_DIRS) walk(d);
    return out;
  }

  /** Reads a file of the node. */
  readFile(path: string): string {
    return readFileSync(this.root(path), 'utf8');
  }

  /**
   * The name the node's kubelet registers as: kubeadm's --hostname-override in kubeadm-flags.env (it sets it when
   * the JoinConfiguration's name differs from the hostname), else the testbed node's name.
   */
  kubeletNodeName(): string {
    try {
      const m = /--hostname-override=([^\s"]+)/.exec(this.readFile('/var/lib/kubelet/kubeadm-flags.env'));
      if (m?.[1] !== undefined) return m[1];
    } catch {
      // kubeadm has not written it (yet)
    }
    return this.name;
  }

  /** Runs bootstrap data: a `#cloud-config` document or a shell script (Ignition runs only at boot, not here). */
  runUserdata(text: string, options: RunOptions = {}): Promise<ScriptResult> {
    return userdataKind(text) === 'cloud-config' ? this.runCloudConfig(text, options) : this.runScript(text, options);
  }

  /** The kubelet's log so far. */
  kubeletLog(): string {
    const f = join(this.info.dir, 'kubelet.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** kubelet.service as the supervisor sees it: active or inactive, and how many times it was started. */
  kubeletStatus(): { state: string; starts: number } {
    return readKubeletStatus(this.info.dir);
  }

  /** `systemctl <verb> kubelet` on the node. */
  async systemctl(verb: 'start' | 'stop' | 'restart'): Promise<void> {
    const r = await this.runScript(`systemctl ${verb} kubelet\n`, { timeoutMs: 30_000 });
    if (r.status !== 0) throw new JoineryError('TESTBED_NODE_SYSTEMCTL', `systemctl ${verb} kubelet failed on ${this.name}: ${r.output}`, 'see the supervisor log in the node directory', { family: 'io' });
  }

  /**
   * Waits until the Node `nodeName` (default: the testbed node's name) exists and was registered by a kubelet
   * (it reports a kubelet version); returns it, or undefined after `timeoutMs`.
   */
  async waitNodeRegistered(nodeName: string = this.name, timeoutMs = 60_000): Promise<Record<string, unknown> | undefined> {
    const client = new KubeClient(kubeconfigCredentials(this.state.kubeconfig));
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const node = await client.request<{ status?: { nodeInfo?: { kubeletVersion?: string } } }>(`/api/v1/nodes/${nodeName}`, {
          allowNotFound: true,
          action: { verb: 'get', resource: 'nodes', name: nodeName },
        });
        if (node?.status?.nodeInfo?.kubeletVersion !== undefined && node.status.nodeInfo.kubeletVersion !== '') return node as Record<string, unknown>;
        if (Date.now() > deadline) return undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      client.close();
    }
  }

  /** Stops the node (kubelet, supervisor, namespace) and removes its directory. */
  remove(): void {
    removeTestbedNode(this.state, this.name);
  }
}

/** Which kind of bootstrap data `text` is, for a testbed node: a #cloud-config document or a #! script; else an error. */
export function userdataKind(text: string): 'cloud-config' | 'script' {
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  if (first === '#cloud-config') return 'cloud-config';
  if (first.startsWith('#!')) return 'script';
  throw new JoineryError(
    'TESTBED_USERDATA_FORMAT',
    first === '' ? 'the bootstrap data is empty' : `testbed nodes run a #cloud-config document or a #! shell script; this starts with ${JSON.stringify(first.slice(0, 40))}`,
    "render it with joinery userdata --format script or --format cloud-config (Ignition runs only in a booting machine's initramfs)",
    { family: 'usage' },
  );
}

/** The running node `name` of `state`'s testbed, or undefined. */
export function testbedNode(state: TestbedState, name: string): TestbedNode | undefined {
  const info = readInfo(join(nodesDir(state), name));
  return info === undefined ? undefined : new TestbedNode(state, info);
}

/** Adds a node to `state`'s testbed (starting the testbed's containerd on first use). */
export async function addTestbedNode(state: TestbedState, options: { name: string; log?: (line: string) => void }): Promise<TestbedNode> {
  const { name } = options;
  const log = options.log ?? (() => undefined);
  if (!NAME_RE.test(name)) {
    throw new JoineryError('TESTBED_NODE_NAME', `node name ${JSON.stringify(name)} is not a DNS label of at most 40 characters`, 'use lower-case letters, digits and dashes, e.g. worker-1', { family: 'usage' });
  }
  const supported = testbedNodesSupported();
  if (!supported.ok) throw new JoineryError('TESTBED_NODES_UNSUPPORTED', `testbed nodes cannot run here: ${supported.reason}`, 'run as root on Linux after bash scripts/install-deps.sh', { family: 'usage' });
  const dir = join(nodesDir(state), name);
  const existing = readInfo(dir);
  if (existing !== undefined && processAlive(existing.pid)) {
    throw new JoineryError('TESTBED_NODE_EXISTS', `testbed node ${name} already exists`, `remove it first: joinery testbed node rm ${name} --dir ${state.dir}`, { family: 'usage' });
  }
  rmSync(dir, { recursive: true, force: true });
  const containerd = await ensureContainerd(state, log);
  mkdirSync(join(dir, 'ctl'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'bin'), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'bin', 'systemctl'), systemctlScript(dir), { mode: 0o755 });
  const crictl = crictlBinary();
  for (const [cmd, target] of [
    ['kubeadm', state.kubeadm],
    ['kubelet', state.kubelet],
    ...(crictl === undefined ? [] : [['crictl', crictl] as const]),
  ] as const) {
    symlinkSync(target, join(dir, 'bin', cmd));
  }
  const kubeletPort = await freePort();
  const minor = minorOf(state.version);
  const flags = [
    `--container-runtime-endpoint=unix://${containerd.socket}`,
    ...(minor < 24 ? ['--container-runtime=remote'] : []),
    '--cgroup-driver=cgroupfs',
    '--fail-swap-on=false',
    '--cgroups-per-qos=false',
    '--enforce-node-allocatable=',
    '--address=127.0.0.1',
    `--port=${kubeletPort}`,
    '--read-only-port=0',
    '--healthz-bind-address=127.0.0.1',
    // No --healthz-port: kubeadm (1.30 and later for up to 4 min) waits for a healthy kubelet on the healthzPort
    // of the cluster's kubelet config, 10248 on 127.0.0.1. Nodes share the host's network, so the first kubelet
    // binds it, the others retry every 5 s (not fatal), and a join sees whichever kubelet holds it.
    `--volume-plugin-dir=${join(dir, 'volume-plugins')}`,
    // 1.31+ refuse cgroup v1 hosts unless told (failCgroupV1).
    ...(minor >= 31 ? ['--fail-cgroupv1=false'] : []),
  ];
  const supervisor = supervisorScript({
    nodeDir: dir,
    kubelet: state.kubelet,
    kubeletFlags: flags,
    hostname: name,
    // The cluster's certificatesDir and etcd dataDir are host paths of the testbed: a control-plane join in the
    // node writes there, so each node sees its own empty ones.
    privateDirs: [join(state.dir, 'pki'), join(state.dir, 'kubeadm-etcd')],
  });
  writeFileSync(join(dir, 'supervisor.sh'), supervisor, { mode: 0o700 });
  const logFd = openSync(join(dir, 'supervisor.log'), 'a', 0o600);
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', join(dir, 'supervisor.sh')], { cwd: dir, detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  if (child.pid === undefined) throw new JoineryError('TESTBED_START_FAILED', `the supervisor of node ${name} did not start`, 'check that unshare(1) works here (root is needed)', { family: 'io' });
  const info: TestbedNodeInfo = { name, dir, pid: child.pid, kubeletPort, healthzPort: KUBELET_HEALTHZ_PORT, createdAt: new Date().toISOString() };
  registerTestbedProcess(state.dir, `${PREFIX}${name}`, child.pid);
  writeFileSync(join(dir, 'node.json'), JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  const deadline = Date.now() + 10_000;
  while (!existsSync(join(dir, 'status'))) {
    if (!processAlive(child.pid) || Date.now() > deadline) {
      stopProcessGroups([child.pid]);
      const why = existsSync(join(dir, 'supervisor.log')) ? readFileSync(join(dir, 'supervisor.log'), 'utf8').trim() : '';
      throw new JoineryError('TESTBED_START_FAILED', `node ${name}: the supervisor could not set up the node's mount namespace${why === '' ? '' : `: ${why}`}`, 'testbed nodes need root and unshare(1) with mount namespaces', { family: 'io' });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The kubelet's clientCAFile is <certificatesDir>/ca.crt (kubeadm's kubelet-config), and certificatesDir is now
  // the node's own: it gets the cluster CA there, as a kubeadm node has it in /etc/kubernetes/pki.
  const nodePki = `/proc/${child.pid}/root${join(state.dir, 'pki')}`;
  writeFileSync(join(nodePki, 'ca.crt'), readFileSync(join(state.dir, 'pki', 'ca.crt')), { mode: 0o644 });
  log(`node ${name} up (supervisor ${child.pid}, kubelet port ${kubeletPort})`);
  return new TestbedNode(state, info);
}

/** Stops node `name` (its kubelet, then its supervisor) and removes its directory; false when there was none. */
export function removeTestbedNode(state: TestbedState, name: string): boolean {
  const dir = join(nodesDir(state), name);
  const info = readInfo(dir);
  if (info === undefined) return false;
  if (processAlive(info.pid)) {
    // The supervisor stops the kubelet itself on shutdown; the process group goes after that in any case.
    writeFileSync(join(dir, 'ctl', 'shutdown'), '');
    const until = Date.now() + 8000;
    while (processAlive(info.pid) && Date.now() < until) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  stopProcessGroups([info.pid]);
  rmSync(join(state.dir, 'pids', `${PREFIX}${name}`), { force: true });
  rmSync(dir, { recursive: true, force: true });
  return true;
}

/** Stops and removes every node of the testbed (containerd stays up for the next ones). */
export function removeTestbedNodes(state: TestbedState): number {
  let n = 0;
  for (const info of listTestbedNodes(state)) if (removeTestbedNode(state, info.name)) n++;
  // Records of nodes whose directory went away by other means.
  for (const [key, pid] of Object.entries(registeredTestbedProcesses(state.dir))) {
    if (key.startsWith(PREFIX)) {
      stopProcessGroups([pid]);
      rmSync(join(state.dir, 'pids', key), { force: true });
    }
  }
  return n;
}

/** True when this machine can run testbed nodes (root, mount namespaces, containerd and runc installed). */
export function testbedNodesSupported(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'testbed nodes need root (mount namespaces, tmpfs mounts)' };
  for (const cmd of ['containerd', 'runc', 'nsenter', 'unshare']) {
    if (commandPath(cmd) === undefined) return { ok: false, reason: `${cmd} is not installed (bash scripts/install-deps.sh installs it)` };
  }
  return { ok: true };
}
