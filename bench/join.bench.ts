/**
 * `npm run bench:join`: join time on testbed nodes (real kubeadm, kubelet and containerd), from the bootstrap data
 * handed over to the machine to its Node registered by its kubelet, median of RUNS joins each, interleaved:
 *   - kubeadm (baseline): the line of `kubeadm token create --print-join-command`, run as a script on the node
 *     (plus the testbed's --cri-socket and preflight flags); its token's CSR is auto-approved by kube-controller-manager;
 *   - joinery userdata: the worker script of `joinery userdata` (file discovery, token minted per node), and the
 *     same with `--discovery token`;
 *   - joinery serve: the script from POST /v1/machines; the kubelet's CSR approved by joinery's approver, the token
 *     revoked once the Node registers (also timed: mint to revoked).
 * Minting and rendering happen before the clock starts, for all three. Prints the ratios against kubeadm and, as its
 * last line, one JSON object with the medians. KUBERNETES_VERSION picks the testbed's version (default v1.20.2).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addTestbedNode, removeTestbedNode, TESTBED_PREFLIGHT_ERRORS, testbedDown, testbedNodeSpec, testbedNodesSupported, testbedUp, type TestbedNode, type TestbedState } from '../dist/testbed/index.js';
import { KubeClient, kubeconfigCredentials, listTokenSecrets } from '../dist/cluster/index.js';
import { apiKey, ServeProcess } from '../test/support/serve.js';
import { median } from './harness.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const root = resolve(import.meta.dirname, '..');
const joinery = join(root, 'bin/joinery');

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Runs `userdata` on a fresh node `name`; returns ms from hand-over to the Node registered. */
async function timeJoin(tb: TestbedState, name: string, userdata: string): Promise<number> {
  const node: TestbedNode = await addTestbedNode(tb, { name });
  try {
    const t0 = performance.now();
    const r = await node.runScript(userdata);
    if (r.status !== 0) throw new Error(`${name}: the bootstrap data failed (exit ${r.status}):\n${r.output}`);
    if ((await node.waitNodeRegistered(name, 60_000)) === undefined) throw new Error(`${name}: no Node registered:\n${node.kubeletLog().slice(-2000)}`);
    return performance.now() - t0;
  } finally {
    removeTestbedNode(tb, name);
  }
}

async function main(): Promise<void> {
  const supported = testbedNodesSupported();
  if (!supported.ok) throw new Error(`bench:join needs testbed nodes: ${supported.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'joinery-bench-join-'));
  const work = mkdtempSync(join(tmpdir(), 'joinery-bench-join-work-'));
  let service: ServeProcess | undefined;
  let admin: KubeClient | undefined;
  try {
    const tb = await testbedUp({ dir, kubernetesVersion: process.env['KUBERNETES_VERSION'] ?? 'v1.20.2', log: (l) => console.error(l) });
    const env = { ...process.env, KUBECONFIG: tb.kubeconfig };
    const spec = testbedNodeSpec(tb);
    const specFile = join(work, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    run(process.execPath, [joinery, 'setup'], env);
    const key = apiKey('bench');
    const config = join(work, 'joinery.yaml');
    writeFileSync(
      config,
      `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\nkubeconfig: ${tb.kubeconfig}\napiKeys:\n  - {name: bench, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker:\n    role: worker\n    format: script\n    tokenTTL: 15m\n    nodeNamePattern: "^bench-[a-z0-9-]+$"\n    spec: ${JSON.stringify(spec)}\n`,
      { mode: 0o600 },
    );
    service = await ServeProcess.start(config);
    admin = new KubeClient(kubeconfigCredentials(tb.kubeconfig));
    const sock = spec.joinConfiguration.nodeRegistration.criSocket;
    const cases: Record<string, (name: string) => Promise<string>> = {
      kubeadm: async (name) => {
        const line = run(tb.kubeadm, ['token', 'create', '--print-join-command', '--ttl', '15m', '--kubeconfig', tb.kubeconfig], env).trim();
        return `#!/bin/sh\nset -e\n${line} --node-name ${name} --cri-socket ${sock} --ignore-preflight-errors=${TESTBED_PREFLIGHT_ERRORS.join(',')}\n`;
      },
      userdata: async (name) => run(process.execPath, [joinery, 'userdata', '--role', 'worker', '--node-name', name, '--format', 'script', '--ttl', '15m', '--spec', specFile], env),
      'userdata-token': async (name) => run(process.execPath, [joinery, 'userdata', '--role', 'worker', '--node-name', name, '--format', 'script', '--ttl', '15m', '--discovery', 'token', '--spec', specFile], env),
      serve: async (name) => {
        const r = await service!.request('POST', '/v1/machines', { key: key.key, body: { name, profile: 'worker' } });
        if (r.status !== 201) throw new Error(`POST /v1/machines: ${r.status} ${r.text}`);
        return r.body['userdata'] as string;
      },
    };
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    const revokedAfter: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      for (const [kind, make] of Object.entries(cases)) {
        const name = `bench-${kind}-${i}`;
        const userdata = await make(name);
        const ms = await timeJoin(tb, name, userdata);
        times[kind]!.push(ms);
        if (kind === 'serve') {
          // The token is revoked on the Node's ADDED event: time from hand-over to no token left.
          const t0 = performance.now();
          while ((await listTokenSecrets(admin!, `joinery.dev/machine=${name}`)).length > 0 && performance.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
          revokedAfter.push(ms + (performance.now() - t0));
        }
        console.error(`${name}: ${(ms / 1000).toFixed(2)} s`);
      }
    }
    const med = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    console.log(`Kubernetes ${tb.version}, ${RUNS} joins each (interleaved), bootstrap data handed over -> Node registered, medians:`);
    console.log(`  kubeadm join line (baseline)     ${s(med['kubeadm']!)}`);
    console.log(`  joinery userdata script          ${s(med['userdata']!)}   ratio ${(med['userdata']! / med['kubeadm']!).toFixed(2)}   (file discovery, the default)`);
    console.log(`  joinery userdata --discovery token ${s(med['userdata-token']!)} ratio ${(med['userdata-token']! / med['kubeadm']!).toFixed(2)}`);
    console.log(`  joinery serve (joinery approves) ${s(med['serve']!)}   ratio ${(med['serve']! / med['kubeadm']!).toFixed(2)}`);
    console.log(`  joinery serve: hand-over -> token revoked ${s(median(revokedAfter))}`);
    console.log(
      JSON.stringify({
        version: tb.version,
        runs: RUNS,
        kubeadm_ms: Math.round(med['kubeadm']!),
        userdata_ms: Math.round(med['userdata']!),
        userdata_token_ms: Math.round(med['userdata-token']!),
        serve_ms: Math.round(med['serve']!),
        serve_revoked_ms: Math.round(median(revokedAfter)),
        userdata_ratio: Number((med['userdata']! / med['kubeadm']!).toFixed(3)),
        userdata_token_ratio: Number((med['userdata-token']! / med['kubeadm']!).toFixed(3)),
        serve_ratio: Number((med['serve']! / med['kubeadm']!).toFixed(3)),
      }),
    );
  } finally {
    admin?.close();
    await service?.stop();
    testbedDown(dir);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
