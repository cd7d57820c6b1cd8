/**
 * `joinery testbed up|down|env`: a real kubeadm-shaped control plane on 127.0.0.1 (src/testbed) for
 * tests, the demo and trying joinery out. Progress goes to stderr; `up` prints the admin kubeconfig path.
 */
import { JoineryError } from '../errors/index.js';
import { defaultTestbedDir, readTestbedState, testbedDown, testbedEnv, testbedUp } from '../testbed/index.js';
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
