/**
 * The cluster gateway against the real API server: retries with backoff on refused connections and 5xx
 * (a real 503 from an aggregated API whose service does not exist), typed errors otherwise.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { adminClient, requireTestbed } from '../support/testbed.js';
import { Informer, KubeClient, kubeconfigCredentials, serverVersion, clusterFacts, createTokenSecret, deleteTokenSecret, getTokenSecret, type ConfigMap } from '../../src/cluster/index.js';
import { bootstrapToken, tokenSecret } from '../../src/token/index.js';
import { freePort, type TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
let admin: KubeClient;

before(() => {
  tb = requireTestbed();
  admin = adminClient(tb);
});
after(() => admin?.close());

/** A TCP forwarder to the API server on `port`, started on demand (so that connections are first refused). */
function forwarder(port: number, target: number): { start: () => Promise<void>; stop: () => Promise<void> } {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    start: () =>
      new Promise((res) => {
        server = createServer((c) => {
          const u = connect(target, '127.0.0.1');
          sockets.add(c).add(u);
          c.pipe(u).pipe(c);
          c.on('error', () => u.destroy());
          u.on('error', () => c.destroy());
        });
        server.listen(port, '127.0.0.1', () => res());
      }),
    stop: () =>
      new Promise((res) => {
        for (const s of sockets) s.destroy();
        if (server === undefined) res();
        else server.close(() => res());
      }),
  };
}

