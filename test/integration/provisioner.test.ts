/**
 * The host provisioner end to end on the testbed, driven through its HTTP API (issue 5 §6): `joinery
 * setup`, `joinery serve`, a machine minted, its bootstrap script run with the real kubeadm, its kubelet
 * CSR approved by joinery for its own name only, its Node registered, its token revoked — also across a
 * restart of the service — and the API's refusals. The service's whole log is searched for every token.
 */
import { after, before, describe, it } from 'node:test';
import { execFileSync, spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, kubeconfigCredentials, listTokenSecrets, type CertificateSigningRequest } from '../../src/cluster/index.js';
import { testbedDown, testbedNodeSpec, testbedUp } from '../../src/testbed/index.js';
import { APPROVED_REASON } from '../../src/provisioner/approval/index.js';
import { adminClient, joinery, requireTestbed } from '../support/testbed.js';
import { apiKey, ServeProcess } from '../support/serve.js';
import { kubeletTlsBootstrap } from '../support/kubelet.js';
import { awaitCsrDecision, registerNode as registerNodeAs, sendKubeletCsr } from '../support/node-side.js';
import { NodePool, nodesSkip } from '../support/nodes.js';
import { eventually } from '../support/eventually.js';

const tb = requireTestbed();
const client = adminClient(tb);
const work = mkdtempSync(join(tmpdir(), 'joinery-serve-'));
const admin = apiKey('ci');
const edgeOnly = apiKey('edge-only');
const configFile = join(work, 'joinery.yaml');
const minted: string[] = [];
const logs: string[] = [];
let service: ServeProcess;
const nodes = new NodePool(tb);

const TOKEN_RE = /\b([a-z0-9]{6})\.([a-z0-9]{16})\b/;

function tokenIn(userdata: string): string {
  const m = TOKEN_RE.exec(userdata);
  assert.ok(m, 'the bootstrap data holds a token');
  minted.push(m[0]);
  return m[0];
}

async function machineTokens(name: string): Promise<number> {
  return (await listTokenSecrets(client, `joinery.dev/machine=${name}`)).length;
}

async function machineState(name: string): Promise<string | undefined> {
  const r = await service.request('GET', `/v1/machines/${name}`, { key: admin.key });
  return r.status === 200 ? (r.body['state'] as string) : `HTTP ${r.status}`;
}

/** Registers the Node as its kubelet would (support/node-side.ts). */
function registerNode(csr: CertificateSigningRequest, keyPem: string, name: string, labels: Record<string, string>): Promise<void> {
  return registerNodeAs(tb, csr, keyPem, name, labels);
}

