/**
 * The testbed shared by every integration test of one run: scripts/run-tests.mjs starts it and passes its
 * directory in JOINERY_TESTBED_DIR. A test run outside that script has no testbed and skips with the reason.
 */
import { spawnSync, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeClient, kubeconfigCredentials, listTokenSecrets } from '../../src/cluster/index.js';
import { readTestbedState, type TestbedState } from '../../src/testbed/index.js';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const JOINERY_BIN = resolve(PROJECT_ROOT, 'bin/joinery');

/** The run's testbed, or `{missing}` with the reason to skip. */
export function sharedTestbed(): TestbedState | { missing: string } {
  const dir = process.env['JOINERY_TESTBED_DIR'];
  if (dir === undefined || dir === '') return { missing: 'no testbed: run the integration tests through `npm test` (scripts/run-tests.mjs starts one)' };
  const state = readTestbedState(dir);
  return state ?? { missing: `no testbed state in ${dir}` };
}

/** The testbed, or throws: for suites that cannot do anything without it (npm test always provides one). */
export function requireTestbed(): TestbedState {
  const tb = sharedTestbed();
  if ('missing' in tb) throw new Error(tb.missing);
  return tb;
}

/** The minor version of the testbed's Kubernetes (20 for v1.20.2), for expectations that changed between releases. */
export function kubernetesMinor(tb: TestbedState): number {
  return Number(tb.version.replace(/^v/, '').split('.')[1]);
}

/** An admin client of the testbed (close it after use). */
export function adminClient(tb: TestbedState): KubeClient {
  return new KubeClient(kubeconfigCredentials(tb.kubeconfig));
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (bin/joinery) with the testbed's admin kubeconfig in $KUBECONFIG unless env says otherwise. */
export function joinery(tb: TestbedState, args: string[], options: { env?: Record<string, string>; input?: string } = {}): Run {
  const r = spawnSync(process.execPath, [JOINERY_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: tb.kubeconfig, ...options.env },
    timeout: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the testbed's kubeadm (its own version) with the admin kubeconfig. */
export function kubeadm(tb: TestbedState, args: string[], options: { cwd?: string } = {}): Run {
  const r = spawnSync(tb.kubeadm, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, KUBECONFIG: tb.kubeconfig }, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Async variant of `joinery` for tests that must not block the event loop. */
export function joineryAsync(tb: TestbedState, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [JOINERY_BIN, ...args], { env: { ...process.env, KUBECONFIG: tb.kubeconfig, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => res({ status, stdout, stderr }));
  });
}

/** How many bootstrap token Secrets the cluster holds (to prove that bad input mints nothing). */
export async function tokenSecretCount(client: KubeClient): Promise<number> {
  return (await listTokenSecrets(client)).length;
}
