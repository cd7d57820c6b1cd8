/**
 * The provisioner in production conditions, on the testbed (issue 6 §2, §3): two `joinery serve` replicas
 * with a Lease (only the leader approves, each machine approved once, the other takes over when the leader
 * is killed and the join in flight completes); kube-apiserver stopped during a burst (requests complete or
 * fail fast with 503 and Retry-After, no machine half-made, service back without a restart); the service
 * killed and restarted during a burst (nothing lost, nothing duplicated: one token per machine name); and
 * the limits: per-key rate limit, header size, slow clients.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTokenSecrets, type CertificateSigningRequest } from '../../src/cluster/index.js';
import { freePort, processAlive, readTestbedState, startTestbedProcess, testbedNodeSpec } from '../../src/testbed/index.js';
import { APPROVED_REASON } from '../../src/provisioner/approval/index.js';
import { adminClient, joinery, requireTestbed } from '../support/testbed.js';
import { apiKey, ServeProcess } from '../support/serve.js';
import { awaitCsrDecision, sendKubeletCsr } from '../support/node-side.js';
import { NodePool, nodesSkip } from '../support/nodes.js';
import { eventually } from '../support/eventually.js';

const tb = requireTestbed();
const client = adminClient(tb);
const work = mkdtempSync(join(tmpdir(), 'joinery-ha-'));
const admin = apiKey('ci');
const limited = apiKey('limited');
const nodes = new NodePool(tb);
const running: ServeProcess[] = [];
const LEASE_SECONDS = 4;
const lease = `joinery-ha-${Math.random().toString(36).slice(2, 8)}`;
const configFile = join(work, 'joinery.yaml');
const TOKEN_RE = /\b([a-z0-9]{6})\.([a-z0-9]{16})\b/;

function tokenIn(userdata: string): string {
  const m = TOKEN_RE.exec(userdata);
  assert.ok(m, 'the bootstrap data holds a token');
  return m[0];
}

async function start(extraArgs: string[] = []): Promise<ServeProcess> {
  const s = await ServeProcess.start(configFile, {}, ['--expired-retention', '0s', ...extraArgs]);
  running.push(s);
  return s;
}

/** A metric's value from /metrics (0 when absent), or undefined when the service does not answer. */
async function metric(s: ServeProcess, name: string): Promise<number | undefined> {
  try {
    const r = await s.request('GET', '/metrics');
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(r.text);
    return m === null ? 0 : Number(m[1]);
  } catch {
    return undefined;
  }
}

async function tokensOf(name: string): Promise<string[]> {
  const secrets = await listTokenSecrets(client, `joinery.dev/machine=${name}`);
  return secrets.map((s) => {
    const d = (s as { data?: Record<string, string> }).data ?? {};
    return `${Buffer.from(d['token-id'] ?? '', 'base64').toString()}.${Buffer.from(d['token-secret'] ?? '', 'base64').toString()}`;
  });
}

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | null;
  token?: string;
  code?: string;
}

/** POST /v1/machines once; a refused connection is status 0. */
async function post(s: ServeProcess | (() => ServeProcess), name: string, key = admin.key): Promise<Answer> {
  const svc = typeof s === 'function' ? s() : s;
  const t0 = performance.now();
  try {
    const r = await svc.request('POST', '/v1/machines', { key, body: { name, profile: 'worker' } });
    const ms = performance.now() - t0;
    return { status: r.status, ms, retryAfter: r.headers.get('retry-after'), ...(r.status < 300 ? { token: tokenIn(r.body['userdata'] as string) } : {}), ...(typeof r.body['code'] === 'string' ? { code: r.body['code'] as string } : {}) };
  } catch {
    return { status: 0, ms: performance.now() - t0, retryAfter: null };
  }
}

/** Runs `job` for each name, `concurrency` at a time; calls `progress` after each. */
async function burst<T>(names: string[], concurrency: number, job: (name: string) => Promise<T>, progress: (done: number) => void = () => undefined): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < names.length) {
        const name = names[next++] as string;
        out.set(name, await job(name));
        progress(out.size);
      }
    }),
  );
  return out;
}

/** Every name has exactly one token Secret, and it is the token its last answer carried. */
async function assertOneTokenEach(answers: Map<string, Answer>): Promise<void> {
  for (const [name, a] of answers) {
    const tokens = await tokensOf(name);
    assert.equal(tokens.length, 1, `${name}: ${tokens.length} token Secrets`);
    assert.equal(a.token, tokens[0], `${name}: the answer's token is the one in the cluster`);
  }
}

