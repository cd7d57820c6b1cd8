/**
 * Fuzzing the provisioner's HTTP API (issue 6 §3) in process: the real server (provisionerServer with a
 * Provisioner on the testbed's cluster, a config from parseProvisionerConfig, a pino logger into a
 * buffer) driven by fastify's inject (no sockets) with random methods, paths, queries, headers,
 * content types and bodies, most of them mutations of a valid MachineRequest. Property: every answer is
 * 2xx, 3xx or 4xx (the cluster is reachable, so never 5xx), no request makes inject throw, every non-2xx
 * JSON answer is {code, message, fix}, and neither answers nor log lines hold an API key, a minted token
 * or a nonce, except the bootstrap data of the create that minted it. Valid creates are rare; the
 * machines they make are revoked afterwards (by the label joinery.dev/machine).
 *
 * JOINERY_FUZZ_HTTP_RUNS=N sets the number of requests (default below, sized for ~45 s per version).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { deleteTokenSecret, listTokenSecrets, type KubeClient } from '../../src/cluster/index.js';
import { parseProvisionerConfig } from '../../src/provisioner/config/index.js';
import { Provisioner } from '../../src/provisioner/service/index.js';
import { provisionerServer } from '../../src/provisioner/server/index.js';
import { provisionerLogger } from '../../src/provisioner/server/logger.js';
import { provisionerMetrics } from '../../src/provisioner/metrics/index.js';
import { decodeTokenSecret } from '../../src/token/index.js';
import { adminClient, requireTestbed } from '../support/testbed.js';
import { apiKey } from '../support/serve.js';
import { applyMutations, jsonValue, mutation, TRICKY_STRINGS, type Json } from '../unit/fuzz/fuzz.js';

const RUNS = Number(process.env['JOINERY_FUZZ_HTTP_RUNS'] ?? 60_000);
const PREFIX = 'fz-';

const tb = requireTestbed();
let client: KubeClient;
let app: FastifyInstance;
let provisioner: Provisioner;
const logLines: string[] = [];
const admin = apiKey('fuzz-admin');
const edge = apiKey('fuzz-edge');
const wrong = apiKey('wrong');
/** Secrets that may appear only in the create answer that minted them: tokens, nonces (and keys: never). */
const minted = new Set<string>();
const created = new Set<string>();

