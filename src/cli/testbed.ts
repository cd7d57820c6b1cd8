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
  const dir = options.dir ?? defaultTestbedDir();
  const state = readTestbedState(dir);
  if (state === undefined) {
    throw new JoineryError('TESTBED_NOT_UP', `no testbed is up in ${dir}`, `start one: joinery testbed up${options.dir === undefined ? '' : ` --dir ${dir}`}`, { family: 'usage' });
  }
  io.stdout(testbedEnv(state));
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