before(() => {
  const setup = joinery(tb, ['setup']);
  assert.equal(setup.status, 0, setup.stderr);
  writeFileSync(
    configFile,
    `listen: 127.0.0.1:0
tls: {insecureLoopback: true}
kubeconfig: ${tb.kubeconfig}
leaderElection: {name: ${lease}, leaseDuration: ${LEASE_SECONDS}s, renewDeadline: 3s, retryPeriod: 1s}
rateLimit: {requestsPerSecond: 1000, burst: 1000}
apiKeys:
  - {name: ${admin.name}, sha256: ${admin.sha256}, scope: admin}
  - {name: ${limited.name}, sha256: ${limited.sha256}, scope: admin, rateLimit: {requestsPerSecond: 1, burst: 3}}
profiles:
  worker:
    role: worker
    format: script
    tokenTTL: 15m
    nodeNamePattern: "[a-z0-9-]+"
    spec: ${JSON.stringify(testbedNodeSpec(tb))}
`,
  );
});

after(async () => {
  for (const s of running) await s.stop();
  const state = readTestbedState(tb.dir);
  const pid = state?.pids['kube-apiserver'];
  if (state !== undefined && pid !== undefined && !processAlive(pid)) await startTestbedProcess(state, 'kube-apiserver', 120_000);
  nodes.removeAll();
  await client.request('/api/v1/nodes/ha-takeover', { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'nodes', name: 'ha-takeover' } });
  // The burst machines' tokens: not left for other test files.
  for (const s of await listTokenSecrets(client, 'joinery.dev/machine')) {
    if (/^(ha|down|restart)-/.test(s.metadata.labels?.['joinery.dev/machine'] ?? '')) {
      await client.request(`/api/v1/namespaces/kube-system/secrets/${s.metadata.name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'secrets', namespace: 'kube-system', name: s.metadata.name } });
    }
  }
  client.close();
  rmSync(work, { recursive: true, force: true });
});

describe('joinery serve: two replicas, faults and limits', () => {
  it('two replicas: one leader approves, each machine once; the leader killed, the other takes over within the lease duration and the join in flight completes', async (t) => {
    const a = await start();
    const b = await start();
    const leaderOf = async (): Promise<[ServeProcess, ServeProcess] | undefined> => {
      const [la, lb] = [await metric(a, 'joinery_leader'), await metric(b, 'joinery_leader')];
      if (la === 1 && lb === 0) return [a, b];
      if (lb === 1 && la === 0) return [b, a];
      return undefined;
    };
    const [leader, follower] = await eventually('one leader', leaderOf, { timeoutMs: 20_000, ignoreErrors: true });
    // Machines requested from both replicas; their kubelets' CSRs sent at once.
    const names = ['ha-0', 'ha-1', 'ha-2', 'ha-3', 'ha-4', 'ha-5'];
    const csrs = await Promise.all(
      names.map(async (name, i) => {
        const r = await (i % 2 === 0 ? a : b).request('POST', '/v1/machines', { key: admin.key, body: { name, profile: 'worker' } });
        assert.equal(r.status, 201, r.text);
        return sendKubeletCsr(tb, work, tokenIn(r.body['userdata'] as string), name);
      }),
    );
    for (const c of csrs) {
      const decided = await awaitCsrDecision(c.client, c.name);
      c.client.close();
      const approvals = (decided.status?.conditions ?? []).filter((x) => x.type === 'Approved');
      assert.equal(approvals.length, 1, `${c.name}: ${JSON.stringify(decided.status?.conditions)}`);
      assert.equal(approvals[0]?.reason, APPROVED_REASON);
    }
    // Every decision was the leader's; the follower decided nothing (a second try would show as a conflict).
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await metric(leader, 'joinery_csr_approvals_total'), names.length);
    assert.equal(await metric(follower, 'joinery_csr_approvals_total'), 0);
    assert.doesNotMatch(follower.log, /CSR approved/);

    // A machine requested from the follower; then the leader dies with no time to release its Lease.
    const name = 'ha-takeover';
    const r = await follower.request('POST', '/v1/machines', { key: admin.key, body: { name, profile: 'worker' } });
    assert.equal(r.status, 201, r.text);
    const token = tokenIn(r.body['userdata'] as string);
    leader.child.kill('SIGKILL');
    const killed = performance.now();
    const takeover = eventually('the follower to lead', async () => ((await metric(follower, 'joinery_leader')) === 1 ? performance.now() - killed : undefined), { timeoutMs: 20_000, everyMs: 50, ignoreErrors: true });
    let joined: Promise<unknown>;
    if (nodesSkip === undefined) {
      // The real kubelet: its CSR waits for whoever leads.
      const node = await nodes.add(name);
      joined = (async () => {
        const run = await node.runScript(r.body['userdata'] as string);
        assert.equal(run.status, 0, `${run.output}\n--- kubelet:\n${node.kubeletLog().slice(-3000)}`);
        assert.ok(await node.waitNodeRegistered(name, 60_000), 'the kubelet registered its Node');
      })();
    } else {
      t.diagnostic(`no testbed nodes here (${nodesSkip}): the kubelet's CSR is sent by the test`);
      joined = (async () => {
        const c = await sendKubeletCsr(tb, work, token, name);
        const decided = await awaitCsrDecision(c.client, c.name, 30_000);
        c.client.close();
        assert.ok(decided.status?.conditions?.some((x) => x.type === 'Approved'));
      })();
    }
    const tookMs = await takeover;
    t.diagnostic(`takeover ${Math.round(tookMs)} ms after the leader was killed (lease duration ${LEASE_SECONDS} s, retry period 1 s)`);
    assert.ok(tookMs <= LEASE_SECONDS * 1000 + 500, `took over after ${Math.round(tookMs)} ms`);
    await joined;
    const list = await client.request<{ items: CertificateSigningRequest[] }>('/apis/certificates.k8s.io/v1/certificatesigningrequests', { action: { verb: 'list', resource: 'certificatesigningrequests' } });
    const mine = (list?.items ?? []).filter((c) => c.spec.username === `system:bootstrap:${token.slice(0, 6)}`);
    assert.ok(mine.length >= 1);
    for (const c of mine) assert.equal((c.status?.conditions ?? []).filter((x) => x.type === 'Approved').length, 1);
    if (nodesSkip === undefined) await eventually('the token to be revoked by the new leader', async () => ((await tokensOf(name)).length === 0 ? true : undefined), { timeoutMs: 30_000, ignoreErrors: true });
    await follower.stop();
  });

  it('kube-apiserver stopped during a burst: each request completes or fails fast with 503 and Retry-After, none is half-made, and it works again without a restart', async (t) => {
    const svc = await start();
    await eventually('the service to lead', async () => ((await metric(svc, 'joinery_leader')) === 1 ? true : undefined), { timeoutMs: 30_000, ignoreErrors: true });
    const names = Array.from({ length: 60 }, (_, i) => `down-${i}`);
    let stopped: Promise<void> | undefined;
    const state = readTestbedState(tb.dir);
    assert.ok(state);
    const first = await burst(names, 8, (n) => post(svc, n), (done) => {
      if (done === 15 && stopped === undefined) {
        // Killed at once (kube-apiserver's graceful shutdown waits for requests), and not with stopTestbedProcess,
        // which waits synchronously: this process must keep timing the requests.
        const pid = state.pids['kube-apiserver'] as number;
        process.kill(-pid, 'SIGKILL');
        stopped = eventually('kube-apiserver to exit', async () => (processAlive(pid) ? undefined : true), { timeoutMs: 20_000, everyMs: 50, ignoreErrors: true }).then(() => undefined);
      }
    });
    await stopped;
    const statuses = [...first.values()].map((a) => a.status);
    const failed = [...first].filter(([, a]) => a.status !== 201);
    t.diagnostic(`burst of ${names.length} with kube-apiserver stopped after 15: ${statuses.filter((s) => s === 201).length} created, ${failed.length} refused; slowest refusal ${Math.round(Math.max(0, ...failed.map(([, a]) => a.ms)))} ms`);
    assert.ok(failed.length > 0, 'some requests met the stopped API server');
    for (const [name, a] of failed) {
      assert.equal(a.status, 503, `${name}: ${a.status} ${a.code ?? ''}`);
      assert.match(a.retryAfter ?? '', /^\d+$/, `${name}: Retry-After`);
      assert.ok(a.ms < 6000, `${name}: failed after ${Math.round(a.ms)} ms`);
    }
    // Still down: a new request fails fast too, and readiness says so.
    const down = await post(svc, 'down-extra');
    assert.equal(down.status, 503);
    assert.ok(down.ms < 6000, `${Math.round(down.ms)} ms`);
    names.push('down-extra');
    first.set('down-extra', down);
    await eventually('/readyz to fail', async () => ((await svc.request('GET', '/readyz')).status === 503 ? true : undefined), { timeoutMs: 20_000, ignoreErrors: true });

    await startTestbedProcess(state, 'kube-apiserver', 120_000);
    await eventually('/readyz again', async () => ((await svc.request('GET', '/readyz')).status === 200 ? true : undefined), { timeoutMs: 60_000, ignoreErrors: true });
    // The same service, not restarted: the refused requests are retried and succeed — as 201, or as 200 when the
    // token was made but its answer lost (the same token answered again).
    for (const [name] of [...first].filter(([, x]) => x.status !== 201)) {
      const again = await post(svc, name);
      assert.ok(again.status === 201 || again.status === 200, `${name}: ${again.status} ${again.code ?? ''}`);
      first.set(name, again);
    }
    await assertOneTokenEach(first);
    await svc.stop();
  });

  it('the service killed and restarted during a burst: nothing lost, nothing duplicated (one token per machine name)', async (t) => {
    const port = await freePort();
    let svc = await start(['--port', String(port)]);
    const names = Array.from({ length: 60 }, (_, i) => `restart-${i}`);
    let restarted: Promise<void> | undefined;
    const retries = { count: 0, replays: 0 };
    const answers = await burst(
      names,
      8,
      async (name) => {
        // A careful client: retries a refused connection or a 503 until it has an answer.
        const deadline = Date.now() + 60_000;
        for (;;) {
          const a = await post(() => svc, name);
          if (a.status !== 0 && a.status !== 503) {
            if (a.status === 200) retries.replays++;
            return a;
          }
          if (Date.now() > deadline) return a;
          retries.count++;
          await new Promise((r) => setTimeout(r, 200));
        }
      },
      (done) => {
        if (done === 20 && restarted === undefined) {
          svc.child.kill('SIGKILL');
          restarted = (async () => {
            svc = await start(['--port', String(port)]);
          })();
        }
      },
    );
    await restarted;
    t.diagnostic(`burst of ${names.length}, service killed after 20: ${retries.count} retried attempts, ${retries.replays} answered again (token made before the kill, answer lost)`);
    for (const [name, a] of answers) assert.ok(a.status === 201 || a.status === 200, `${name}: ${a.status} ${a.code ?? ''}`);
    await assertOneTokenEach(answers);
    await svc.stop();
  });

  it('limits: a key over its rate limit gets 429 with Retry-After (other keys unaffected), oversized headers 431, a slow client is cut off', async () => {
    const svc = await start();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await svc.request('GET', '/v1/machines', { key: limited.key })).status);
    assert.deepEqual(codes.slice(0, 3), [200, 200, 200]);
    assert.ok(codes.slice(3).every((c) => c === 429), codes.join());
    const over = await svc.request('GET', '/v1/machines', { key: limited.key });
    assert.equal(over.status, 429);
    assert.equal(over.body['code'], 'RATE_LIMITED');
    assert.match(over.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.match(over.body['fix'] as string, /rateLimit/);
    assert.equal((await svc.request('GET', '/v1/machines', { key: admin.key })).status, 200, 'another key is not limited');
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await svc.request('GET', '/v1/machines', { key: limited.key })).status, 200, 'the bucket refills');
    assert.match((await svc.request('GET', '/metrics')).text, /joinery_rate_limited_total\{key="limited"\} [1-9]/);

    const big = await svc.request('GET', '/healthz', { headers: { 'x-padding': 'x'.repeat(20_000) } });
    assert.equal(big.status, 431);

    // Slowloris: a header block that never ends is cut off (headers timeout, 10 s), the service stays up.
    const url = new URL(svc.url);
    const t0 = performance.now();
    const closed = await new Promise<{ ms: number; text: string }>((resolve, reject) => {
      const sock = netConnect(Number(url.port), url.hostname);
      let text = '';
      const drip = setInterval(() => sock.write('x-slow: 1\r\n'), 500);
      sock.on('connect', () => sock.write('GET /healthz HTTP/1.1\r\nhost: x\r\n'));
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => {
        clearInterval(drip);
        resolve({ ms: performance.now() - t0, text });
      });
      sock.on('error', () => undefined);
      setTimeout(() => reject(new Error('the slow client was never cut off')), 30_000).unref();
    });
    assert.ok(closed.ms < 15_000, `cut off after ${Math.round(closed.ms)} ms`);
    assert.match(closed.text, /^HTTP\/1\.1 408/);
    assert.equal((await svc.request('GET', '/healthz')).status, 200);
    await svc.stop();
  });
});