before(async () => {
  client = adminClient(tb);
  const config = parseProvisionerConfig(
    `listen: 127.0.0.1:0
tls: {insecureLoopback: true}
apiKeys:
  - {name: ${admin.name}, sha256: ${admin.sha256}, scope: admin}
  - {name: ${edge.name}, sha256: ${edge.sha256}, scope: provisioner, profiles: [edge]}
profiles:
  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}
  edge: {role: worker, format: cloud-config, tokenTTL: 1h, nodeNamePattern: "${PREFIX}edge-[a-z0-9-]+"}
  cp: {role: control-plane, format: ignition}
`,
    'joinery.yaml',
  );
  const logger = provisionerLogger({ write: (line: string) => void logLines.push(line) });
  const metrics = provisionerMetrics();
  provisioner = new Provisioner({ client, config, log: logger, metrics, publicUrl: () => 'http://127.0.0.1:8443', expiredRetentionMs: 600_000 });
  await provisioner.start();
  app = await provisionerServer({ provisioner, metrics, version: 'fuzz', logger });
  await app.ready();
  // The base request's machine exists, so that its unchanged mutations answer 409 instead of minting.
  const r = await app.inject({ method: 'POST', url: '/v1/machines', headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json' }, payload: { name: `${PREFIX}base`, profile: 'worker' } });
  assert.equal(r.statusCode, 201, r.body);
  noteCreate(r.json() as Record<string, unknown>);
});

after(async () => {
  await app?.close();
  await provisioner?.stop();
  if (client !== undefined) {
    // Every machine this file made (its token Secret carries joinery.dev/machine=<name>).
    for (const s of await listTokenSecrets(client, 'joinery.dev/machine')) {
      const name = s.metadata.labels?.['joinery.dev/machine'];
      if (name !== undefined && created.has(name)) await deleteTokenSecret(client, decodeTokenSecret(s).token.id);
    }
    client.close();
  }
});

const TOKEN_RE = /[a-z0-9]{6}\.[a-z0-9]{16}/g;

/** The token a create answer minted (a machine may be named like a token: only `<tokenId>.` counts). */
function ownTokens(body: Record<string, unknown> | undefined): Set<string> {
  const id = String(body?.['tokenId'] ?? '');
  return new Set([...String(body?.['userdata'] ?? '').matchAll(TOKEN_RE)].map((m) => m[0]).filter((t) => id !== '' && t.startsWith(`${id}.`)));
}

function noteCreate(body: Record<string, unknown>): void {
  created.add(String(body['name']));
  for (const t of ownTokens(body)) minted.add(t);
  const url = body['url'];
  if (typeof url === 'string') {
    const nonce = new URL(url).searchParams.get('nonce');
    if (nonce) minted.add(nonce);
  }
}

// ---------------------------------------------------------------- generators

const METHODS = ['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS'] as const;
const segment = fc.oneof(
  { arbitrary: fc.constantFrom(...TRICKY_STRINGS.filter((s) => s.length < 300)), weight: 4 },
  { arbitrary: fc.constantFrom(`${PREFIX}base`, 'worker-1', `${PREFIX}edge-a`, 'a'.repeat(63), 'a'.repeat(64), 'A', '..', '.', '%2e%2e', '%2F', '%00', '%', '%zz', '%C3%A9', '%FF', 'a%2Fb', 'a,b', 'a!b', 'a=b', 'in (a)', '!a'), weight: 4 },
  { arbitrary: fc.string({ maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 1 },
);
/** Percent-encoding as clients do it (a lone surrogate, which encodeURIComponent refuses, as U+FFFD). */
const enc = (s: string): string => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, '\uFFFD'));
/** A path: a known route with mutated parameters, or random segments; percent-encoded or raw. */
const path = fc.oneof(
  { arbitrary: fc.constantFrom('/healthz', '/readyz', '/metrics', '/v1/openapi.json', '/v1/machines', '/v1/machines/', '/', '//v1//machines', '/v1/machines/../machines', '/V1/MACHINES', '/v1/machines?', '/*'), weight: 3 },
  { arbitrary: fc.tuple(segment, fc.boolean()).map(([s, raw]) => `/v1/machines/${raw ? s : enc(s)}`), weight: 5 },
  { arbitrary: fc.tuple(segment, fc.boolean()).map(([s, raw]) => `/v1/machines/${raw ? s : enc(s)}/userdata`), weight: 3 },
  { arbitrary: fc.array(fc.tuple(segment, fc.boolean()), { maxLength: 5 }).map((a) => `/${a.map(([s, raw]) => (raw ? s : enc(s))).join('/')}`), weight: 2 },
  { arbitrary: fc.constantFrom(`/v1/machines/${'a'.repeat(100_000)}`, `/${'../'.repeat(1000)}etc/passwd`, `/v1/machines/${'%'.repeat(5000)}`), weight: 1 },
);
const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 4 },
  { arbitrary: fc.constantFrom('?nonce=', '?nonce=x', `?nonce=${'n'.repeat(257)}`, `?nonce=${'n'.repeat(43)}`, '?nonce=a&nonce=b', '?nonce[]=a', '?nonce[a]=b', '?nonce=%00', '?nonce=%zz', '?__proto__[x]=1', '?constructor=1', '?a=1&a=2&a=3', '?&&&', '?=', '?nonce'), weight: 3 },
  { arbitrary: fc.string({ maxLength: 20 }).map((s) => `?nonce=${enc(s)}`), weight: 1 },
  { arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }).map((d) => `?${new URLSearchParams(d).toString()}`), weight: 1 },
);
/** Header values must be what an HTTP parser lets through: printable ASCII and Latin-1, no CR, LF or NUL. */
const headerSafe = (s: string): string => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
const authorization = fc.oneof(
  { arbitrary: fc.constant(`Bearer ${admin.key}`), weight: 6 },
  { arbitrary: fc.constant(`Bearer ${edge.key}`), weight: 2 },
  { arbitrary: fc.constantFrom(`Bearer ${wrong.key}`, `bearer ${admin.key}`, `Bearer  ${admin.key}`, `Bearer ${admin.key} `, `Bearer ${admin.key}x`, `Basic ${Buffer.from(`a:${admin.key}`).toString('base64')}`, 'Bearer', 'Bearer ', '', ' ', `Bearer ${'a'.repeat(100_000)}`, `Bearer ${admin.key.slice(0, -1)}`, `Bearer ${admin.sha256}`, `Token ${admin.key}`, `Bearer\t${admin.key}`), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }).map(headerSafe), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 },
);
const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;', 'application/jsonx', 'application/merge-patch+json', 'text/plain',
      'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '', ' ', '*/*', 'application/json, text/plain', 'application/json; charset=utf-16',
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 20 }).map(headerSafe), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

const REQUEST_FIELDS = ['name', 'profile', 'format', 'delivery'];
const BASE_REQUESTS: Json[] = [
  { name: `${PREFIX}base`, profile: 'worker' },
  { name: `${PREFIX}base`, profile: 'worker', format: 'ignition', delivery: 'stub' },
  { name: `${PREFIX}base`, profile: 'edge', format: 'cloud-config', delivery: 'inline' },
];
const body: fc.Arbitrary<string | undefined> = fc.oneof(
  // Mutations of a valid MachineRequest (its name exists: only mutations of the name can mint).
  { arbitrary: fc.tuple(fc.constantFrom(...BASE_REQUESTS), fc.array(mutation(REQUEST_FIELDS), { minLength: 1, maxLength: 2 })).map(([b, ms]) => JSON.stringify(applyMutations(b, ms).doc) ?? ''), weight: 8 },
  { arbitrary: jsonValue(REQUEST_FIELDS).map((v) => JSON.stringify(v) ?? ''), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '', '{', '{"name":', '}', '[]', 'null', '0', '"x"', 'true', '1e999', '{"name":"a","name":"b","profile":"worker"}', '{"__proto__":{"admin":true},"name":"x","profile":"worker"}',
      '{"constructor":{"prototype":{"x":1}}}', '{"name":"\\u0000","profile":"worker"}', '{"name":"\\ud800","profile":"worker"}', `{"name":"${'a'.repeat(20_000)}","profile":"worker"}`,
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`, `{"name":"a","profile":"worker","x":${'['.repeat(5000)}${']'.repeat(5000)}}`, '\u0000', '\uFEFF{"name":"a","profile":"worker"}', 'name=a&profile=worker',
    ),
    weight: 2,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 },
);

interface Req {
  method: (typeof METHODS)[number];
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string | undefined;
  extra: Record<string, string>;
}

const extraHeaders = fc.oneof(
  { arbitrary: fc.constant({}), weight: 6 },
  {
    arbitrary: fc.constantFrom<Record<string, string>>(
      { 'content-length': '0' }, { 'content-length': '99999999' }, { 'transfer-encoding': 'chunked' }, { 'content-encoding': 'gzip' }, { accept: 'text/html' }, { 'x-forwarded-for': '1.2.3.4, evil' },
      { host: 'evil.example' }, { 'x-http-method-override': 'DELETE' }, { 'content-type': 'application/json', 'x-large': 'x'.repeat(50_000) }, { cookie: 'a=b' }, { expect: '100-continue' },
    ),
    weight: 1,
  },
);

const request: fc.Arbitrary<Req> = fc.oneof(
  // Machine creates, the route with the most input.
  { arbitrary: fc.record({ method: fc.constant('POST' as const), url: fc.constantFrom('/v1/machines', '/v1/machines/', '/v1/machines?x=1'), authorization, contentType, body, extra: extraHeaders }), weight: 5 },
  { arbitrary: fc.record({ method: fc.constantFrom(...METHODS), url: fc.tuple(path, query).map(([p, q]) => p + q), authorization, contentType, body, extra: extraHeaders }), weight: 5 },
);

// ---------------------------------------------------------------- the property

/** What the harness could not send (not the server's doing), counted and printed. */
const known = new Map<string, number>();

