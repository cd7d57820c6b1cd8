/**
 * The provisioner's HTTP API on fastify: JSON, versioned under /v1, bearer API keys (stored as sha256,
 * compared in constant time), the OpenAPI document, /healthz, /readyz and /metrics. Errors are
 * `{code, message, fix, path?}`. Logs (pino) never carry a token, a nonce or an Authorization header:
 * requests are logged by method and path only, without the query.
 */
import type { Logger } from 'pino';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { JoineryError } from '../../errors/index.js';
import { apiKeyFor } from '../auth/index.js';
import type { ApiKey } from '../config/index.js';
import type { ProvisionerMetrics } from '../metrics/index.js';
import { statusOf, type MachineRequest, type Provisioner } from '../service/index.js';
import { RateLimiter } from '../ratelimit/index.js';
import { machineRequestSchema, openApiDocument } from './openapi.js';

export interface ServerOptions {
  provisioner: Provisioner;
  metrics: ProvisionerMetrics;
  version: string;
  /** PEM key and certificate; plain HTTP without. */
  tls?: { key: string; cert: string };
  /** The service's logger (provisionerLogger). */
  logger: Logger;
  /** Request body limit in bytes (default 16 KiB). */
  bodyLimit?: number;
  /** Slow or oversized clients (defaults: SERVER_LIMITS). */
  limits?: Partial<ServerLimits>;
  /** The clock of the rate limiter (tests). */
  nowMs?: () => number;
}

/** What the server tolerates of a client before it answers 4xx or drops the connection. */
export interface ServerLimits {
  /** All request headers together (431 over it). */
  maxHeaderBytes: number;
  /** Time to receive the whole header block (408, then the connection is closed: slowloris). */
  headersTimeoutMs: number;
  /** Time to receive the whole request, body included (408). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the server checks the two timeouts above. */
  checkIntervalMs: number;
}

export const SERVER_LIMITS: ServerLimits = { maxHeaderBytes: 16 * 1024, headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, checkIntervalMs: 1_000 };

interface ErrorBody {
  code: string;
  message: string;
  fix: string;
  path?: string;
}

function body(err: JoineryError): ErrorBody {
  return { code: err.code, message: err.message, fix: err.fix, ...(err.path === undefined ? {} : { path: err.path }) };
}

/** fastify's own errors (schema, body size, JSON syntax, content type) in joinery's shape. */
function fastifyProblem(err: { code?: string; statusCode?: number; message: string; validation?: { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string }[] }): { status: number; body: ErrorBody } {
  if (err.validation !== undefined && err.validation.length > 0) {
    const v = err.validation[0] as { instancePath?: string; keyword?: string; params?: Record<string, unknown>; message?: string };
    const at = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (v.keyword === 'additionalProperties') {
      const field = String(v.params?.['additionalProperty'] ?? '');
      return { status: 400, body: { code: 'REQUEST_UNKNOWN_FIELD', message: `body.${at === '' ? '' : at + '.'}${field}: unknown field`, fix: `remove it; the fields are ${Object.keys(machineRequestSchema.properties).join(', ')}`, path: at === '' ? field : `${at}.${field}` } };
    }
    if (v.keyword === 'required') {
      const field = String(v.params?.['missingProperty'] ?? '');
      return { status: 400, body: { code: 'REQUEST_INVALID', message: `body.${field}: is required`, fix: `give ${field} (see /v1/openapi.json)`, path: field } };
    }
    return { status: 400, body: { code: 'REQUEST_INVALID', message: `body${at === '' ? '' : '.' + at}: ${v.message ?? 'is invalid'}`, fix: 'see the MachineRequest schema in /v1/openapi.json', ...(at === '' ? {} : { path: at }) } };
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { code: 'REQUEST_TOO_LARGE', message: 'the request body is larger than the limit', fix: 'send only the fields of MachineRequest' } };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, body: { code: 'REQUEST_MEDIA_TYPE', message: 'the request body must be JSON', fix: 'send Content-Type: application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: { code: 'REQUEST_INVALID', message: 'the request body is empty', fix: 'send a MachineRequest JSON object' } };
    default:
      if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
        return { status: err.statusCode, body: { code: 'REQUEST_INVALID', message: err.message, fix: 'send a MachineRequest JSON object (see /v1/openapi.json)' } };
      }
      return { status: 500, body: { code: 'INTERNAL', message: 'internal error', fix: 'see the service log; report the bug' } };
  }
}

