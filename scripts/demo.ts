/**
 * `npm run demo`: the whole product on one machine, each stage shown as it happens.
 *   1. a testbed (a real control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager, kubeadm-shaped)
 *   2. joinery setup (joinery's node group may join, but is not auto-approved)
 *   3. joinery serve (the provisioner) with a fresh API key
 *   4. a machine requested over the API: its token minted, bound to its node name, its bootstrap script rendered
 *   5. the node's part: the script through the real kubeadm, then the kubelet's TLS bootstrap CSR
 *   6. joinery approves the CSR for that name only; the Node registers; joinery revokes the token
 * Everything is torn down on exit, on failure and on Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, kubeconfigCredentials, listTokenSecrets, type CertificateSigningRequest } from '../src/cluster/index.js';
import { readTestbedState, type TestbedState } from '../src/testbed/index.js';
import { apiKey, ServeProcess } from '../test/support/serve.js';
import { awaitCsrDecision, canUnshare, runInNodeNamespace, sendKubeletCsr } from '../test/support/node-side.js';
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
    `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\nkubeconfig: ${tb.kubeconfig}\napiKeys:\n  - {name: demo, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker:\n    role: worker\n    format: script\n    tokenTTL: 15m\n    nodeNamePattern: "worker-[a-z0-9-]+"\n    spec: {}\n`,
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

  stage(5, "the node's part: its bootstrap script with the real kubeadm, then the kubelet's CSR");
  if (canUnshare) {
    const script = join(work, `${name}.sh`);
    writeFileSync(script, userdata, { mode: 0o600 });
    const run = runInNodeNamespace(tb, work, script);
    if (run.status !== 0) throw new Error(`the bootstrap script failed:\n${run.out}`);
    say('kubeadm: discovery verified cluster-info against the pinned CA, and read the cluster config with the token');
  } else say('(not root: the script step is skipped; the CSR below still uses the minted token)');
  const csr = await sendKubeletCsr(tb, work, token, name);
  say(`kubelet: sent CSR ${csr.name} for CN system:node:${name} with its bootstrap token`);

  stage(6, 'joinery approves the CSR for its own node name; the Node registers; the token is revoked');
  const decided: CertificateSigningRequest = await awaitCsrDecision(csr.client, csr.name);
  csr.client.close();
  const cond = decided.status?.conditions?.[0];
  say(`CSR ${cond?.type}: ${cond?.reason} (${cond?.message})`);
  if (cond?.type !== 'Approved') throw new Error('the CSR was not approved');
  const ca = readFileSync(join(tb.dir, 'pki', 'ca.crt'), 'utf8');
  const asNode = new KubeClient({ server: tb.server, ca, clientCert: Buffer.from(decided.status?.certificate ?? '', 'base64').toString(), clientKey: csr.keyPem, source: 'node certificate' });
  await asNode.request('/api/v1/nodes', { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'joinery.dev/profile': 'worker' } } }, action: { verb: 'create', resource: 'nodes' } });
  asNode.close();
  say(`Node ${name} registered with its own certificate`);
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
