/**
 * The protobuf watch against the real API server: the same Secrets watched in JSON and in protobuf give the
 * same events; an error answer in protobuf is read; an informer told to watch protobuf that gets objects it
 * cannot decode falls back to JSON and loses nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adminClient, requireTestbed } from '../support/testbed.js';
import { Informer, KubeClient, type ConfigMap } from '../../src/cluster/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
let admin: KubeClient;

before(() => {
  tb = requireTestbed();
  admin = adminClient(tb);
});
after(() => admin?.close());

const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const secretAction = (verb: 'create' | 'delete' | 'get' | 'list' | 'watch') => ({ verb, resource: 'secrets', namespace: 'kube-system' });

interface Event {
  type: string;
  object: { metadata: { name: string; managedFields?: unknown } };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

describe('protobuf watch', () => {
  it('gives the same events as a JSON watch of the same Secrets', async () => {
    const run = `pb-${process.pid}`;
    const selector = `joinery.dev/pb-test=${run}`;
    const list = await admin.request<{ metadata: { resourceVersion: string } }>(SECRETS, { query: { labelSelector: selector }, action: secretAction('list') });
    const query = { labelSelector: selector, resourceVersion: list?.metadata.resourceVersion ?? '', allowWatchBookmarks: 'true', timeoutSeconds: '60' };
    const events = { json: [] as Event[], protobuf: [] as Event[] };
    const stop = new AbortController();
    const json = admin.watch(SECRETS, query, secretAction('watch'), (e) => events.json.push(e as Event), stop.signal);
    const protobuf = admin.watch(SECRETS, query, secretAction('watch'), (e) => events.protobuf.push(e as Event), stop.signal, true);
    const token = `bootstrap-token-${String(process.pid % 1e6).padStart(6, '0')}`;
    try {
      await new Promise((r) => setTimeout(r, 300));
      const created = await admin.request<{ metadata: { name: string; uid: string } }>(SECRETS, {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'bootstrap.kubernetes.io/token',
          metadata: { name: token, labels: { 'joinery.dev/pb-test': run, empty: '' }, annotations: { 'joinery.dev/node-name': 'node-a', note: 'ünïcode ✓ \u{1F600}', blank: '' } },
          data: { 'token-id': Buffer.from(token.slice(-6)).toString('base64'), 'token-secret': Buffer.from('0123456789abcdef').toString('base64'), raw: Buffer.from([0, 255, 10]).toString('base64') },
        },
        action: secretAction('create'),
      });
      assert.ok(created !== undefined);
      await admin.request(SECRETS, {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'joinery.dev/fetched',
          metadata: { name: `${run}-owned`, labels: { 'joinery.dev/pb-test': run }, ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: token, uid: created.metadata.uid, blockOwnerDeletion: false }] },
        },
        action: secretAction('create'),
      });
      await admin.request(`${SECRETS}/${run}-owned`, { method: 'DELETE', action: secretAction('delete') });
      await admin.request(`${SECRETS}/${token}`, { method: 'DELETE', action: secretAction('delete') });
      const real = (e: Event[]) => e.filter((x) => x.type !== 'BOOKMARK');
      await until('four events in each encoding', () => real(events.json).length >= 4 && real(events.protobuf).length >= 4);
      stop.abort();
      assert.equal(await protobuf, 'protobuf', 'the API server answered in protobuf');
      assert.equal(await json, 'json');
      for (const e of events.json) delete e.object.metadata.managedFields;
      assert.deepEqual(
        real(events.protobuf).map((e) => `${e.type} ${e.object.metadata.name}`),
        ['ADDED', 'ADDED', 'DELETED', 'DELETED'].map((t, i) => `${t} ${i === 0 || i === 3 ? token : `${run}-owned`}`),
      );
      assert.deepEqual(real(events.protobuf), real(events.json));
    } finally {
      stop.abort();
      await Promise.allSettled([json, protobuf]);
      for (const n of [`${run}-owned`, token]) await admin.request(`${SECRETS}/${n}`, { method: 'DELETE', allowNotFound: true, action: secretAction('delete') });
    }
  });

  it('reads an error answer given in protobuf', async () => {
    await assert.rejects(
      admin.watch(SECRETS, { fieldSelector: 'no-such-field=1', timeoutSeconds: '5' }, secretAction('watch'), () => undefined, undefined, true),
      (e: { code?: string; message: string }) => {
        assert.equal(e.code, 'CLUSTER_REJECTED');
        assert.match(e.message, /no-such-field/, 'the Status message was decoded');
        return true;
      },
    );
  });

  it('falls back to JSON when the objects cannot be decoded, and misses no event', async () => {
    const path = '/api/v1/namespaces/default/configmaps';
    const action = { verb: 'create' as const, resource: 'configmaps', namespace: 'default' };
    const label = `joinery.dev/pb-fallback=${process.pid}`;
    const events: string[] = [];
    const errors: string[] = [];
    // ConfigMaps are not among the kinds protobuf.ts reads: the first event is WATCH_UNDECODABLE.
    const informer = new Informer<ConfigMap & { metadata: { name: string } }>({
      client: admin,
      path,
      resource: 'configmaps',
      namespace: 'default',
      labelSelector: label,
      protobuf: true,
      baseDelayMs: 50,
      maxDelayMs: 200,
      onEvent: (type, o) => events.push(`${type} ${o.metadata.name}`),
      onError: (e) => errors.push(e.code),
    });
    const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { 'joinery.dev/pb-fallback': String(process.pid) } }, data: { k: name } });
    try {
      await informer.start();
      await admin.request(path, { method: 'POST', body: cm('pb-fallback-a'), action });
      await until('the undecodable frame was reported', () => errors.includes('WATCH_UNDECODABLE'));
      await until('the object reached the store through the re-list', () => informer.get('pb-fallback-a') !== undefined);
      await admin.request(path, { method: 'POST', body: cm('pb-fallback-b'), action });
      await until('the JSON watch delivers the next one', () => events.includes('ADDED pb-fallback-b'));
      assert.deepEqual(events, ['ADDED pb-fallback-a', 'ADDED pb-fallback-b']);
      assert.deepEqual(errors, ['WATCH_UNDECODABLE'], 'reported once: the informer stays on JSON');
      assert.equal(informer.healthy, true);
    } finally {
      await informer.stop();
      for (const n of ['pb-fallback-a', 'pb-fallback-b']) await admin.request(`${path}/${n}`, { method: 'DELETE', allowNotFound: true, action: { ...action, verb: 'delete' } });
    }
  });
});
