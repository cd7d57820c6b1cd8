/**
 * The network half of node-side discovery (the protocol checks are in src/discovery): anonymous GETs
 * of kube-public/cluster-info over unverified or CA-verified TLS, polled as kubeadm's getClusterInfo
 * polls (until the JWS for the token id appears or the discovery timeout passes), and a look at the
 * server's certificate and clock when a handshake fails, for the diagnosis. Nothing here sends
 * credentials: discovery is anonymous, and the token never leaves this machine.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { JoineryError } from '../errors/index.js';
import { endpointUnreachable, isTlsVerificationCode, tlsFailureDiagnosis, type PeerCertificateFacts } from '../discovery/index.js';

/** How to check the server: against a CA bundle (PEM), the system roots, or not at all. */
export interface TlsTrust {
  /** PEM bundle; absent means the system roots (unless insecure). */
  ca?: string;
  insecure?: boolean;
  /** For messages: which CA this is (`the cluster CA from cluster-info`). */
  name: string;
}

export interface HttpsAnswer {
  status: number;
  body: string;
  /** The server's `Date` header. */
  serverDate?: Date;
  /** This machine's clock when the answer arrived. */
  receivedAt: Date;
  peer?: PeerCertificateFacts;
}

function peerFacts(socket: unknown): PeerCertificateFacts | undefined {
  const s = socket as Partial<TLSSocket> | undefined;
  if (s === undefined || typeof s.getPeerCertificate !== 'function') return undefined;
  const c = s.getPeerCertificate(false);
  if (c === undefined || c === null || Object.keys(c).length === 0) return undefined;
  const date = (t: string | undefined) => (t === undefined ? undefined : new Date(t));
  const facts: PeerCertificateFacts = {};
  if (c.subjectaltname !== undefined) facts.subjectAltName = c.subjectaltname;
  if (c.subject?.CN !== undefined) facts.subject = `CN=${String(c.subject.CN)}`;
  const from = date(c.valid_from);
  const to = date(c.valid_to);
  if (from !== undefined) facts.validFrom = from;
  if (to !== undefined) facts.validTo = to;
  return facts;
}

/**
 * One anonymous HTTPS GET on a fresh connection (never pooled, so an unverified connection is never
 * reused for a verified request). Rejects with the socket's error (`code` ECONNREFUSED,
 * ERR_TLS_CERT_ALTNAME_INVALID, CERT_NOT_YET_VALID...).
 */
