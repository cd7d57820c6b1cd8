/**
 * `npm run bench:cli`: whole-process wall time of `joinery token create`, `kubeadm token create` and a
 * bare `node -e 0`, against one testbed, interleaved, median of RUNS runs each. Prints
 * (joinery - node) / kubeadm — joinery's own cost over the Node.js start-up it cannot avoid, as a share of
 * kubeadm's whole run (goal <= 1.0) — and, as its last line, one JSON object with the medians.
 * Uses the testbed in JOINERY_TESTBED_DIR, or starts one for the run and stops it afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readTestbedState, testbedDown, testbedUp, type TestbedState } from '../dist/testbed/index.js';
import { median } from './harness.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const root = resolve(import.meta.dirname, '..');

function timeOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return ms;
}

async function main(): Promise<void> {
  let tb: TestbedState | undefined = process.env['JOINERY_TESTBED_DIR'] ? readTestbedState(process.env['JOINERY_TESTBED_DIR']) : undefined;
  let started: string | undefined;
  if (tb === undefined) {
    started = mkdtempSync(join(tmpdir(), 'joinery-bench-cli-'));
    console.error(`starting a testbed in ${started}`);
    tb = await testbedUp({ dir: started, log: (l) => console.error(l) });
  }
  try {
    const env = { ...process.env, KUBECONFIG: tb.kubeconfig };
    const cases: Record<string, [string, string[]]> = {
      node: [process.execPath, ['-e', '0']],
      joinery: [process.execPath, [join(root, 'bin/joinery'), 'token', 'create', '--ttl', '10m']],
      kubeadm: [tb.kubeadm, ['token', 'create', '--ttl', '10m', '--kubeconfig', tb.kubeconfig]],
    };
    const times: Record<string, number[]> = { node: [], joinery: [], kubeadm: [] };
    for (const [name, [cmd, args]] of Object.entries(cases)) timeOnce(cmd, args, env); // warm the page cache
    for (let i = 0; i < RUNS; i++) {
      for (const [name, [cmd, args]] of Object.entries(cases)) times[name]!.push(timeOnce(cmd, args, env));
    }
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const ratio = (med['joinery']! - med['node']!) / med['kubeadm']!;
    console.log(`runs per command: ${RUNS} (interleaved), wall time of the whole process, medians:`);
    console.log(`  node -e 0               ${med['node']!.toFixed(1)} ms`);
    console.log(`  joinery token create    ${med['joinery']!.toFixed(1)} ms`);
    console.log(`  kubeadm token create    ${med['kubeadm']!.toFixed(1)} ms`);
    console.log(`(joinery - node) / kubeadm = ${ratio.toFixed(2)} (goal <= 1.0)`);
    console.log(JSON.stringify({ ratio: Number(ratio.toFixed(3)), joinery_ms: Number(med['joinery']!.toFixed(1)), kubeadm_ms: Number(med['kubeadm']!.toFixed(1)), node_ms: Number(med['node']!.toFixed(1)) }));
  } finally {
    if (started !== undefined) testbedDown(started);
  }
}

await main();
