/**
 * A small Kubernetes API client on node:https: JSON requests with keep-alive, retries with backoff on
 * 429, 5xx and refused or reset connections, and typed errors that say what was being done. It is
 * the only code that talks to kube-apiserver (DESIGN "Layers"); the client library of the Kubernetes
 * project is not used because its import alone costs more than the CLI's whole start-up budget
 * (README, design notes).
 */
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { JoineryError } from '../errors/index.js';
import { impersonationHeaders, type ClusterCredentials } from './credentials.js';

/** protobuf.ts and its wire reader, loaded by the first protobuf watch (only `serve` watches; the CLI's start-up is a measured goal). */
type Protobuf = typeof import('./protobuf.js');

/** What a request does, in RBAC's words, so that a refusal can name what the credentials lack. */
export interface Action {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  /** `secrets`, `configmaps`, `certificatesigningrequests`, `nodes`, ... (with the group as `leases.coordination.k8s.io`). */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Content type of a PATCH body. */
  contentType?: string;
  query?: Record<string, string>;
  action: Action;
  /** Return undefined on 404 instead of throwing. */
  allowNotFound?: boolean;
  /** Return the body as text instead of parsing JSON (for /readyz, /healthz). */
  raw?: boolean;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  /** First backoff; doubled per attempt, with jitter, capped at maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called before each wait (for progress output). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 3000 };

/** Raw answer of the API server. */
interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRY_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

function describe(a: Action): string {
  const res = a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`;
  const name = a.name === undefined ? '' : ` "${a.name}"`;
  const ns = a.namespace === undefined ? ' (cluster-wide)' : ` in namespace "${a.namespace}"`;
  return `${a.verb} ${res}${name}${ns}`;
}

/** An error answer's body as JSON text: a protobuf Status (the answer to a protobuf watch) is decoded. */
function statusBody(contentType: string | undefined, body: Buffer, pb: Protobuf | undefined): string {
  if (pb !== undefined && contentType?.startsWith('application/vnd.kubernetes.protobuf') === true) {
    try {
      return JSON.stringify(pb.decodeObject(body));
    } catch {
      return '';
    }
  }
  return body.toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A client bound to one set of credentials. Reuse it: it keeps connections open. */
export class KubeClient {
  readonly credentials: ClusterCredentials;
  private readonly agent: Agent;
  private readonly url: URL;
  retry: RetryPolicy;
  /** Per-request timeout. */
  timeoutMs = 30_000;

  constructor(credentials: ClusterCredentials, retry: RetryPolicy = DEFAULT_RETRY, maxSockets = 64) {
    this.credentials = credentials;
    this.retry = retry;
    this.url = new URL(credentials.server);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets,
      ...(credentials.ca === undefined ? {} : { ca: credentials.ca }),
      ...(credentials.clientCert === undefined ? {} : { cert: credentials.clientCert }),
      ...(credentials.clientKey === undefined ? {} : { key: credentials.clientKey }),
      ...(credentials.tlsServerName === undefined ? {} : { servername: credentials.tlsServerName }),
      rejectUnauthorized: credentials.insecureSkipTlsVerify !== true,
    });
  }

  /** Closes idle connections so the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  /** One JSON request with retries; the parsed body, or undefined for 404 when allowed. */
  async request<T>(path: string, options: RequestOptions): Promise<T | undefined> {
    const method = options.method ?? 'GET';
    const query = options.query === undefined ? '' : `?${new URLSearchParams(options.query).toString()}`;
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    let attempt = 0;
    for (;;) {
      attempt += 1;
      let answer: Answer | undefined;
      let failure: NodeJS.ErrnoException | undefined;
      try {
        answer = await this.send(method, path + query, payload, options.contentType);
      } catch (err) {
        failure = err as NodeJS.ErrnoException;
      }
      const retryable =
        (answer !== undefined && RETRY_STATUS.has(answer.status)) ||
        (failure !== undefined && failure.code !== undefined && RETRY_ERRNO.has(failure.code));
      if (retryable && attempt < this.retry.attempts) {
        const after = answer?.headers['retry-after'];
        const hinted = typeof after === 'string' && /^\d+$/.test(after) ? Number(after) * 1000 : 0;
        const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.min(this.retry.maxDelayMs, Math.max(hinted, exp / 2 + Math.random() * (exp / 2)));
        this.retry.onRetry?.({
          attempt,
          delayMs,
          reason: answer !== undefined ? `HTTP ${answer.status}` : (failure?.code ?? 'network error'),
        });
        await sleep(delayMs);
        continue;
      }
      if (failure !== undefined) throw this.networkError(failure, options.action, attempt);
      const a = answer as Answer;
      if (a.status >= 200 && a.status < 300) {
        if (options.raw === true) return a.body as T;
        return (a.body === '' ? undefined : JSON.parse(a.body)) as T;
      }
      if (a.status === 404 && options.allowNotFound === true) return undefined;
      throw this.statusError(a, options.action, attempt);
    }
  }

  /**
   * A watch stream (`?watch=1`): calls `onEvent` with each event as it arrives, and resolves when the
   * server ends the stream (its timeoutSeconds) or `signal` aborts it. A non-2xx answer is thrown as a
   * typed error; a broken connection as CLUSTER_UNREACHABLE. No retries here: the informer re-lists.
   * `protobuf`: ask for the protobuf stream (Secrets only, see protobuf.ts); the events are decoded to the
   * JSON shape. A server that answers in JSON anyway is read as JSON; a frame that cannot be decoded ends
   * the watch with WATCH_UNDECODABLE. Resolves with the encoding the server used.
   */
  async watch(path: string, query: Record<string, string>, action: Action, onEvent: (event: unknown) => void, signal?: AbortSignal, protobuf = false): Promise<'protobuf' | 'json'> {
    const pb = protobuf ? await import('./protobuf.js') : undefined;
    return this.stream(path, query, action, onEvent, signal, pb);
  }

  private stream(path: string, query: Record<string, string>, action: Action, onEvent: (event: unknown) => void, signal: AbortSignal | undefined, pb: Protobuf | undefined): Promise<'protobuf' | 'json'> {
    return new Promise((resolveWith, reject) => {
      const headers = this.headers();
      if (pb !== undefined) headers['accept'] = `${pb.PROTOBUF_WATCH}, application/json`;
      const req = httpsRequest(
        {
          protocol: 'https:',
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port === '' ? 443 : Number(this.url.port),
          path: `${this.url.pathname.replace(/\/$/, '')}${path}?${new URLSearchParams({ ...query, watch: '1' }).toString()}`,
          method: 'GET',
          headers,
          agent: this.agent,
          ...(signal === undefined ? {} : { signal }),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => reject(this.statusError({ status, headers: res.headers, body: statusBody(res.headers['content-type'], Buffer.concat(chunks), pb) }, action, 1)));
            res.on('error', (err) => reject(this.networkError(err as NodeJS.ErrnoException, action, 1)));
            return;
          }
          const encoding = pb !== undefined && (res.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf') ? 'protobuf' : 'json';
          res.on('end', () => resolveWith(encoding));
          res.on('error', (err) => (signal?.aborted === true ? resolveWith(encoding) : reject(this.networkError(err as NodeJS.ErrnoException, action, 1))));
          /** Runs a step of reading the stream; its error (an undecodable frame, a handler's error) ends the watch. */
          const step = (run: () => void): boolean => {
            try {
              run();
              return true;
            } catch (err) {
              reject(err);
              req.destroy();
              return false;
            }
          };
          if (encoding === 'protobuf' && pb !== undefined) {
            const reader = new pb.FrameReader();
            res.on('data', (chunk: Buffer) => {
              let frames: Uint8Array[] = [];
              if (!step(() => (frames = reader.push(chunk)))) return;
              for (const frame of frames) if (!step(() => onEvent(pb.decodeWatchEvent(frame)))) return;
            });
            return;
          }
          let pending = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            pending += chunk;
            let nl: number;
            while ((nl = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, nl).trim();
              pending = pending.slice(nl + 1);
              if (line !== '' && !step(() => onEvent(JSON.parse(line)))) return;
            }
          });
        },
      );
      req.on('error', (err) => (signal?.aborted === true ? resolveWith(pb !== undefined ? 'protobuf' : 'json') : reject(err instanceof JoineryError ? err : this.networkError(err as NodeJS.ErrnoException, action, 1))));
      req.end();
    });
  }

  /** The headers of every request: credentials, and the Impersonate-* headers of the kubeconfig's `as` fields. */
  private headers(): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = { accept: 'application/json', 'user-agent': 'joinery' };
    if (this.credentials.bearerToken !== undefined) headers['authorization'] = `Bearer ${this.credentials.bearerToken}`;
    if (this.credentials.impersonate !== undefined) Object.assign(headers, impersonationHeaders(this.credentials.impersonate));
    return headers;
  }

  private send(method: string, path: string, payload: string | undefined, contentType?: string): Promise<Answer> {
    return new Promise((resolvePromise, reject) => {
      const headers = this.headers();
      if (payload !== undefined) {
        headers['content-type'] = contentType ?? 'application/json';
        headers['content-length'] = String(Buffer.byteLength(payload));
      }
      const req = httpsRequest(
        {
          protocol: 'https:',
          hostname: this.url.hostname.replace(/^\[|\]$/g, ''),
          port: this.url.port === '' ? 443 : Number(this.url.port),
          path: (this.url.pathname.replace(/\/$/, '') + path) || '/',
          method,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  private networkError(err: NodeJS.ErrnoException, action: Action, attempts: number): JoineryError {
    const server = this.credentials.server;
    const code = err.code ?? '';
    if (code.startsWith('ERR_TLS') || code.includes('CERT') || code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || code === 'SELF_SIGNED_CERT_IN_CHAIN') {
      return new JoineryError(
        'CLUSTER_TLS',
        `the TLS connection to ${server} failed (${code}: ${err.message}) while trying to ${describe(action)}`,
        `check that ${this.credentials.source} has the right certificate-authority for ${server} and that the server's certificate names the host you connect to`,
        { family: 'cluster', cause: err },
      );
    }
    return new JoineryError(
      'CLUSTER_UNREACHABLE',
      `cannot reach the Kubernetes API at ${server} (${code || err.message}) while trying to ${describe(action)}; gave up after ${attempts} attempt(s)`,
      `check that kube-apiserver is running and that ${server} (from ${this.credentials.source}) is the right address`,
      { family: 'cluster', cause: err },
    );
  }

  private statusError(a: Answer, action: Action, attempts: number): JoineryError {
    let reason = '';
    let message = '';
    try {
      const status = JSON.parse(a.body) as { reason?: string; message?: string };
      reason = status.reason ?? '';
      message = status.message ?? '';
    } catch {
      message = a.body.slice(0, 200);
    }
    const base = this.credentials.user === undefined || this.credentials.user === '' ? this.credentials.source : `user "${this.credentials.user}" of ${this.credentials.source}`;
    const who = this.credentials.impersonate === undefined ? base : `${base}, acting as "${this.credentials.impersonate.user}"`;
    const what = describe(action);
    switch (a.status) {
      case 401:
        return new JoineryError('UNAUTHORIZED', `the Kubernetes API did not accept the credentials of ${who} (401) while trying to ${what}`, 'the certificate or token has expired or been revoked: get fresh credentials (e.g. a current /etc/kubernetes/admin.conf)', {
          family: 'cluster',
        });
      case 403: {
        const ns = action.namespace === undefined ? 'cluster-wide' : `in namespace "${action.namespace}"`;
        const res = action.subresource === undefined ? action.resource : `${action.resource}/${action.subresource}`;
        return new JoineryError(
          'FORBIDDEN',
          `${who} may not ${action.verb} ${res} ${ns}${action.name === undefined ? '' : ` (name "${action.name}")`}: ${message}`,
          `grant the verb "${action.verb}" on "${res}" ${ns} to these credentials (a Role${action.namespace === undefined ? '' : ' in ' + action.namespace} or ClusterRole and a binding), or use credentials that have it, e.g. /etc/kubernetes/admin.conf`,
          { family: 'cluster' },
        );
      }
      case 404:
        return new JoineryError('NOT_FOUND', `${what}: not found (${message})`, 'check the name and namespace; for cluster-info and kubeadm-config, check that the cluster was made with kubeadm (kubeadm init phase bootstrap-token, upload-config)', {
          family: 'cluster',
        });
      case 409:
        if (reason === 'Conflict') {
          return new JoineryError('CONFLICT', `${what}: the object changed meanwhile (${message})`, 'read it again and retry', { family: 'cluster' });
        }
        return new JoineryError('ALREADY_EXISTS', `${what}: ${message || 'already exists'}`, 'choose another name, or delete the existing object first', { family: 'cluster' });
      case 422:
      case 400:
        return new JoineryError('CLUSTER_REJECTED', `the Kubernetes API rejected the request to ${what}: ${message}`, 'this is most likely a bug in joinery; please report it with the message', {
          family: 'cluster',
        });
      default:
        return new JoineryError(
          'CLUSTER_ERROR',
          `the Kubernetes API answered ${a.status}${reason === '' ? '' : ` ${reason}`} to the request to ${what}${RETRY_STATUS.has(a.status) ? ` after ${attempts} attempt(s)` : ''}: ${message}`,
          'check kube-apiserver and its logs; the request can be retried',
          { family: 'cluster' },
        );
    }
  }
}
