/**
 * `npm run demo`: the whole product on one machine, each stage shown as it happens.
 *   1. a testbed (a real control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager, kubeadm-shaped)
 *   2. joinery setup (joinery's node group may join, but is not auto-approved)
 *   3. joinery serve (the provisioner) with a fresh API key
 *   4. a machine requested over the API: its token minted, bound to its node name, its bootstrap script rendered
 *   5. the machine: a testbed node (own mount namespace, containerd, the real kubelet) runs the script as served:
 *      the real kubeadm join, the kubelet's TLS bootstrap, the Node registered by the kubelet
 *   6. joinery approved the kubelet's CSR for that name only; joinery revokes the token once the Node is there
 * Everything is torn down on exit, on failure and on Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, kubeconfigCredentials, listTokenSecrets, type CertificateSigningRequest } from '../src/cluster/index.js';
import { addTestbedNode, readTestbedState, testbedNodeSpec, testbedNodesSupported, type TestbedState } from '../src/testbed/index.js';
import { apiKey, ServeProcess } from '../test/support/serve.js';
import { JOINERY_BIN } from '../test/support/testbed.js';

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'joinery-demo-'));
const testbedDir = join(work, 'testbed');
let service: ServeProcess | undefined;
let tornDown = false;

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function stage(n: number, text: string): void {
  process.stdout.write(`\n${bold(`[${n}/6] ${text}`)}  (+${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
function say(text: string): void {
  process.stdout.write(`      ${text}\n`);
}

async function teardown(): Promise<void> {
  if (tornDown) return;
  tornDown = true;
  process.stdout.write('\ntearing down: joinery serve, the testbed...\n');
  await service?.stop();
  spawnSync(process.execPath, [JOINERY_BIN, 'testbed', 'down', '--dir', testbedDir], { stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    void teardown().then(() => process.exit(130));
  });
}

function runJoinery(args: string[], tb?: TestbedState): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [JOINERY_BIN, ...args], { env: { ...process.env, ...(tb === undefined ? {} : { KUBECONFIG: tb.kubeconfig }) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim() !== '') say(line);
    });
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

async function main(): Promise<void> {
  const supported = testbedNodesSupported();
  if (!supported.ok) throw new Error(`the demo's machine is a testbed node, and ${supported.reason}`);
  stage(1, 'starting a testbed: a real, kubeadm-shaped control plane on 127.0.0.1');
  const up = await runJoinery(['testbed', 'up', '--build', '--dir', testbedDir]);
  if (up.status !== 0) throw new Error('the testbed did not start');
  const tb = readTestbedState(testbedDir) as TestbedState;
  say(`Kubernetes ${tb.version}, API server ${tb.server}`);
  const client = new KubeClient(kubeconfigCredentials(tb.kubeconfig));

  stage(2, 'joinery setup: the joinery node group may read what a join needs, but is not auto-approved');
  const setup = await runJoinery(['setup'], tb);
  for (const line of setup.stdout.trim().split('\n')) say(line);
  if (setup.status !== 0) throw new Error('joinery setup failed');

  stage(3, 'joinery serve: the host provisioner, with a fresh API key (only its sha256 is in the config)');
  const key = apiKey('demo');
  const config = join(work, 'joinery.yaml');
  writeFileSync(
    config,
    `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\nkubeconfig: ${tb.kubeconfig}\napiKeys:\n  - {name: demo, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker:\n    role: worker\n    format: script\n    tokenTTL: 15m\n    nodeNamePattern: "worker-[a-z0-9-]+"\n    spec: ${JSON.stringify(testbedNodeSpec(tb))}\n`,
    { mode: 0o600 },
  );
  service = await ServeProcess.start(config);
  say(`listening on ${service.url}`);

  const name = 'worker-demo-1';
  stage(4, `POST /v1/machines {"name": "${name}", "profile": "worker"}`);
  const created = await service.request('POST', '/v1/machines', { key: key.key, body: { name, profile: 'worker' } });
  if (created.status !== 201) throw new Error(`POST /v1/machines answered ${created.status}: ${created.text}`);
  const userdata = created.body['userdata'] as string;
  say(`201 Created: state ${created.body['state']}, token ${created.body['tokenId']}.<secret>, ${userdata.length} bytes of ${created.body['format']}`);
  const token = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/.exec(userdata)?.[0] as string;

  stage(5, `the machine: testbed node ${name} (its own mount namespace, Debian's containerd, the real kubelet) runs the script as served`);
  const node = await addTestbedNode(tb, { name, log: say });
  const handedOver = Date.now();
  let joined: number | undefined;
  // The provisioner's view while the node joins: the machine's state as it changes.
  let lastState = '';
  const watching = (async () => {
    while (joined === undefined) {
      const m = await service?.request('GET', `/v1/machines/${name}`, { key: key.key });
      const st = String(m?.body['state']);
      if (st !== lastState) say(`joinery: machine ${name} is ${st}`);
      lastState = st;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const run = await node.runScript(userdata, {
    onLine: (line) => {
      if (/^\[(kubelet-start|discovery|preflight\] Reading)|has joined the cluster/.test(line)) say(`kubeadm: ${line}  (+${((Date.now() - handedOver) / 1000).toFixed(1)} s)`);
    },
  });
  if (run.status !== 0) throw new Error(`the bootstrap script failed (exit ${run.status}):\n${run.output}\n--- kubelet:\n${node.kubeletLog().slice(-3000)}`);
  const registered = await node.waitNodeRegistered(name, 60_000);
  joined = Date.now();
  await watching;
  if (registered === undefined) throw new Error(`Node ${name} did not register:\n${node.kubeletLog().slice(-3000)}`);
  say(`kubelet: Node ${name} registered itself, ${((joined - handedOver) / 1000).toFixed(1)} s after the bootstrap data was handed over`);

  stage(6, "joinery approved the real kubelet's CSR for its own node name only, and revokes the token now that the Node is there");
  const csrs = await client.request<{ items: CertificateSigningRequest[] }>('/apis/certificates.k8s.io/v1/certificatesigningrequests', { action: { verb: 'list', resource: 'certificatesigningrequests' } });
  const csr = (csrs?.items ?? []).find((c) => c.spec.username === `system:bootstrap:${String(created.body['tokenId'] ?? token.slice(0, 6))}`);
  const cond = csr?.status?.conditions?.[0];
  say(`CSR ${csr?.metadata.name} from system:bootstrap:<token id> for CN system:node:${name}: ${cond?.type} (${cond?.reason}: ${cond?.message})`);
  if (cond?.type !== 'Approved') throw new Error('the CSR was not approved by joinery');
  let last = '';
  for (let i = 0; i < 200; i++) {
    const m = await service.request('GET', `/v1/machines/${name}`, { key: key.key });
    const tokens = (await listTokenSecrets(client, `joinery.dev/machine=${name}`)).length;
    const line = `machine ${name}: state ${m.body['state']}, tokens left ${tokens}`;
    if (line !== last) say(line);
    last = line;
    if (m.body['state'] === 'joined' && tokens === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  client.close();
  if (!last.includes('joined') || !last.endsWith('tokens left 0')) throw new Error('the machine did not reach joined with its token revoked');
  process.stdout.write(`\n${bold(`done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${name} joined, and its token is gone.`)}\n`);
}

main()
  .then(teardown)
  .catch(async (err: unknown) => {
    process.stderr.write(`\ndemo failed: ${(err as Error).message}\n`);
    if (service !== undefined) process.stderr.write(`joinery serve's log:\n${service.log}\n`);
    await teardown();
    process.exit(1);
  });