async function deleteNode(name: string): Promise<void> {
  await client.request(`/api/v1/nodes/${name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'nodes', name } });
}

before(async () => {
  writeFileSync(
    configFile,
    `listen: 127.0.0.1:8443
tls: {insecureLoopback: true}
kubeconfig: ${tb.kubeconfig}
apiKeys:
  - {name: ${admin.name}, sha256: ${admin.sha256}, scope: admin}
  - {name: ${edgeOnly.name}, sha256: ${edgeOnly.sha256}, scope: provisioner, profiles: [edge]}
profiles:
  worker:
    role: worker
    format: script
    tokenTTL: 15m
    nodeNamePattern: "^worker-[a-z0-9-]+$"
    spec: ${JSON.stringify(testbedNodeSpec(tb))}
  edge:
    role: worker
    format: cloud-config
    tokenTTL: 3s
    nodeNamePattern: "edge-[a-z0-9-]+"
    spec: {}
`,
  );
  service = await ServeProcess.start(configFile, {}, ['--expired-retention', '0s']);
});

after(async () => {
  if (service !== undefined) {
    await service.stop();
    logs.push(service.log);
  }
  nodes.removeAll();
  client.close();
  rmSync(work, { recursive: true, force: true });
});

describe('joinery setup', () => {
  it('binds the joinery node group to what kubeadm binds for its default group, except auto-approval; a second run changes nothing', () => {
    const first = joinery(tb, ['setup', '-o', 'json']);
    assert.equal(first.status, 0, first.stderr);
    const items = (JSON.parse(first.stdout) as { bindings: { name: string; role: string; state: string }[] }).bindings;
    const roles = items.map((i) => i.role);
    assert.ok(roles.includes('ClusterRole/system:node-bootstrapper'), roles.join());
    assert.ok(roles.includes('ClusterRole/kubeadm:get-nodes'), roles.join());
    assert.ok(roles.some((r) => r === 'Role/kubeadm:nodes-kubeadm-config'), roles.join());
    assert.ok(roles.some((r) => r.startsWith('Role/kubeadm:kubelet-config')), roles.join());
    assert.ok(roles.includes('Role/kube-proxy'), roles.join());
    assert.ok(!roles.some((r) => r.includes('certificatesigningrequests:nodeclient')), 'no auto-approval');
    const again = joinery(tb, ['setup', '--dry-run', '-o', 'json']);
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.ok((JSON.parse(again.stdout) as { bindings: { state: string }[] }).bindings.every((b) => b.state === 'present'));
  });
});

describe('joinery serve, end to end', () => {
  it('starts without a runtime warning on its output (no deprecated option of fastify or Node)', () => {
    assert.match(service.log, /listening on https?:\/\//);
    assert.deepEqual(service.log.split('\n').filter((l) => /^\(node:\d+\) /.test(l)), []);
  });

  it('mints, a testbed node joins for real with the rendered script, joinery approves the real kubelet, the Node registers and the token is revoked', async (t) => {
    if (nodesSkip !== undefined) return t.skip(nodesSkip);
    const name = 'worker-a';
    const r = await service.request('POST', '/v1/machines', { key: admin.key, body: { name, profile: 'worker' } });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.body['name'], name);
    assert.equal(r.body['state'], 'pending');
    assert.equal(r.body['format'], 'script');
    const userdata = r.body['userdata'] as string;
    const token = tokenIn(userdata);
    assert.match(userdata, /joinery\.dev\/profile=worker/, 'the kubelet labels its Node as a joinery machine');
    const secrets = await listTokenSecrets(client, `joinery.dev/machine=${name}`);
    assert.equal(secrets.length, 1);
    const data = (secrets[0] as { data?: Record<string, string> }).data ?? {};
    assert.equal(Buffer.from(data['auth-extra-groups'] ?? '', 'base64').toString(), 'system:bootstrappers:joinery:nodes');

    // The machine: a testbed node runs the bootstrap data as served, with the real kubeadm join and the real kubelet.
    const node = await nodes.add(name);
    const run = await node.runScript(userdata);
    assert.equal(run.status, 0, `${run.output}\n--- kubelet:\n${node.kubeletLog().slice(-3000)}`);
    assert.match(run.output, /This node has joined the cluster/);
    assert.equal(run.files.find((f) => f.path === '/run/kubeadm/kubeadm-join-config.yaml')?.mode, '600');
    const registered = (await node.waitNodeRegistered(name, 60_000)) as { metadata: { labels: Record<string, string> } } | undefined;
    assert.ok(registered, 'the kubelet registered its Node');
    assert.equal(registered.metadata.labels['joinery.dev/profile'], 'worker');

    // The kubelet's CSR: approved by joinery (not kube-controller-manager), for this name.
    const csrs = await client.request<{ items: CertificateSigningRequest[] }>('/apis/certificates.k8s.io/v1/certificatesigningrequests', { action: { verb: 'list', resource: 'certificatesigningrequests' } });
    // (A machine's token id comes from its name: CSRs of an earlier machine of that name, on a reused testbed, are older.)
    const since = secrets[0]?.metadata.creationTimestamp ?? '';
    const mine = (csrs?.items ?? []).filter((c) => c.spec.username === `system:bootstrap:${token.slice(0, 6)}` && (c.metadata.creationTimestamp ?? '') >= since);
    assert.equal(mine.length, 1, JSON.stringify(mine.map((c) => c.status)));
    assert.equal(mine[0]?.status?.conditions?.find((c) => c.type === 'Approved')?.reason, APPROVED_REASON);

    await eventually('the token to be revoked', async () => ((await machineTokens(name)) === 0 ? true : undefined));
    assert.equal(await machineState(name), 'joined');
    const list = await service.request('GET', '/v1/machines', { key: admin.key });
    assert.ok((list.body['items'] as { name: string; state: string }[]).some((m) => m.name === name && m.state === 'joined'));
    const metrics = await service.request('GET', '/metrics');
    assert.match(metrics.text, /joinery_joins_total\{profile="worker"\} 1/);
    assert.match(metrics.text, /joinery_mint_to_join_seconds_count\{profile="worker"\} 1/);
    nodes.remove(name);
    await deleteNode(name);
  });

  it('binds the token to its node name: a CSR for another name is denied with the reason, one for its own name approved', async () => {
    const r = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-b', profile: 'worker' } });
    assert.equal(r.status, 201, r.text);
    const token = tokenIn(r.body['userdata'] as string);
    const wrong = await sendKubeletCsr(tb, work, token, 'worker-c');
    const denied = await awaitCsrDecision(wrong.client, wrong.name);
    wrong.client.close();
    const cond = denied.status?.conditions?.find((c) => c.type === 'Denied');
    assert.ok(cond, JSON.stringify(denied.status));
    assert.equal(cond.reason, 'NodeNameMismatch');
    assert.match(cond.message ?? '', /worker-b/);
    assert.match(cond.message ?? '', /worker-c/);
    assert.equal(denied.status?.certificate, undefined);
    assert.equal(await machineState('worker-b'), 'denied');
    const right = await sendKubeletCsr(tb, work, token, 'worker-b');
    const ok = await awaitCsrDecision(right.client, right.name);
    right.client.close();
    assert.ok(ok.status?.conditions?.some((c) => c.type === 'Approved'));
    assert.ok(ok.status?.certificate);
    const metrics = await service.request('GET', '/metrics');
    assert.match(metrics.text, /joinery_csr_denials_total\{reason="NodeNameMismatch"\} 1/);
    assert.equal((await service.request('DELETE', '/v1/machines/worker-b', { key: admin.key })).body['state'], 'revoked');
    assert.equal(await machineTokens('worker-b'), 0);
  });

  it("the real kubelet of this version: approved for its machine's name, denied (and left without a certificate) for another", async () => {
    const mint = async (name: string): Promise<string> => {
      const r = await service.request('POST', '/v1/machines', { key: admin.key, body: { name, profile: 'worker' } });
      assert.equal(r.status, 201, r.text);
      return tokenIn(r.body['userdata'] as string);
    };
    const own = await kubeletTlsBootstrap(tb, 'worker-k', await mint('worker-k'), join(work, 'kubelet-k'));
    assert.ok(own.clientPem, `the kubelet got its certificate:\n${own.log.slice(-2000)}`);
    assert.equal(await machineState('worker-k'), 'approved');
    const otherToken = await mint('worker-l');
    const other = await kubeletTlsBootstrap(tb, 'worker-m', otherToken, join(work, 'kubelet-m'), 30_000);
    assert.equal(other.clientPem, undefined, 'no certificate for a name the token was not minted for');
    const csrs = await client.request<{ items: CertificateSigningRequest[] }>('/apis/certificates.k8s.io/v1/certificatesigningrequests', { action: { verb: 'list', resource: 'certificatesigningrequests' } });
    const denied = (csrs?.items ?? []).filter((c) => c.spec.username === `system:bootstrap:${otherToken.slice(0, 6)}`);
    assert.ok(denied.length >= 1, 'the kubelet sent its CSR');
    for (const c of denied) assert.equal(c.status?.conditions?.find((x) => x.type === 'Denied')?.reason, 'NodeNameMismatch');
    for (const n of ['worker-k', 'worker-l']) await service.request('DELETE', `/v1/machines/${n}`, { key: admin.key });
  });

  it('a kubeadm token is left alone: its CSR is approved by kube-controller-manager as before', async () => {
    const created = joinery(tb, ['token', 'create', '--ttl', '10m']);
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();
    const csr = await sendKubeletCsr(tb, work, token, 'kubeadm-made-node');
    const decided = await awaitCsrDecision(csr.client, csr.name);
    csr.client.close();
    const approved = decided.status?.conditions?.find((c) => c.type === 'Approved');
    assert.ok(approved);
    assert.equal(approved.reason, 'AutoApproved');
    joinery(tb, ['token', 'delete', token.slice(0, 6)]);
  });

  it('stub delivery: the one-time URL serves the bootstrap data once, then 410', async () => {
    const r = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-stub', profile: 'worker', delivery: 'stub' } });
    assert.equal(r.status, 201, r.text);
    const url = r.body['url'] as string;
    assert.match(url, /\/v1\/machines\/worker-stub\/userdata\?nonce=/);
    assert.equal(TOKEN_RE.test(r.body['userdata'] as string), false, 'the stub holds no token');
    assert.match(r.body['userdata'] as string, /^#!\/bin\/sh/);
    const path = url.slice(service.url.length);
    const first = await service.request('GET', path);
    assert.equal(first.status, 200, first.text);
    tokenIn(first.text);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    const replay = await service.request('GET', path);
    assert.equal(replay.status, 410);
    assert.equal(replay.body['code'], 'USERDATA_GONE');
    const forged = await service.request('GET', path.replace(/nonce=.*/, 'nonce=AAAA'));
    assert.equal(forged.status, 410);
    for (const format of ['ignition', 'cloud-config'] as const) {
      const s = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: `worker-stub-${format}`, profile: 'worker', delivery: 'stub', format } });
      assert.equal(s.status, 201, s.text);
      if (format === 'ignition') assert.equal((JSON.parse(s.body['userdata'] as string) as { ignition: { config: { replace: { source: string } } } }).ignition.config.replace.source, s.body['url']);
      else assert.equal(s.body['userdata'], `#include\n${s.body['url'] as string}\n`);
      await service.request('DELETE', `/v1/machines/worker-stub-${format}`, { key: admin.key });
    }
    await service.request('DELETE', '/v1/machines/worker-stub', { key: admin.key });
  });

  it('refuses: 401 without a key, 403 for another profile, 400 naming the field, 413 too large, 409 duplicate — and mints nothing', async () => {
    const before = (await listTokenSecrets(client)).length;
    const noKey = await service.request('POST', '/v1/machines', { body: { name: 'worker-x', profile: 'worker' } });
    assert.equal(noKey.status, 401);
    assert.equal(noKey.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await service.request('GET', '/v1/machines', { key: 'not-a-key' })).status, 401);
    const scope = await service.request('POST', '/v1/machines', { key: edgeOnly.key, body: { name: 'worker-x', profile: 'worker' } });
    assert.equal(scope.status, 403);
    assert.match(scope.body['message'] as string, /edge-only/);
    const unknown = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-x', profile: 'worker', colour: 'red' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body['code'], 'REQUEST_UNKNOWN_FIELD');
    assert.match(unknown.body['message'] as string, /colour/);
    const malformed = await service.request('POST', '/v1/machines', { key: admin.key, rawBody: '{"name": "worker-x", ' });
    assert.equal(malformed.status, 400);
    const missing = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-x' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body['message'] as string, /profile/);
    const pattern = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'db-1', profile: 'worker' } });
    assert.equal(pattern.status, 400);
    assert.equal(pattern.body['code'], 'MACHINE_NAME_NOT_ALLOWED');
    const badName = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'Worker_X', profile: 'worker' } });
    assert.equal(badName.status, 400);
    const profile = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-x', profile: 'nope' } });
    assert.equal(profile.status, 400);
    assert.match(profile.body['fix'] as string, /worker/);
    const big = await service.request('POST', '/v1/machines', { key: admin.key, rawBody: JSON.stringify({ name: 'worker-x', profile: 'worker', pad: 'x'.repeat(100_000) }) });
    assert.equal(big.status, 413);
    assert.equal((await service.request('GET', '/v1/machines/nobody', { key: admin.key })).status, 404);
    assert.equal((await listTokenSecrets(client)).length, before, 'nothing minted');
    const first = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-dup', profile: 'worker' } });
    assert.equal(first.status, 201);
    tokenIn(first.body['userdata'] as string);
    // The same request again (a client retrying after a lost answer) gets the same token back; another request for the name is 409.
    const again = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-dup', profile: 'worker' } });
    assert.equal(again.status, 200, again.text);
    assert.equal(tokenIn(again.body['userdata'] as string), tokenIn(first.body['userdata'] as string));
    const dup = await service.request('POST', '/v1/machines', { key: admin.key, body: { name: 'worker-dup', profile: 'worker', format: 'cloud-config' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body['code'], 'MACHINE_EXISTS');
    assert.equal(await machineTokens('worker-dup'), 1);
    await service.request('DELETE', '/v1/machines/worker-dup', { key: admin.key });
    // A provisioner key sees only its profiles.
    const edge = await service.request('POST', '/v1/machines', { key: edgeOnly.key, body: { name: 'edge-1', profile: 'edge' } });
    assert.equal(edge.status, 201, edge.text);
    tokenIn(edge.body['userdata'] as string);
    const seen = (await service.request('GET', '/v1/machines', { key: edgeOnly.key })).body['items'] as { name: string }[];
    assert.deepEqual(seen.map((m) => m.name), ['edge-1']);
    assert.equal((await service.request('GET', '/v1/machines/worker-a', { key: edgeOnly.key })).status, 404);
  });

  it('an unused token expires: joinery removes it itself, also where tokencleaner is off', async () => {
    // The shared testbed runs tokencleaner, which would remove the token first: a second testbed without it.
    const dir = mkdtempSync(join(tmpdir(), 'joinery-serve-notc-'));
    rmSync(dir, { recursive: true });
    const other = await testbedUp({ dir, controllers: '*,bootstrapsigner' });
    const otherClient = new KubeClient(kubeconfigCredentials(other.kubeconfig));
    const config = join(work, 'notc.yaml');
    writeFileSync(config, readFileSync(configFile, 'utf8').replace(tb.kubeconfig, other.kubeconfig));
    const svc = await ServeProcess.start(config, {}, ['--expired-retention', '0s']);
    try {
      const r = await svc.request('POST', '/v1/machines', { key: admin.key, body: { name: 'edge-expiring', profile: 'edge' } });
      assert.equal(r.status, 201, r.text);
      tokenIn(r.body['userdata'] as string);
      const count = async (): Promise<number> => (await listTokenSecrets(otherClient, 'joinery.dev/machine=edge-expiring')).length;
      assert.equal(await count(), 1);
      await eventually('the expired token to be removed', async () => ((await count()) === 0 ? true : undefined), { timeoutMs: 20_000 });
      const metrics = await svc.request('GET', '/metrics');
      assert.match(metrics.text, /joinery_tokens_revoked_total\{reason="expired"\} 1/);
      assert.match(svc.log, /expired token removed/);
    } finally {
      await svc.stop();
      logs.push(svc.log);
      otherClient.close();
      testbedDown(dir);
    }
  });

  it('serves its OpenAPI document, health and readiness', async () => {
    const doc = await service.request('GET', '/v1/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.body['openapi'], '3.0.3');
    assert.ok((doc.body['paths'] as Record<string, unknown>)['/v1/machines']);
    assert.equal((await service.request('GET', '/healthz')).status, 200);
    assert.equal((await service.request('GET', '/readyz')).status, 200);
  });

  it('a restart between mint and join loses nothing: the waiting CSR is approved and the token revoked after', async () => {
    const name = 'worker-restart';
    const r = await service.request('POST', '/v1/machines', { key: admin.key, body: { name, profile: 'worker' } });
    assert.equal(r.status, 201, r.text);
    const token = tokenIn(r.body['userdata'] as string);
    assert.equal(await service.stop(), 0);
    logs.push(service.log);
    // While the service is down the kubelet sends its CSR; nobody approves it.
    const csr = await sendKubeletCsr(tb, work, token, name);
    await new Promise((res) => setTimeout(res, 1500));
    const pending = (await client.request<CertificateSigningRequest>(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.name}`, { action: { verb: 'get', resource: 'certificatesigningrequests' } })) as CertificateSigningRequest;
    assert.equal(pending.status?.conditions, undefined, 'no one else approves a joinery token');
    service = await ServeProcess.start(configFile, {}, ['--expired-retention', '0s']);
    const decided = await awaitCsrDecision(csr.client, csr.name);
    csr.client.close();
    assert.ok(decided.status?.conditions?.some((c) => c.type === 'Approved'));
    await registerNode(decided, csr.keyPem, name, { 'joinery.dev/profile': 'worker' });
    await eventually('the token to be revoked', async () => ((await machineTokens(name)) === 0 ? true : undefined));
    assert.equal(await machineState(name), 'joined');
    await deleteNode(name);
  });

  it('serves TLS from the config\'s cert and key (stubs pin that certificate), and SIGHUP reloads keys and profiles, keeping the old config when the new one is bad', async () => {
    const key = join(work, 'serve.key');
    const cert = join(work, 'serve.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const config = join(work, 'tls.yaml');
    const text = readFileSync(configFile, 'utf8').replace('tls: {insecureLoopback: true}', `tls: {certFile: ${cert}, keyFile: ${key}}`);
    writeFileSync(config, text);
    const svc = await ServeProcess.start(config);
    try {
      assert.match(svc.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const curl = (path: string, bearer?: string, data?: string) =>
        spawnSync('curl', ['-sS', '--cacert', cert, '-o', '-', '-w', '\n%{http_code}', ...(bearer === undefined ? [] : ['-H', `authorization: Bearer ${bearer}`]), ...(data === undefined ? [] : ['-H', 'content-type: application/json', '--data', data]), `${svc.url}${path}`], { encoding: 'utf8' });
      const health = curl('/healthz');
      assert.equal(health.stdout.trim().split('\n').pop(), '200', health.stderr);
      const stub = curl('/v1/machines', admin.key, JSON.stringify({ name: 'worker-tls', profile: 'worker', delivery: 'stub', format: 'ignition' }));
      const lines = stub.stdout.trim().split('\n');
      assert.equal(lines.pop(), '201', stub.stdout);
      const created = JSON.parse(lines.join('\n')) as { userdata: string; url: string };
      const ign = JSON.parse(created.userdata) as { ignition: { security: { tls: { certificateAuthorities: { source: string }[] } } } };
      const pinned = ign.ignition.security.tls.certificateAuthorities[0]?.source ?? '';
      assert.equal(decodeURIComponent(pinned.replace(/^data:,/, '')).trim(), readFileSync(cert, 'utf8').trim());
      assert.ok(created.url.startsWith(svc.url));
      // SIGHUP: a new key works at once; a broken file changes nothing.
      const extra = apiKey('added');
      writeFileSync(config, text.replace('apiKeys:\n', `apiKeys:\n  - {name: added, sha256: ${extra.sha256}, scope: admin}\n`));
      assert.equal(curl('/v1/machines', extra.key).stdout.trim().split('\n').pop(), '401');
      svc.child.kill('SIGHUP');
      await eventually('the reload', async () => (svc.log.includes('configuration reloaded') ? true : undefined));
      assert.equal(curl('/v1/machines', extra.key).stdout.trim().split('\n').pop(), '200');
      writeFileSync(config, 'listen: [not, a, mapping\n');
      svc.child.kill('SIGHUP');
      await eventually('the refused reload', async () => (svc.log.includes('configuration not reloaded') ? true : undefined));
      assert.equal(curl('/v1/machines', extra.key).stdout.trim().split('\n').pop(), '200', 'the old config stays');
      const revoked = spawnSync('curl', ['-sS', '--cacert', cert, '-X', 'DELETE', '-H', `authorization: Bearer ${admin.key}`, `${svc.url}/v1/machines/worker-tls`], { encoding: 'utf8' });
      assert.equal((JSON.parse(revoked.stdout) as { state: string }).state, 'revoked');
    } finally {
      await svc.stop();
      logs.push(svc.log);
    }
  });

  it('no token ever appears in the service log', async () => {
    await service.stop();
    logs.push(service.log);
    const all = logs.join('\n');
    assert.ok(all.includes('machine minted'), 'the log was captured');
    assert.ok(minted.length >= 6, `tokens collected: ${minted.length}`);
    for (const token of minted) {
      assert.equal(all.includes(token), false, `token ${token.slice(0, 6)}.<redacted> is in the log`);
      assert.equal(all.includes(token.slice(7)), false, 'a token secret is in the log');
    }
    assert.equal(/nonce=/.test(all), false, 'no one-time nonce in the log');
    service = await ServeProcess.start(configFile, {}, ['--expired-retention', '0s']);
  });
});