describe('cluster gateway', () => {
  it('reads the server version and kubeadm-config facts', async () => {
    assert.equal(await serverVersion(admin), tb.version);
    const facts = await clusterFacts(admin);
    assert.equal(facts.kubernetesVersion, tb.version);
    assert.equal(facts.clusterName, tb.clusterName);
    assert.equal(facts.controlPlaneEndpoint, `127.0.0.1:${tb.ports.apiserver}`);
  });

  it('retries refused connections with backoff until the API answers', async () => {
    const port = await freePort();
    const fwd = forwarder(port, tb.ports.apiserver);
    const creds = { ...kubeconfigCredentials(tb.kubeconfig), server: `https://127.0.0.1:${port}` };
    const retries: string[] = [];
    const client = new KubeClient(creds, { attempts: 8, baseDelayMs: 100, maxDelayMs: 400, onRetry: (r) => retries.push(r.reason) });
    try {
      setTimeout(() => void fwd.start(), 500);
      assert.equal(await serverVersion(client), tb.version);
      assert.ok(retries.length >= 1, 'at least one retry');
      assert.ok(retries.every((r) => r === 'ECONNREFUSED'), retries.join(','));
    } finally {
      client.close();
      await fwd.stop();
    }
  });

  it('an informer reports changes made while its connection was down, after it reconnects with backoff', async () => {
    const port = await freePort();
    const fwd = forwarder(port, tb.ports.apiserver);
    await fwd.start();
    const client = new KubeClient({ ...kubeconfigCredentials(tb.kubeconfig), server: `https://127.0.0.1:${port}` }, { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 });
    const label = `joinery.dev/informer-test=${process.pid}`;
    const events: string[] = [];
    const errors: string[] = [];
    const informer = new Informer<ConfigMap & { metadata: { name: string } }>({
      client,
      path: '/api/v1/namespaces/default/configmaps',
      resource: 'configmaps',
      namespace: 'default',
      labelSelector: label,
      baseDelayMs: 100,
      maxDelayMs: 500,
      onEvent: (type, o) => events.push(`${type} ${o.metadata.name}`),
      onError: (e) => errors.push(e.code),
    });
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { 'joinery.dev/informer-test': String(process.pid) } } });
    const path = '/api/v1/namespaces/default/configmaps';
    const action = { verb: 'create' as const, resource: 'configmaps', namespace: 'default' };
    const waitFor = async (what: string) => {
      for (let i = 0; i < 200 && !events.includes(what); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(events.includes(what), `${what} in ${events.join(', ')}`);
    };
    try {
      await admin.request(path, { method: 'POST', body: cm('informer-a'), action });
      await informer.start();
      assert.deepEqual(events, ['ADDED informer-a']);
      await admin.request(path, { method: 'POST', body: cm('informer-b'), action });
      await waitFor('ADDED informer-b');
      await fwd.stop();
      await admin.request(path, { method: 'POST', body: cm('informer-c'), action });
      await admin.request(`${path}/informer-a`, { method: 'DELETE', action: { ...action, verb: 'delete' } });
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(!events.includes('ADDED informer-c'), 'nothing seen while disconnected');
      assert.ok(errors.length >= 1, 'the failure was reported');
      assert.equal(informer.healthy, false);
      await fwd.start();
      await waitFor('ADDED informer-c');
      await waitFor('DELETED informer-a');
      assert.deepEqual(informer.list().map((o) => o.metadata.name).sort(), ['informer-b', 'informer-c']);
      assert.equal(informer.healthy, true);
    } finally {
      await informer.stop();
      client.close();
      await fwd.stop();
      for (const n of ['informer-a', 'informer-b', 'informer-c']) await admin.request(`${path}/${n}`, { method: 'DELETE', allowNotFound: true, action: { ...action, verb: 'delete' } });
    }
  });

  it('gives up after its attempts with CLUSTER_UNREACHABLE naming the server and the action', async () => {
    const port = await freePort();
    const client = new KubeClient({ ...kubeconfigCredentials(tb.kubeconfig), server: `https://127.0.0.1:${port}` }, { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 });
    try {
      await assert.rejects(serverVersion(client), (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'CLUSTER_UNREACHABLE');
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(e.message, /3 attempt/);
        return true;
      });
    } finally {
      client.close();
    }
  });

  it('retries a real 503 (an aggregated API without its service) and then reports it', async () => {
    const name = 'v1.joinery.example.com';
    await admin.request('/apis/apiregistration.k8s.io/v1/apiservices', {
      method: 'POST',
      body: {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name },
        spec: { group: 'joinery.example.com', version: 'v1', service: { namespace: 'default', name: 'nonexistent' }, insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 10 },
      },
      action: { verb: 'create', resource: 'apiservices.apiregistration.k8s.io' },
    });
    const statuses: string[] = [];
    const client = new KubeClient(kubeconfigCredentials(tb.kubeconfig), { attempts: 3, baseDelayMs: 10, maxDelayMs: 20, onRetry: (r) => statuses.push(r.reason) });
    try {
      let err: { code?: string; message: string } | undefined;
      // The aggregator needs a moment to pick the APIService up; until then the path is a plain 404.
      for (let i = 0; i < 50; i++) {
        statuses.length = 0;
        err = await client.request('/apis/joinery.example.com/v1', { action: { verb: 'get', resource: 'joinery.example.com' } }).then(
          () => undefined,
          (e: { code?: string; message: string }) => e,
        );
        if (err?.code === 'CLUSTER_ERROR') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(err?.code, 'CLUSTER_ERROR');
      assert.match(err?.message ?? '', /503/);
      assert.match(err?.message ?? '', /after 3 attempt/);
      assert.deepEqual(statuses, ['HTTP 503', 'HTTP 503']);
    } finally {
      client.close();
      await admin.request(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'apiservices.apiregistration.k8s.io' } });
    }
  });
  it('deleteTokenSecret with a uid deletes that Secret only: one made again under the same name stays', async () => {
    const make = () => bootstrapToken({ token: 'gwuid0.0123456789abcdef', ttl: '10m', usages: ['authentication'] });
    const first = await createTokenSecret(admin, tokenSecret(make(), new Date()));
    const uid = first?.metadata.uid as string;
    assert.ok(uid);
    try {
      assert.equal(await deleteTokenSecret(admin, 'gwuid0', uid), true);
      const again = await createTokenSecret(admin, tokenSecret(make(), new Date()));
      assert.notEqual(again?.metadata.uid, uid);
      // A caller that read the first Secret (the collector, the revoker) must not delete the second.
      assert.equal(await deleteTokenSecret(admin, 'gwuid0', uid), false);
      assert.equal((await getTokenSecret(admin, 'gwuid0'))?.metadata.uid, again?.metadata.uid);
      assert.equal(await deleteTokenSecret(admin, 'gwuid0', again?.metadata.uid), true);
      assert.equal(await getTokenSecret(admin, 'gwuid0'), undefined);
    } finally {
      await deleteTokenSecret(admin, 'gwuid0');
    }
  });
});