let statuses = new Map<number, number>();
let failures = 0;

async function check(req: Req): Promise<void> {
  const headers: Record<string, string> = { ...req.extra };
  if (req.authorization !== undefined) headers['authorization'] = req.authorization;
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  const logStart = logLines.length;
  let res;
  try {
    res = await app.inject({ method: req.method, url: req.url, headers, ...(req.body === undefined ? {} : { payload: req.body }) });
  } catch (err) {
    // light-my-request cannot build some URLs ('' and some starting with //): its limit, not the server's.
    if (/light-my-request\/lib\/parse-url/.test((err as Error).stack ?? '')) {
      known.set('harness: inject cannot send this URL', (known.get('harness: inject cannot send this URL') ?? 0) + 1);
      return;
    }
    assert.fail(`inject threw ${(err as Error).stack}\nrequest: ${JSON.stringify(req).slice(0, 2000)}`);
  }
  statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
  const show = (): string => `request: ${JSON.stringify(req).slice(0, 2000)}\nanswer: ${res.statusCode} ${res.body.slice(0, 1000)}\nlog: ${logLines.slice(logStart).join('').slice(0, 3000)}`;
  assert.ok(res.statusCode >= 200 && res.statusCode < 500, `status ${res.statusCode}\n${show()}`);
  const isJson = /^application\/json/.test(String(res.headers['content-type'] ?? ''));
  let json: Record<string, unknown> | undefined;
  if (isJson && req.method !== 'HEAD') {
    json = JSON.parse(res.body) as Record<string, unknown>;
  }
  if (res.statusCode >= 300 && req.method !== 'HEAD') {
    assert.ok(json !== undefined, `a non-2xx answer that is not JSON\n${show()}`);
    for (const k of ['code', 'message', 'fix']) assert.equal(typeof json[k], 'string', `${k} missing\n${show()}`);
    assert.match(json['code'] as string, /^[A-Z][A-Z0-9_]*$/, show());
  }
  // A create answers 201, or 200 when it repeats an earlier create (idempotent): both carry the machine's bootstrap data.
  const createAnswer = req.method === 'POST' && (res.statusCode === 201 || res.statusCode === 200) && json !== undefined && 'userdata' in json;
  if (createAnswer) noteCreate(json ?? {});
  // Secrets: API keys never; a minted token or nonce only in the answer of the create that minted it.
  const newLog = logLines.slice(logStart).join('');
  const ownAnswer = createAnswer ? ownTokens(json) : new Set<string>();
  const answer = `${JSON.stringify(res.headers)}\n${res.body}`;
  for (const k of [admin.key, edge.key, wrong.key, admin.sha256, edge.sha256]) {
    assert.ok(!answer.includes(k) || req.url.includes(k), `the answer holds an API key\n${show()}`);
    assert.ok(!newLog.includes(k), `the log holds an API key\n${show()}`);
  }
  for (const s of minted) {
    if (!ownAnswer.has(s) && !(createAnswer && String(json?.['url'] ?? '').includes(s))) assert.ok(!answer.includes(s), `the answer holds a minted token or nonce\n${show()}`);
    assert.ok(!newLog.includes(s), `the log holds a minted token or nonce\n${show()}`);
  }
}

