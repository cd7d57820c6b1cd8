/**
 * The HTTP server as built (provisionerServer), without a cluster: the Provisioner is constructed but never
 * started, so only the routes and refusals that do not reach Kubernetes are asked. Its own process (node:test
 * runs each file in one), so that the warnings fastify emits while building a server are seen here first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { KubeClient } from '../../../src/cluster/index.js';
import { parseProvisionerConfig } from '../../../src/provisioner/config/index.js';
import { provisionerMetrics } from '../../../src/provisioner/metrics/index.js';
import { provisionerServer } from '../../../src/provisioner/server/index.js';
import { provisionerLogger } from '../../../src/provisioner/server/logger.js';
import { Provisioner } from '../../../src/provisioner/service/index.js';

const warnings: Error[] = [];
const logLines: string[] = [];
let app: FastifyInstance;

before(async () => {
  process.on('warning', (w) => void warnings.push(w));
  const config = parseProvisionerConfig(
    `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\napiKeys:\n  - {name: ci, sha256: ${'a'.repeat(64)}, scope: admin}\nprofiles:\n  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}\n`,
    'joinery.yaml',
  );
  // A client that is never used: nothing below reaches the cluster (port 9 is discard, and nothing listens).
  const client = new KubeClient({ server: 'https://127.0.0.1:9', source: 'unit test' });
  const logger = provisionerLogger({ write: (line: string) => void logLines.push(line) });
  const metrics = provisionerMetrics();
  const provisioner = new Provisioner({ client, config, log: logger, metrics, publicUrl: () => 'http://127.0.0.1:8443', expiredRetentionMs: 600_000 });
  app = await provisionerServer({ provisioner, metrics, version: 'unit', logger });
  await app.ready();
  // process.emitWarning delivers on the next tick.
  await new Promise((r) => setImmediate(r));
});

after(async () => {
  await app.close();
});

test('building the server prints no warning (no deprecated fastify option)', () => {
  assert.deepEqual(
    warnings.map((w) => `${w.name}: ${w.message}`),
    [],
  );
});

test('a path segment over 256 characters is 414 in joinery\'s error shape, without the URL', async () => {
  const long = 'x'.repeat(257);
  const r = await app.inject({ method: 'GET', url: `/v1/machines/${long}` });
  assert.equal(r.statusCode, 414);
  const body = r.json() as { code: string; message: string; fix: string };
  assert.equal(body.code, 'REQUEST_URI_TOO_LONG');
  assert.match(body.fix, /63 characters/);
  assert.ok(!r.body.includes(long));
  // 256 is still routed: the handler answers (401 without an API key), not the router.
  const at = await app.inject({ method: 'GET', url: `/v1/machines/${'x'.repeat(256)}` });
  assert.equal(at.statusCode, 401);
});

test('a URL that is not valid percent-encoding is 400 REQUEST_URL_INVALID', async () => {
  const r = await app.inject({ method: 'GET', url: '/v1/machines/%E0%A4%A' });
  assert.equal(r.statusCode, 400);
  assert.equal((r.json() as { code: string }).code, 'REQUEST_URL_INVALID');
});

test('one log line per request, not fastify\'s "incoming request" and "request completed"', async () => {
  logLines.length = 0;
  const r = await app.inject({ method: 'GET', url: '/v1/machines/worker-a' });
  assert.equal(r.statusCode, 401);
  await new Promise((res) => setImmediate(res));
  const msgs = logLines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  assert.deepEqual(msgs, ['request']);
  const line = JSON.parse(logLines[0] as string) as { method: string; path: string; status: number };
  assert.deepEqual([line.method, line.path, line.status], ['GET', '/v1/machines/worker-a', 401]);
});
