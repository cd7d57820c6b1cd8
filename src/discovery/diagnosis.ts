/**
 * Plain-words diagnoses of why a node could not reach or trust the API server during discovery, free
 * of I/O: the caller (src/discovery-client, `joinery discover`) passes what it saw (the error code of
 * the connection, the certificate the server presented, the server's `Date` header) and this machine's
 * clock, and gets a JoineryError with a stable code and a fix. kubeadm reports these as Go errors
 * ("x509: certificate is valid for ..., not ...", "x509: certificate has expired or is not yet valid");
 * the codes below name each cause separately.
 */
import { JoineryError } from '../errors/index.js';
import { formatDuration, MILLISECOND } from '../duration/index.js';

/** The API server endpoint of token discovery (`apiServerEndpoint`, `kubeadm join HOST:PORT`). */
export interface ApiServerEndpoint {
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** `host:port` as given (IPv6 in brackets). */
  hostPort: string;
  /** `https://host:port`. */
  url: string;
}

/**
 * Parses `host:port` as kubeadm's token discovery dials it (`https://` + endpoint): an IPv6 address
 * must be in brackets, the port is required (1-65535). A leading `https://` is tolerated. Throws
 * DISCOVERY_ENDPOINT_INVALID (family usage) naming `path`.
 */
export function parseApiServerEndpoint(text: string, path = 'discovery.bootstrapToken.apiServerEndpoint'): ApiServerEndpoint {
  const bad = (why: string) =>
    new JoineryError('DISCOVERY_ENDPOINT_INVALID', `${path} ${JSON.stringify(String(text).slice(0, 200))} is not host:port: ${why}`, 'give the API server as HOST:PORT, e.g. 10.0.0.1:6443 or [fd00::1]:6443 (as printed by `kubeadm token create --print-join-command`)', {
      path,
      family: 'usage',
    });
  if (typeof text !== 'string' || text === '') throw bad('it is empty');
  const hostPort = text.replace(/^https:\/\//, '').replace(/\/+$/, '');
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/[\]\s]+)):(\d{1,5})$/.exec(hostPort);
  if (m === null) throw bad('expected HOST:PORT (IPv6 addresses in brackets)');
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad('the port must be between 1 and 65535');
  const host = (m[1] ?? m[2]) as string;
  return { host, port, hostPort, url: `https://${hostPort}` };
}

/** What the server's certificate says, as read from an unverified connection. */
export interface PeerCertificateFacts {
  /** Node's `subjectaltname`: `DNS:kubernetes, IP Address:10.96.0.1, ...`. */
  subjectAltName?: string;
  subject?: string;
  validFrom?: Date;
  validTo?: Date;
}

/** A failed TLS handshake with what is known about it. */
export interface TlsFailure {
  /** The error code of the connection: ERR_TLS_CERT_ALTNAME_INVALID, CERT_NOT_YET_VALID, CERT_HAS_EXPIRED, UNABLE_TO_VERIFY_LEAF_SIGNATURE... */
  code: string;
  /** The host dialled (what the certificate must name). */
  host: string;
  /** `host:port`, for messages. */
  hostPort: string;
  /** Which CA the certificate was checked against, for messages: `the cluster CA from cluster-info`, `the CA in /path`. */
  trustedCa: string;
  peer?: PeerCertificateFacts;
  /** The server's clock, from its `Date` header. */
  serverDate?: Date;
  /** This machine's clock when the server's Date was read (or now). */
  now: Date;
  /** The error's own message, for the unclassified case. */
  detail?: string;
}

const NAME_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_TLS_CERT_ALTNAME_FORMAT', 'HOSTNAME_MISMATCH']);
const NOT_YET_VALID = new Set(['CERT_NOT_YET_VALID', 'CRL_NOT_YET_VALID']);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CRL_HAS_EXPIRED']);
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
]);

/** Whether a connection error code is a failed certificate check (as opposed to a network failure). */
export function isTlsVerificationCode(code: string | undefined): boolean {
  if (code === undefined) return false;
  return NAME_CODES.has(code) || NOT_YET_VALID.has(code) || EXPIRED.has(code) || UNTRUSTED.has(code) || code.startsWith('ERR_TLS_CERT') || code.includes('CERT');
}

/** `1h2m3s` for a millisecond span, as Go prints a time.Duration rounded to seconds. */
function span(ms: number): string {
  return formatDuration(BigInt(Math.round(Math.abs(ms) / 1000) * 1000) * MILLISECOND);
}

/** ` (the server's clock is 2h0m0s ahead of this machine's)`, or '' when the clocks agree within 5 s or the server's is unknown. */
function clockOffsetClause(serverDate: Date | undefined, now: Date): { text: string; offsetMs: number | undefined } {
  if (serverDate === undefined || Number.isNaN(serverDate.getTime())) return { text: '', offsetMs: undefined };
  const offsetMs = serverDate.getTime() - now.getTime();
  // Date has a resolution of one second and the request takes time: a few seconds is not skew.
  if (Math.abs(offsetMs) <= 5000) return { text: `; the server's clock (Date header ${serverDate.toISOString()}) agrees with this machine's`, offsetMs };
  return {
    text: `; the server's clock (Date header ${serverDate.toISOString()}) is ${span(offsetMs)} ${offsetMs > 0 ? 'ahead of' : 'behind'} this machine's (${now.toISOString()})`,
    offsetMs,
  };
}