/** JOINERY_FUZZ_SURVEY=1: do not stop at the first failure; print one example of each kind at the end. */
const SURVEY = process.env['JOINERY_FUZZ_SURVEY'] === '1';
const survey = new Map<string, { n: number; example: string }>();

test(`fuzz: the HTTP API answers ${RUNS} random requests with 2xx-4xx, typed errors and no secret`, { timeout: 600_000 }, async () => {
  statuses = new Map();
  const t0 = Date.now();
  await fc.assert(
    fc.asyncProperty(request, async (req) => {
      try {
        await check(req);
      } catch (err) {
        failures++;
        if (!SURVEY) throw err;
        const m = (err as Error).message;
        const kind = `${m.split('\n')[0]} ${/answer: (\d+) (\{"[^"]*":"[^"]*")?/.exec(m)?.slice(1).join(' ') ?? ''}`;
        const e = survey.get(kind) ?? { n: 0, example: m.slice(0, 1500) };
        e.n++;
        survey.set(kind, e);
      }
    }),
    { numRuns: RUNS, includeErrorInReport: true, ...(process.env['JOINERY_FUZZ_SEED'] ? { seed: Number(process.env['JOINERY_FUZZ_SEED']) } : {}) },
  );
  const seconds = (Date.now() - t0) / 1000;
  const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}: ${n}`).join(', ');
  for (const [k, n] of known) console.error(`serve-fuzz: ${n}x ${k}`);
  for (const [k, v] of survey) console.error(`SURVEY ${v.n}x ${k}\n${v.example}\n`);
  console.error(`serve-fuzz: ${RUNS} requests in ${seconds.toFixed(1)} s (${Math.round(RUNS / seconds)}/s); statuses ${summary}; ${created.size} machines minted`);
});

// ---------------------------------------------------------------- the bugs found, as focused tests

test('found by the fuzz: a one-time URL whose machine name is no node name answers 410 at once, not 500 CLUSTER_REJECTED', async () => {
  for (const url of ['/v1/machines/%C3%A9/userdata?nonce=x', '/v1/machines/a!b/userdata?nonce=x', `/v1/machines/${'a'.repeat(64)}/userdata?nonce=x`, '/v1/machines/A/userdata?nonce=x']) {
    const r = await app.inject({ method: 'GET', url });
    assert.equal(r.statusCode, 410, `${url}: ${r.statusCode} ${r.body}`);
    assert.equal((r.json() as { code: string }).code, 'USERDATA_GONE');
  }
});

test("found by the fuzz: fastify's URL errors answer {code, message, fix} without echoing the URL", async () => {
  for (const url of ['/v1/machines/%', `/v1/machines/${'a'.repeat(101)}`, `/v1/machines/${'a'.repeat(300)}`]) {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin.key}` } });
    const b = r.json() as Record<string, unknown>;
    assert.equal(typeof b['fix'], 'string', `${url}: ${r.statusCode} ${r.body.slice(0, 300)}`);
    assert.ok(r.body.length < 1000, `${url}: the answer echoes the URL (${r.body.length} bytes)`);
  }
});