export function httpsGet(url: string, trust: TlsTrust, timeoutMs: number): Promise<HttpsAnswer> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolvePromise, reject) => {
    const req = request(
      {
        protocol: 'https:',
        hostname: host,
        port: u.port === '' ? 443 : Number(u.port),
        path: `${u.pathname}${u.search}`,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'joinery-discover' },
        agent: false,
        timeout: timeoutMs,
        rejectUnauthorized: trust.insecure !== true,
        ...(trust.ca === undefined || trust.insecure === true ? {} : { ca: trust.ca }),
        ...(isIP(host) === 0 ? { servername: host } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = peerFacts(res.socket);
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const date = res.headers['date'];
          const answer: HttpsAnswer = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), receivedAt: new Date() };
          if (date !== undefined && !Number.isNaN(new Date(date).getTime())) answer.serverDate = new Date(date);
          if (peer !== undefined) answer.peer = peer;
          resolvePromise(answer);
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** The server's certificate and clock, read over an unverified connection (for a diagnosis only). */
export async function peekServer(baseUrl: string, timeoutMs = 5000): Promise<{ peer?: PeerCertificateFacts; serverDate?: Date; receivedAt?: Date }> {
  try {
    const a = await httpsGet(`${baseUrl.replace(/\/+$/, '')}/healthz`, { insecure: true, name: 'nothing' }, timeoutMs);
    return { ...(a.peer === undefined ? {} : { peer: a.peer }), ...(a.serverDate === undefined ? {} : { serverDate: a.serverDate }), receivedAt: a.receivedAt };
  } catch {
    return {};
  }
}

/** Network errors worth retrying until the discovery timeout (the API server may be starting). */
const RETRY_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EPIPE', 'ECONNABORTED']);

/** The diagnosis of a failed request to `baseUrl`: a TLS verification failure is looked at more closely. */
export async function connectionFailure(err: NodeJS.ErrnoException, baseUrl: string, trust: TlsTrust, now: () => Date = () => new Date()): Promise<JoineryError | undefined> {
  const code = err.code ?? '';
  if (!isTlsVerificationCode(code)) return undefined;
  const u = new URL(baseUrl);
  const seen = await peekServer(baseUrl);
  const fromError = (err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname;
  const peer: PeerCertificateFacts = { ...seen.peer };
  if (peer.subjectAltName === undefined && fromError !== undefined) peer.subjectAltName = fromError;
  return tlsFailureDiagnosis({
    code,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    hostPort: u.host,
    trustedCa: trust.name,
    peer,
    ...(seen.serverDate === undefined ? {} : { serverDate: seen.serverDate }),
    now: seen.receivedAt ?? now(),
    detail: err.message,
  });
}

export interface PollOptions {
  /** `https://host:port`. */
  baseUrl: string;
  trust: TlsTrust;
  /** The token id whose `jws-kubeconfig-<id>` to wait for; absent: any cluster-info with a kubeconfig will do. */
  tokenId?: string;
  /** Overall deadline (ms since epoch). */
  deadline: number;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
  /** Give up on 403 at once (token discovery) or accept it (file discovery: `forbidden` is returned). */
  forbidden: 'fail' | 'return';
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type PollResult =
  | { kind: 'found'; data: Record<string, string>; answer: HttpsAnswer }
  | { kind: 'forbidden'; answer: HttpsAnswer }
  /** The deadline passed with a cluster-info that lacks the JWS of the token id. */
  | { kind: 'unsigned'; data: Record<string, string>; answer: HttpsAnswer; waitedMs: number; attempts: number };

const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/**
 * GETs kube-public/cluster-info until it holds `jws-kubeconfig-<tokenId>` (kubeadm's getClusterInfo:
 * the bootstrapsigner patches the signature in a little after the token is created) or the deadline
 * passes. Waits 0.5 s, 1 s, 2 s, 4 s, then kubeadm's DiscoveryRetryInterval of 5 s between attempts.
 * Network errors, 404, 429 and 5xx are retried; a certificate failure is diagnosed at once
 * (tlsFailureDiagnosis), as are 401 and (for token discovery) 403. Throws
 * DISCOVERY_ENDPOINT_UNREACHABLE, CLUSTER_INFO_MISSING, CLUSTER_INFO_FORBIDDEN or DISCOVERY_TIMEOUT.
 */
export async function pollClusterInfo(o: PollOptions): Promise<PollResult> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const hostPort = new URL(o.baseUrl).host;
  let attempts = 0;
  let last: { kind: 'network'; code: string } | { kind: 'status'; status: number; body: string } | { kind: 'unsigned'; data: Record<string, string>; answer: HttpsAnswer } | undefined;
  for (;;) {
    attempts += 1;
    let reason = '';
    const remaining = o.deadline - now();
    try {
      const answer = await httpsGet(`${o.baseUrl}${CLUSTER_INFO_PATH}`, o.trust, Math.max(1000, Math.min(10_000, remaining)));
      if (answer.status === 200) {
        let data: Record<string, string> = {};
        try {
          const cm = JSON.parse(answer.body) as { data?: Record<string, string> };
          data = cm.data ?? {};
        } catch {
          throw new JoineryError('CLUSTER_INFO_INVALID', `the answer of ${hostPort} for kube-public/cluster-info is not JSON`, 'check that the endpoint is a Kubernetes API server', { family: 'trust' });
        }
        if (o.tokenId === undefined || typeof data[`jws-kubeconfig-${o.tokenId}`] === 'string') return { kind: 'found', data, answer };
        last = { kind: 'unsigned', data, answer };
        reason = `the cluster-info ConfigMap has no JWS signature for token id "${o.tokenId}" yet`;
      } else if (answer.status === 401 || (answer.status === 403 && o.forbidden === 'fail')) {
        throw new JoineryError(
          'CLUSTER_INFO_FORBIDDEN',
          `the API server at ${hostPort} refused an anonymous read of kube-public/cluster-info (HTTP ${answer.status}): token discovery needs it`,
          answer.status === 401
            ? 'kube-apiserver runs with --anonymous-auth=false: enable anonymous requests (RBAC still limits them), or use file discovery (`joinery join-config --discovery file`)'
            : 'on a control-plane node run `kubeadm init phase bootstrap-token` (it creates the Role and RoleBinding kubeadm:bootstrap-signer-clusterinfo in kube-public that let system:anonymous read cluster-info); `joinery doctor` checks it',
          { family: 'cluster' },
        );
      } else if (answer.status === 403) {
        return { kind: 'forbidden', answer };
      } else {
        last = { kind: 'status', status: answer.status, body: answer.body };
        reason = `the API server at ${hostPort} answered HTTP ${answer.status} for kube-public/cluster-info`;
      }
    } catch (err) {
      if (err instanceof JoineryError) throw err;
      const e = err as NodeJS.ErrnoException;
      const diagnosis = await connectionFailure(e, o.baseUrl, o.trust);
      if (diagnosis !== undefined) throw diagnosis;
      if (e.code === undefined || !RETRY_ERRNO.has(e.code)) {
        throw new JoineryError('DISCOVERY_REQUEST_FAILED', `the request to ${hostPort} for kube-public/cluster-info failed: ${e.code ?? ''} ${e.message}`.trim(), 'check the endpoint and the network between this machine and the API server', {
          family: 'io',
        });
      }
      last = { kind: 'network', code: e.code };
      reason = `cannot reach ${hostPort} yet (${e.code})`;
    }
    const left = o.deadline - now();
    if (left <= 0) break;
    const wait = Math.min(left, attempts <= 4 ? 500 * 2 ** (attempts - 1) : 5000);
    o.progress?.(`[discovery] ${reason}; retrying in ${seconds(wait)} (${seconds(left)} left of the discovery timeout)`);
    await sleep(wait);
  }
  const waited = now() - started;
  if (last?.kind === 'unsigned') return { kind: 'unsigned', data: last.data, answer: last.answer, waitedMs: waited, attempts };
  if (last?.kind === 'network') throw endpointUnreachable(hostPort, last.code, waited, attempts);
  if (last?.kind === 'status' && last.status === 404) {
    throw new JoineryError(
      'CLUSTER_INFO_MISSING',
      `the API server at ${hostPort} has no kube-public/cluster-info ConfigMap (HTTP 404 for ${seconds(waited)})`,
      'on a control-plane node run `kubeadm init phase bootstrap-token`, which writes cluster-info; or use file discovery',
      { family: 'cluster' },
    );
  }
  throw new JoineryError(
    'DISCOVERY_TIMEOUT',
    `the API server at ${hostPort} did not hand out kube-public/cluster-info within the discovery timeout (${seconds(waited)}, last answer: HTTP ${last?.kind === 'status' ? last.status : '?'})`,
    'check kube-apiserver and its logs, then retry (a longer --timeout helps while the control plane is starting)',
    { family: 'cluster' },
  );
}