/** Builds the server (not listening yet). */
export async function provisionerServer(options: ServerOptions): Promise<FastifyInstance> {
  const { provisioner, metrics } = options;
  const limits = { ...SERVER_LIMITS, ...options.limits };
  // Node's own HTTP parser enforces these (431 for headers, 408 for slow clients), before fastify runs.
  const nodeServer = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    ...(options.tls === undefined ? { http: nodeServer } : { https: { key: options.tls.key, cert: options.tls.cert, ...nodeServer } }),
    loggerInstance: options.logger,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    requestTimeout: limits.requestTimeoutMs,
    // Machine names are at most 63 characters; longer path segments still reach the handlers, which say why.
    routerOptions: { maxParamLength: 256 },
    // The router's own refusals (a URL that is not valid percent-encoding, a path segment over the limit) in
    // joinery's shape, without echoing the URL back.
    frameworkErrors: (err: { code?: string }, _req: FastifyRequest, reply: FastifyReply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        return reply.code(414).send({ code: 'REQUEST_URI_TOO_LONG', message: 'a path segment of the URL is longer than 256 characters', fix: 'machine names are at most 63 characters' });
      }
      return reply.code(400).send({ code: 'REQUEST_URL_INVALID', message: 'the URL is not valid (bad percent-encoding)', fix: 'encode the path with encodeURIComponent; see /v1/openapi.json' });
    },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // One line per request (below), not fastify's two ("incoming request", "request completed"). Through a
    // LogController: the top-level disableRequestLogging (and maxParamLength) print a deprecation warning
    // at every start with fastify 5.12.
    logController: new LogController({ disableRequestLogging: true }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  const limiter = new RateLimiter();
  const nowMs = options.nowMs ?? (() => performance.now());

  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    // Method and path only: the query holds one-time nonces; headers hold API keys.
    req.log.info({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, remoteAddress: req.ip }, 'request');
  });

  const send = (reply: FastifyReply, err: JoineryError): FastifyReply => {
    const status = statusOf(err);
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    const after = (err as JoineryError & { retryAfterSeconds?: number }).retryAfterSeconds;
    if (after !== undefined) void reply.header('retry-after', String(after));
    else if (status === 503) void reply.header('retry-after', '5');
    return reply.code(status).send(body(err));
  };

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof JoineryError) return send(reply, err);
    const p = fastifyProblem(err as never);
    if (p.status >= 500) req.log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'request failed');
    return reply.code(p.status).send(p.body);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ code: 'ROUTE_NOT_FOUND', message: `${req.method} ${req.url.split('?')[0]}: no such endpoint`, fix: 'see /v1/openapi.json' }));

  /** The request's API key, once its rate limit allows one more request (else 429 with Retry-After). */
  const authenticate = (req: FastifyRequest): ApiKey => {
    const key = apiKeyFor(req.headers.authorization, provisioner.config.apiKeys);
    const decision = limiter.take(key.name, key.rateLimit, nowMs());
    if (!decision.allowed) {
      metrics.rateLimited.inc({ key: key.name });
      const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      throw Object.assign(
        new JoineryError('RATE_LIMITED', `the API key ${JSON.stringify(key.name)} is over its rate limit (${key.rateLimit.requestsPerSecond}/s, bursts of ${key.rateLimit.burst})`, `retry after ${seconds} s (Retry-After), or raise apiKeys[].rateLimit in joinery.yaml`, { family: 'input' }),
        { status: 429, retryAfterSeconds: seconds },
      );
    }
    return key;
  };

  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_req, reply) => (provisioner.ready() ? 'ok' : reply.code(503).header('retry-after', '1').send('not ready: the cluster view is not live')));
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/v1/openapi.json', async () => openApiDocument(options.version));

  app.post<{ Body: MachineRequest }>('/v1/machines', { schema: { body: machineRequestSchema } }, async (req, reply) => {
    const key = authenticate(req);
    const minted = await provisioner.createMachine(key, req.body);
    return reply.code(minted.replayed === true ? 200 : 201).send({ ...minted.machine, format: minted.machine.format, userdata: minted.userdata, ...(minted.url === undefined ? {} : { url: minted.url }) });
  });
  app.get('/v1/machines', async (req) => ({ items: provisioner.listMachines(authenticate(req)) }));
  app.get<{ Params: { name: string } }>('/v1/machines/:name', async (req) => provisioner.getMachine(authenticate(req), req.params.name));
  app.delete<{ Params: { name: string } }>('/v1/machines/:name', async (req) => provisioner.revokeMachine(authenticate(req), req.params.name));
  app.get<{ Params: { name: string }; Querystring: { nonce?: string } }>('/v1/machines/:name/userdata', async (req, reply) => {
    const nonce = req.query.nonce;
    if (typeof nonce !== 'string' || nonce === '' || nonce.length > 256) {
      throw Object.assign(new JoineryError('USERDATA_GONE', 'the one-time URL has no valid nonce', 'use the url returned by POST /v1/machines with delivery stub', { family: 'input' }), { status: 410 });
    }
    const { userdata, format } = await provisioner.fetchUserdata(req.params.name, nonce);
    return reply.type(format === 'ignition' ? 'application/json' : 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(userdata);
  });
  return app;
}
