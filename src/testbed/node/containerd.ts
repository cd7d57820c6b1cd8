/**
 * The container runtime of the testbed's nodes: Debian's containerd, started once per testbed with a config
 * of its own (root, state and socket under `<testbed>/containerd`, the native snapshotter, empty CNI dirs),
 * as ../shared/testbed/README.md records. Every node's kubelet talks to this one socket.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { JoineryError } from '../../errors/index.js';
import { processAlive, registerTestbedProcess, registeredTestbedProcesses, type TestbedState } from '../testbed.js';

export interface Containerd {
  /** The CRI socket (a path; kubelets and kubeadm take `unix://` + it). */
  socket: string;
  pid: number;
}

const NAME = 'containerd';

export function containerdDir(state: TestbedState): string {
  return join(state.dir, 'containerd');
}

function config(dir: string): string {
  // Keys of containerd 1.6's config version 2 (containerd config default).
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/conf.d"
`;
}

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(socket);
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}

/** Where `cmd` is on $PATH, or undefined. */
export function commandPath(cmd: string): string | undefined {
  for (const d of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    try {
      if (statSync(join(d, cmd)).isFile()) return join(d, cmd);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Starts in progress in this process, by testbed directory (nodes added at once share one start). */
const starting = new Map<string, Promise<Containerd>>();

/**
 * The containerd of `state`'s testbed, started on first use (and stopped by `testbed down`). Concurrent callers,
 * in this process or in others (a lock file), get the same one: a second containerd would be left unrecorded.
 */
export function ensureContainerd(state: TestbedState, log: (line: string) => void = () => undefined): Promise<Containerd> {
  const pending = starting.get(state.dir);
  if (pending !== undefined) return pending;
  const p = withStartLock(state, log).finally(() => starting.delete(state.dir));
  starting.set(state.dir, p);
  return p;
}

async function running(state: TestbedState): Promise<Containerd | undefined> {
  const socket = join(containerdDir(state), 'containerd.sock');
  const known = registeredTestbedProcesses(state.dir)[NAME];
  return known !== undefined && processAlive(known) && (await socketAnswers(socket)) ? { socket, pid: known } : undefined;
}

async function withStartLock(state: TestbedState, log: (line: string) => void): Promise<Containerd> {
  const dir = containerdDir(state);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, 'start.lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await running(state);
    if (up !== undefined) return up;
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch {
      // Another process is starting it; a lock older than a minute is left from a crash.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new JoineryError('TESTBED_TIMEOUT', `another process holds ${lock} and containerd did not come up`, `remove ${lock} if no joinery process is starting nodes`, { family: 'io' });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return (await running(state)) ?? (await start(state, log));
  } finally {
    rmSync(lock, { force: true });
  }
}

async function start(state: TestbedState, log: (line: string) => void): Promise<Containerd> {
  const dir = containerdDir(state);
  const socket = join(dir, 'containerd.sock');
  const bin = commandPath('containerd');
  if (bin === undefined || commandPath('runc') === undefined) {
    throw new JoineryError('TESTBED_NO_CONTAINERD', 'containerd and runc are needed for testbed nodes and are not installed', 'install them: bash scripts/install-deps.sh (Debian packages containerd and runc)', {
      family: 'usage',
    });
  }
  for (const d of ['root', 'state', 'opt', 'cni/bin', 'cni/conf.d']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'config.toml'), config(dir), { mode: 0o600 });
  const logFile = join(state.dir, 'logs', 'containerd.log');
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(bin, ['--config', join(dir, 'config.toml')], { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new JoineryError('TESTBED_START_FAILED', 'containerd did not start', `see ${logFile}`, { family: 'io' });
  registerTestbedProcess(state.dir, NAME, child.pid);
  const deadline = Date.now() + 30_000;
  while (!(existsSync(socket) && (await socketAnswers(socket)))) {
    if (!processAlive(child.pid)) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-10).join('\n') : '';
      throw new JoineryError('TESTBED_START_FAILED', `containerd exited:\n${tail}`, `see ${logFile}`, { family: 'io' });
    }
    if (Date.now() > deadline) throw new JoineryError('TESTBED_TIMEOUT', 'containerd did not open its socket within 30 s', `see ${logFile}`, { family: 'io' });
    await new Promise((r) => setTimeout(r, 100));
  }
  log(`containerd up on ${socket}`);
  return { socket, pid: child.pid };
}