/** Whether `at` falls in the certificate's validity period. */
function validAt(peer: PeerCertificateFacts | undefined, at: Date | undefined): boolean | undefined {
  if (peer?.validFrom === undefined || peer.validTo === undefined || at === undefined) return undefined;
  return at.getTime() >= peer.validFrom.getTime() && at.getTime() <= peer.validTo.getTime();
}

/**
 * The diagnosis of a failed TLS handshake with the API server: DISCOVERY_CERT_NAME_MISMATCH (the
 * certificate does not name the host dialled; says which names it has), DISCOVERY_CLOCK_SKEW (not yet
 * valid or expired by this machine's clock but valid by the server's, or no server clock known),
 * DISCOVERY_CERT_EXPIRED (expired by the server's clock too), DISCOVERY_CERT_UNTRUSTED (not signed
 * by the trusted CA) or DISCOVERY_TLS_FAILED. All of family trust.
 */
export function tlsFailureDiagnosis(f: TlsFailure): JoineryError {
  const trust = { family: 'trust' as const };
  const names = f.peer?.subjectAltName?.trim() || undefined;
  if (NAME_CODES.has(f.code)) {
    return new JoineryError(
      'DISCOVERY_CERT_NAME_MISMATCH',
      `the API server's certificate at ${f.hostPort} does not name "${f.host}": ${names === undefined ? 'it has no subject alternative names' : `it is valid for ${names}`}`,
      `connect through one of the names the certificate has${names === undefined ? '' : ` (${names})`}, or add "${f.host}" to apiServer.certSANs in the ClusterConfiguration and ` +
        're-issue the API server certificate on each control-plane node (move /etc/kubernetes/pki/apiserver.{crt,key} away, run `kubeadm init phase certs apiserver --config FILE`, restart kube-apiserver)',
      trust,
    );
  }
  const notYet = NOT_YET_VALID.has(f.code);
  const expired = EXPIRED.has(f.code);
  if (notYet || expired) {
    const clock = clockOffsetClause(f.serverDate, f.now);
    const period =
      f.peer?.validFrom !== undefined && f.peer.validTo !== undefined
        ? ` (valid from ${f.peer.validFrom.toISOString()} to ${f.peer.validTo.toISOString()})`
        : '';
    const byServer = validAt(f.peer, f.serverDate);
    if (expired && byServer === false && f.serverDate !== undefined && f.peer?.validTo !== undefined && f.serverDate.getTime() > f.peer.validTo.getTime()) {
      return new JoineryError(
        'DISCOVERY_CERT_EXPIRED',
        `the API server's certificate at ${f.hostPort} has expired${period}, by this machine's clock and by the server's own${clock.text}`,
        'renew the control-plane certificates on each control-plane node (`kubeadm certs renew all`, then restart kube-apiserver); `kubeadm certs check-expiration` lists them',
        trust,
      );
    }
    const state = notYet ? 'is not valid yet' : 'has expired';
    return new JoineryError(
      'DISCOVERY_CLOCK_SKEW',
      `the API server's certificate at ${f.hostPort} ${state} by this machine's clock${period}${clock.text}: the clocks of this machine and the control plane disagree`,
      "set this machine's clock right (enable NTP: `timedatectl set-ntp true`, or `chronyc makestep`) and retry; if this machine's clock is right, fix the control plane's" +
        (expired ? ' or renew its certificates (`kubeadm certs renew all`)' : ''),
      trust,
    );
  }
  if (UNTRUSTED.has(f.code)) {
    return new JoineryError(
      'DISCOVERY_CERT_UNTRUSTED',
      `the API server at ${f.hostPort} presented a certificate that is not signed by ${f.trustedCa} (${f.code})`,
      'check that the endpoint is this cluster\'s API server (not a load balancer that terminates TLS, or another cluster); if it is, someone may be intercepting the connection: do not join',
      trust,
    );
  }
  return new JoineryError(
    'DISCOVERY_TLS_FAILED',
    `the TLS connection to the API server at ${f.hostPort} failed (${f.code}${f.detail === undefined ? '' : `: ${f.detail}`})`,
    'check that the endpoint is a Kubernetes API server speaking TLS and that the CA is the cluster\'s',
    trust,
  );
}

/**
 * DISCOVERY_ENDPOINT_UNREACHABLE (family io): nothing answered at `hostPort` until the discovery
 * timeout (`code` is the last network error: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENOTFOUND...).
 */
export function endpointUnreachable(hostPort: string, code: string, waitedMs: number, attempts: number): JoineryError {
  const why: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused: nothing listens on that port',
    ETIMEDOUT: 'the connection timed out',
    EHOSTUNREACH: 'there is no route to the host',
    ENETUNREACH: 'the network is unreachable',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name could not be resolved (DNS is not answering)',
    ECONNRESET: 'the connection was reset',
  };
  return new JoineryError(
    'DISCOVERY_ENDPOINT_UNREACHABLE',
    `cannot reach the API server at ${hostPort}: ${why[code] ?? code} (${attempts} attempt(s) in ${span(waitedMs)})`,
    `check the endpoint (host and port of kube-apiserver, 6443 by default), that kube-apiserver runs, and that a firewall lets this machine reach ${hostPort} over TCP`,
    { family: 'io' },
  );
}
