/**
 * The cluster facts every minted machine's bootstrap data needs (kube-public/cluster-info, the server
 * version, kubeadm-config) are read once per `factsTtlMs` (30 s in `joinery serve`), not once per request:
 * a burst that finds them stale — the first one after start, or one every 30 s — shares one refresh instead
 * of sending each of its requests' reads to kube-apiserver. Counted on the real requests of a KubeClient
 * (a subclass that records each path, then sends it) against the testbed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KubeClient, listTokenSecrets, deleteTokenSecret, type RequestOptions } from '../../src/cluster/index.js';
import { parseProvisionerConfig, type ApiKey } from '../../src/provisioner/config/index.js';
import { Provisioner } from '../../src/provisioner/service/index.js';
import { provisionerLogger } from '../../src/provisioner/server/logger.js';
import { provisionerMetrics } from '../../src/provisioner/metrics/index.js';
import { adminClient, requireTestbed } from '../support/testbed.js';
import { apiKey } from '../support/serve.js';

const tb = requireTestbed();
const admin = adminClient(tb);

/** A real client that records the path of every request it sends. */
class RecordingClient extends KubeClient {
  readonly sent: string[] = [];
  override request<T>(path: string, options: RequestOptions): Promise<T | undefined> {
    this.sent.push(`${options.method ?? 'GET'} ${path}`);
    return super.request<T>(path, options);
  }
}

const recording = new RecordingClient(admin.credentials);
const key = apiKey('facts');
const prefix = `facts-${randomBytes(2).toString('hex')}-`;
let provisioner: Provisioner;
let factsKey: ApiKey;

before(async () => {
  const config = parseProvisionerConfig(
    `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\napiKeys:\n  - {name: facts, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}\n`,
    'joinery.yaml',
  );
  factsKey = config.apiKeys[0] as ApiKey;
  provisioner = new Provisioner({ client: admin, requestClient: recording, config, log: provisionerLogger({ write: () => undefined }), metrics: provisionerMetrics(), publicUrl: () => 'http://127.0.0.1:8443', factsTtlMs: 60_000 });
  await provisioner.start();
});

after(async () => {
  await provisioner?.stop();
  for (const s of await listTokenSecrets(admin, 'joinery.dev/machine')) {
    if ((s.metadata.labels?.['joinery.dev/machine'] ?? '').startsWith(prefix)) await deleteTokenSecret(admin, s.metadata.name.replace(/^bootstrap-token-/, ''));
  }
  recording.close();
  admin.close();
});

describe(`the provisioner's cluster facts on the testbed (${tb.version})`, () => {
  it('a burst of 24 creates with no facts yet reads cluster-info once, and mints 24 tokens', async () => {
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => provisioner.createMachine(factsKey, { name: `${prefix}${i}`, profile: 'worker' })));
    assert.equal(results.length, 24);
    for (const r of results) assert.match(r.userdata, /kubeadm join/);
    const reads = recording.sent.filter((p) => p === 'GET /api/v1/namespaces/kube-public/configmaps/cluster-info');
    assert.equal(reads.length, 1, recording.sent.join('\n'));
    const creates = recording.sent.filter((p) => p === 'POST /api/v1/namespaces/kube-system/secrets');
    assert.equal(creates.length, 24);
  });
});
