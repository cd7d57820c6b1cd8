/**
 * `joinery testbed up|down|env|versions`: a real kubeadm-shaped control plane on 127.0.0.1 (src/testbed) for
 * tests, the demo and trying joinery out. Progress goes to stderr; `up` prints the admin kubeconfig path.
 */
import { JoineryError } from '../errors/index.js';
import { defaultTestbedDir, readTestbedState, testbedDown, testbedEnv, testbedUp, testbedVersions } from '../testbed/index.js';
import { configApiVersion } from '../kubeadm/index.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';

export interface TestbedOptions {
  dir?: string;
  kubernetesVersion?: string;
  build?: boolean;
}

export async function testbedUpCommand(options: TestbedOptions, io: Io): Promise<number> {
  const state = await testbedUp({
    ...(options.dir === undefined ? {} : { dir: options.dir }),
    ...(options.kubernetesVersion === undefined ? {} : { kubernetesVersion: options.kubernetesVersion }),
    ...(options.build === undefined ? {} : { build: options.build }),
    log: (line) => io.stderr(`${line}\n`),
  });
  io.stdout(`${state.kubeconfig}\n`);
  return 0;
}

export function testbedDownCommand(options: TestbedOptions, io: Io): number {
  const dir = options.dir ?? defaultTestbedDir();
  if (!testbedDown(dir)) {
    io.stderr(`no testbed in ${dir}; nothing to do\n`);
    return 0;
  }
  io.stderr(`testbed in ${dir} stopped and removed\n`);
  return 0;
}

export function testbedEnvCommand(options: TestbedOptions, io: Io): number {
  io.stdout(testbedEnv(requireState(options)));
  return 0;
}

/** `testbed versions`: each version with its kubeadm config API and whether it is available, buildable or missing. */
export async function testbedVersionsCommand(options: { output: OutputFormat }, io: Io): Promise<number> {
  const versions = testbedVersions().map((v) => ({ ...v, configApi: configApiVersion(v.version) }));
  const status = (v: (typeof versions)[number]): string => (v.available ? 'available' : v.buildable ? 'buildable' : 'missing');
  const text = (): string => {
    const rows = [['VERSION', 'CONFIG API', 'STATUS', 'DETAIL'], ...versions.map((v) => [v.version, v.configApi, status(v), v.detail])];
    const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join('  ')).join('\n') + '\n';
  };
  io.stdout(await formatOutput(options.output, { versions: versions.map((v) => ({ ...v, status: status(v) })) }, text));
  return 0;
}

/** `testbed node add NAME [--userdata F]`: a node with its own mount namespace and kubelet; runs the bootstrap data when given. */
export async function testbedNodeAddCommand(name: string, options: TestbedOptions & { userdata?: string; output: OutputFormat; timeout?: string }, io: Io): Promise<number> {
  const state = requireState(options);
  const { addTestbedNode, userdataKind } = await import('../testbed/index.js');
  // The bootstrap data is read and checked first: bad input starts nothing.
  const text = options.userdata === undefined ? undefined : await readUserdata(options.userdata);
  if (text !== undefined) userdataKind(text);
  const node = await addTestbedNode(state, { name, log: (line) => io.stderr(`${line}\n`) });
  if (options.userdata === undefined || text === undefined) {
    io.stdout(await formatOutput(options.output, { node: node.name, dir: node.info.dir, kubeletPort: node.info.kubeletPort }, () => `${node.name}\n`));
    return 0;
  }
  return runUserdataOn(node, options.userdata, text, options, io);
}

async function readUserdata(file: string): Promise<string> {
  const { readFlagFile } = await import('./input.js');
  return readFlagFile(file, 'FILE', 'a bootstrap script or #cloud-config document from joinery userdata (- for stdin)');
}

/** `testbed node run NAME FILE`: runs bootstrap data (script or cloud-config) in an existing node and reports. */
export async function testbedNodeRunCommand(name: string, file: string, options: TestbedOptions & { output: OutputFormat; timeout?: string }, io: Io): Promise<number> {
  const state = requireState(options);
  const { testbedNode } = await import('../testbed/index.js');
  const node = testbedNode(state, name);
  if (node === undefined) {
    throw new JoineryError('TESTBED_NODE_NOT_FOUND', `no testbed node ${name} in ${state.dir}`, `add it: joinery testbed node add ${name} --dir ${state.dir}`, { family: 'usage' });
  }
  return runUserdataOn(node, file, await readUserdata(file), options, io);
}

async function runUserdataOn(node: import('../testbed/index.js').TestbedNode, file: string, text: string, options: { output: OutputFormat; timeout?: string }, io: Io): Promise<number> {
  const { parseDuration, MILLISECOND } = await import('../duration/index.js');
  const timeoutMs = options.timeout === undefined ? 300_000 : Number(parseDuration(options.timeout, '--timeout') / MILLISECOND);
  io.stderr(`running ${file === '-' ? 'stdin' : file} in node ${node.name}...\n`);
  const result = await node.runUserdata(text, { timeoutMs });
  const nodeName = node.kubeletNodeName();
  io.stderr(`exit ${result.status} after ${result.durationMs} ms; waiting up to 60 s for Node ${nodeName}...\n`);
  const registered = result.status === 0 ? (await node.waitNodeRegistered(nodeName, 60_000)) !== undefined : false;
  const report = { node: node.name, nodeName, status: result.status, durationMs: result.durationMs, registered, files: result.files, output: result.output };
  io.stdout(
    await formatOutput(options.output, report, () =>
      [
        result.output.trimEnd(),
        '',
        `exit status: ${result.status}`,
        'files:',
        ...result.files.map((f) => `  ${f.mode.padStart(4, '0')} ${f.uid}:${f.gid} ${f.path}`),
        `Node ${nodeName} registered: ${registered ? 'yes' : 'no'}`,
        '',
      ].join('\n'),
    ),
  );
  return result.status === 0 && registered ? 0 : 1;
}

/** `testbed node ls`. */
export async function testbedNodeListCommand(options: TestbedOptions & { output: OutputFormat }, io: Io): Promise<number> {
  const state = requireState(options);
  const { listTestbedNodes } = await import('../testbed/index.js');
  const nodes = listTestbedNodes(state);
  io.stdout(
    await formatOutput(options.output, { nodes }, () => {
      const rows = [['NAME', 'SUPERVISOR', 'KUBELET', 'KUBELET PORT', 'CREATED'], ...nodes.map((n) => [n.name, n.running ? `running (${n.pid})` : 'exited', n.kubelet, String(n.kubeletPort), n.createdAt])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
      return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n';
    }),
  );
  return 0;
}

/** `testbed node rm NAME...`: stops the kubelet and the node's namespace and removes its directory (the Node object stays). */
export async function testbedNodeRemoveCommand(names: string[], options: TestbedOptions, io: Io): Promise<number> {
  const state = requireState(options);
  const { removeTestbedNode } = await import('../testbed/index.js');
  let status = 0;
  for (const name of names) {
    if (removeTestbedNode(state, name)) io.stderr(`node ${name} stopped and removed\n`);
    else {
      io.stderr(`no testbed node ${name} in ${state.dir}\n`);
      status = 1;
    }
  }
  return status;
}

function requireState(options: TestbedOptions): NonNullable<ReturnType<typeof readTestbedState>> {
  const dir = options.dir ?? defaultTestbedDir();
  const state = readTestbedState(dir);
  if (state === undefined) {
    throw new JoineryError('TESTBED_NOT_UP', `no testbed is up in ${dir}`, `start one: joinery testbed up${options.dir === undefined ? '' : ` --dir ${dir}`}`, { family: 'usage' });
  }
  return state;
}

/** `testbed build`: makes sure the binaries of a version (Kubernetes and its etcd) are on this machine, building them when missing. */
export async function testbedBuildCommand(options: { kubernetesVersion: string; output: OutputFormat }, io: Io): Promise<number> {
  const { kubernetesBinaries, etcdBinary, crictlBinary } = await import('../testbed/index.js');
  const t0 = Date.now();
  const log = (line: string): void => io.stderr(`${line}\n`);
  const bin = kubernetesBinaries(options.kubernetesVersion, { build: true, log });
  const etcd = etcdBinary(options.kubernetesVersion, { build: true, log });
  // crictl for testbed nodes (kubeadm < 1.31 needs it for a control-plane join); not having Go only loses it.
  const crictl = crictlBinary({ build: true, log }) ?? null;
  const report = { version: options.kubernetesVersion, dir: bin.dir, origin: bin.origin, etcd, crictl, seconds: Math.round((Date.now() - t0) / 1000) };
  io.stdout(await formatOutput(options.output, report, () => `${bin.dir}\n`));
  return 0;
}
