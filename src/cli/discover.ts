/**
 * `joinery discover`: the discovery step of `kubeadm join`, on its own, with a diagnosis for each way
 * it fails. Token discovery as kubeadm's (cmd/kubeadm/app/discovery/token): an anonymous GET of
 * kube-public/cluster-info over unverified TLS, polled until the JWS of the token id appears; the JWS
 * and CA pin checks (src/discovery verifyClusterInfo); a second GET over TLS verified with that CA and
 * the endpoint's host name; the two kubeconfigs must be equal. File discovery as kubeadm's
 * (discovery/file, discovery/https): the kubeconfig from a file or an HTTPS URL, then a refresh of
 * cluster-info over TLS verified with its CA. Writes the TLS-bootstrap kubeconfig kubeadm writes
 * (bootstrap-kubelet.conf), mode 0600. The token is read from a file, stdin or the join configuration,
 * never printed; `--token` exists for kubeadm compatibility, with a warning.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { JoineryError } from '../errors/index.js';
import { formatDuration, MILLISECOND, parseDuration } from '../duration/index.js';
import { caPinRequired, caPins as caPinsOf, parseCaPins } from '../pki/index.js';
import { parseBootstrapToken, type BootstrapTokenString } from '../token/index.js';
import {
  compareClusterInfo,
  parseApiServerEndpoint,
  parseClusterInfoKubeconfig,
  tlsBootstrapKubeconfig,
  verifyClusterInfo,
  type ClusterInfo,
} from '../discovery/index.js';
import { httpsGet, connectionFailure, pollClusterInfo, type TlsTrust } from '../discovery-client/index.js';
import { writeFileAtomic } from './files.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';
import { readFlagFile } from './input.js';

/** kubeadm's DefaultDiscoveryTimeout. */
export const DEFAULT_DISCOVERY_TIMEOUT = '5m0s';
export const DEFAULT_BOOTSTRAP_KUBECONFIG = 'bootstrap-kubelet.conf';

export interface DiscoverOptions {
  /** `kubeadm join HOST:PORT`'s argument. */
  endpoint?: string;
  config?: string;
  token?: string;
  tokenFile?: string;
  discoveryTokenCaCertHash?: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  discoveryFileCa?: string;
  timeout?: string;
  out: string;
  output: OutputFormat;
}

/** What to discover, from flags or a JoinConfiguration. */
type Plan =
  | { mode: 'token'; endpoint: string; endpointPath: string; token: BootstrapTokenString; pins: string[]; pinsPath: string; unsafeSkip: boolean; tlsBootstrapToken: BootstrapTokenString; timeoutNs: bigint }
  | { mode: 'file'; location: string; ca?: string; tlsBootstrapToken: BootstrapTokenString; timeoutNs: bigint };

const usage = (code: string, message: string, fix: string, path?: string) => new JoineryError(code, message, fix, { family: 'usage', ...(path === undefined ? {} : { path }) });

async function readTokenFile(file: string): Promise<BootstrapTokenString> {
  const text = await readFlagFile(file, '--token-file', 'a file holding the bootstrap token (abcdef.0123456789abcdef), or - to read it from stdin');
  return parseBootstrapToken(text.trim(), '--token-file');
}

async function planOf(o: DiscoverOptions, io: Io): Promise<Plan> {
  const flagTimeout = o.timeout === undefined ? undefined : parseDuration(o.timeout, '--timeout');
  if (flagTimeout !== undefined && flagTimeout <= 0n) throw usage('TIMEOUT_INVALID', '--timeout must be positive', 'give a Go duration such as 30s or 5m', '--timeout');
  if (o.token !== undefined && o.tokenFile !== undefined) throw usage('FLAGS_CONFLICT', '--token and --token-file are both given', 'give only --token-file (or - for stdin)', '--token');
  if (o.token !== undefined) {
    io.stderr('warning: --token puts the token on the command line, where ps and the shell history show it; prefer --token-file FILE (or - for stdin) or --config join-configuration.yaml\n');
  }
  const flagToken = o.token !== undefined ? parseBootstrapToken(o.token, '--token') : o.tokenFile !== undefined ? await readTokenFile(o.tokenFile) : undefined;
  const hashes = o.discoveryTokenCaCertHash ?? [];

  if (o.config !== undefined) {
    const given = [
      ['HOST:PORT', o.endpoint],
      ['--token', o.token],
      ['--token-file', o.tokenFile],
      ['--discovery-token-ca-cert-hash', hashes.length > 0 ? 'x' : undefined],
      ['--discovery-token-unsafe-skip-ca-verification', o.discoveryTokenUnsafeSkipCaVerification],
      ['--discovery-file', o.discoveryFile],
    ].filter(([, v]) => v !== undefined && v !== false);
    if (given.length > 0) {
      throw usage('FLAGS_CONFLICT', `--config cannot be mixed with ${given.map(([n]) => n).join(', ')}`, 'put the discovery settings in the JoinConfiguration, or drop --config', '--config');
    }
    let text: string;
    try {
      text = await readFile(o.config, 'utf8');
    } catch (err) {
      throw new JoineryError('FILE_UNREADABLE', `cannot read --config ${o.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the join-configuration.yaml written by `joinery join-config`', { family: 'io', path: '--config' });
    }
    const { parseKubeadmDocuments } = await import('../kubeadm/index.js');
    const join = parseKubeadmDocuments(text).join;
    if (join === undefined) {
      throw new JoineryError('JOIN_CONFIGURATION_MISSING', `${o.config} holds no JoinConfiguration`, 'give the join-configuration.yaml written by `joinery join-config` (kind: JoinConfiguration)', { path: '--config' });
    }
    const timeoutNs = flagTimeout ?? join.timeouts?.discovery ?? parseDuration(DEFAULT_DISCOVERY_TIMEOUT);
    const d = join.discovery;
    const tls = d.tlsBootstrapToken === undefined || d.tlsBootstrapToken === '' ? undefined : parseBootstrapToken(d.tlsBootstrapToken, 'discovery.tlsBootstrapToken');
    if (d.bootstrapToken !== undefined) {
      const token = parseBootstrapToken(d.bootstrapToken.token, 'discovery.bootstrapToken.token');
      if (d.bootstrapToken.apiServerEndpoint === undefined || d.bootstrapToken.apiServerEndpoint === '') {
        throw new JoineryError('DISCOVERY_ENDPOINT_INVALID', `${o.config}: discovery.bootstrapToken.apiServerEndpoint is not set`, 'set it to the API server as HOST:PORT', { path: 'discovery.bootstrapToken.apiServerEndpoint' });
      }
      return {
        mode: 'token',
        endpoint: d.bootstrapToken.apiServerEndpoint,
        endpointPath: 'discovery.bootstrapToken.apiServerEndpoint',
        token,
        pins: d.bootstrapToken.caCertHashes ?? [],
        pinsPath: 'discovery.bootstrapToken.caCertHashes',
        unsafeSkip: d.bootstrapToken.unsafeSkipCAVerification === true,
        tlsBootstrapToken: tls ?? token,
        timeoutNs,
      };
    }
    if (d.file !== undefined) {
      if (tls === undefined) {
        throw new JoineryError('TLS_BOOTSTRAP_TOKEN_MISSING', `${o.config}: file discovery needs discovery.tlsBootstrapToken`, 'set discovery.tlsBootstrapToken (joinery join-config writes it)', { path: 'discovery.tlsBootstrapToken' });
      }
      return { mode: 'file', location: d.file.kubeConfigPath, tlsBootstrapToken: tls, timeoutNs, ...(o.discoveryFileCa === undefined ? {} : { ca: await readCa(o.discoveryFileCa) }) };
    }
    throw new JoineryError('DISCOVERY_MISSING', `${o.config}: the JoinConfiguration has neither discovery.bootstrapToken nor discovery.file`, 'write one of them (joinery join-config does)', { path: 'discovery' });
  }

  const timeoutNs = flagTimeout ?? parseDuration(DEFAULT_DISCOVERY_TIMEOUT);
  if (flagToken === undefined) {
    throw usage('TOKEN_REQUIRED', 'discover needs the bootstrap token', 'give --token-file FILE (or - to read it from stdin), or --config join-configuration.yaml', '--token-file');
  }
  if (o.discoveryFile !== undefined) {
    if (o.endpoint !== undefined || hashes.length > 0) {
      throw usage('FLAGS_CONFLICT', '--discovery-file cannot be mixed with HOST:PORT or --discovery-token-ca-cert-hash', 'use either file discovery or token discovery', '--discovery-file');
    }
    return { mode: 'file', location: o.discoveryFile, tlsBootstrapToken: flagToken, timeoutNs, ...(o.discoveryFileCa === undefined ? {} : { ca: await readCa(o.discoveryFileCa) }) };
  }
  if (o.endpoint === undefined) {
    throw usage('DISCOVERY_MISSING', 'discover needs the API server endpoint (token discovery) or --discovery-file', 'run `joinery discover HOST:PORT --token-file FILE --discovery-token-ca-cert-hash sha256:...`, or --discovery-file PATH', 'HOST:PORT');
  }
  return {
    mode: 'token',
    endpoint: o.endpoint,
    endpointPath: 'HOST:PORT',
    token: flagToken,
    pins: hashes,
    pinsPath: '--discovery-token-ca-cert-hash',
    unsafeSkip: o.discoveryTokenUnsafeSkipCaVerification === true,
    tlsBootstrapToken: flagToken,
    timeoutNs,
  };
}

function readCa(file: string): Promise<string> {
  return readFlagFile(file, '--discovery-file-ca', 'a PEM file with the CA that signs the HTTPS server of the discovery file');
}

const ms = (ns: bigint): number => Number(ns / MILLISECOND);

interface Discovered {
  cluster: ClusterInfo;
  summary: Record<string, unknown>;
  lines: string[];
}

async function tokenDiscovery(p: Extract<Plan, { mode: 'token' }>, io: Io): Promise<Discovered> {
  const endpoint = parseApiServerEndpoint(p.endpoint, p.endpointPath);
  const pins = parseCaPins(p.pins, p.pinsPath);
  if (pins.pins.length === 0 && !p.unsafeSkip) throw caPinRequired();
  if (p.unsafeSkip && pins.pins.length === 0) {
    io.stderr('warning: CA verification is skipped (--discovery-token-unsafe-skip-ca-verification): only the token protects this node from a false API server\n');
  }
  const progress = (line: string) => io.stderr(`${line}\n`);
  const timeout = formatDuration(p.timeoutNs);
  progress(`[discovery] requesting cluster-info from ${endpoint.hostPort} (unverified TLS; timeout ${timeout})`);
  const first = await pollClusterInfo({
    baseUrl: endpoint.url,
    trust: { insecure: true, name: 'nothing' },
    tokenId: p.token.id,
    deadline: Date.now() + ms(p.timeoutNs),
    forbidden: 'fail',
    progress,
  });
  if (first.kind !== 'found') throw tokenUnknown(p.token.id, first.kind === 'unsigned' ? first.waitedMs : 0, endpoint.hostPort);
  const verified = verifyClusterInfo({
    configMapData: first.data,
    token: p.token,
    caPins: pins,
    unsafeSkipCAVerification: p.unsafeSkip,
  });
  const lines = [`[discovery] cluster-info from ${endpoint.hostPort} is signed with token id "${p.token.id}"`];
  if (verified.caPin !== undefined) {
    lines.push(`[discovery] its CA matches the pin ${verified.caPin}`);
    progress(`[discovery] requesting cluster-info from ${endpoint.hostPort} again, verifying TLS with the pinned CA`);
    const trust: TlsTrust = { ca: verified.caPem, name: `the cluster CA from cluster-info (pinned ${verified.caPin})` };
    const second = await pollClusterInfo({ baseUrl: endpoint.url, trust, tokenId: p.token.id, deadline: Date.now() + ms(p.timeoutNs), forbidden: 'fail', progress });
    if (second.kind !== 'found') throw tokenUnknown(p.token.id, second.kind === 'unsigned' ? second.waitedMs : 0, endpoint.hostPort);
    compareClusterInfo(verified.kubeconfig, second.data);
    lines.push('[discovery] the second read over verified TLS returned the same kubeconfig');
  }
  return {
    cluster: verified,
    lines,
    summary: {
      discovery: 'token',
      endpoint: endpoint.hostPort,
      server: verified.server,
      caPin: verified.caPin ?? null,
      expectedCaPins: pins.pins,
      tokenId: p.token.id,
    },
  };
}

/** TOKEN_UNKNOWN_OR_EXPIRED after the wait, with joinery's commands in the fix. */
function tokenUnknown(tokenId: string, waitedMs: number, hostPort: string): JoineryError {
  return new JoineryError(
    'TOKEN_UNKNOWN_OR_EXPIRED',
    `the cluster-info ConfigMap of ${hostPort} has no JWS signature for token id "${tokenId}" after waiting ${formatDuration(BigInt(Math.round(waitedMs / 1000)) * 1_000_000_000n)}: ` +
      'the token does not exist in this cluster or has expired (or it lacks the "signing" usage, or the bootstrapsigner controller is not running)',
    `on a control-plane node check it with \`joinery token list\` (or \`kubeadm token list\`); mint a new one with \`joinery join-config --discovery token --node-name NAME --out DIR\` or \`joinery token create\`; \`joinery doctor\` checks the bootstrapsigner`,
    { family: 'trust' },
  );
}

async function loadDiscoveryFile(p: Extract<Plan, { mode: 'file' }>): Promise<{ text: string; source: string }> {
  let url: URL | undefined;
  try {
    url = new URL(p.location);
  } catch {
    url = undefined;
  }
  if (url !== undefined && url.protocol === 'https:') {
    const trust: TlsTrust = p.ca === undefined ? { name: 'the system CA roots' } : { ca: p.ca, name: 'the CA of --discovery-file-ca' };
    let answer;
    try {
      answer = await httpsGet(url.toString(), trust, Math.min(30_000, ms(p.timeoutNs)));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const diagnosis = await connectionFailure(e, url.origin, trust);
      if (diagnosis !== undefined) throw diagnosis;
      throw new JoineryError('DISCOVERY_FILE_UNREADABLE', `cannot fetch the discovery file ${url.origin}${url.pathname}: ${e.code ?? e.message}`, 'check the URL and that its server is reachable from this machine', { family: 'io', path: '--discovery-file' });
    }
    if (answer.status !== 200) {
      throw new JoineryError('DISCOVERY_FILE_UNREADABLE', `cannot fetch the discovery file ${url.origin}${url.pathname}: HTTP ${answer.status}`, 'check the URL (it must answer 200 with the kubeconfig)', { family: 'io', path: '--discovery-file' });
    }
    return { text: answer.body, source: `${url.origin}${url.pathname}` };
  }
  if (url !== undefined && url.protocol !== 'file:' && /^[a-z][a-z0-9+.-]*:\/\//i.test(p.location)) {
    throw usage('DISCOVERY_FILE_INVALID', `the discovery file ${p.location} is neither a local path nor an https:// URL`, 'serve the discovery file over HTTPS, or copy it to the node', '--discovery-file');
  }
  const path = url?.protocol === 'file:' ? url.pathname : p.location;
  try {
    return { text: await readFile(path, 'utf8'), source: resolve(path) };
  } catch (err) {
    throw new JoineryError('DISCOVERY_FILE_UNREADABLE', `cannot read the discovery file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'copy the discovery.kubeconfig written by `joinery join-config` to that path', {
      family: 'io',
      path: '--discovery-file',
    });
  }
}

async function fileDiscovery(p: Extract<Plan, { mode: 'file' }>, io: Io): Promise<Discovered> {
  const { text, source } = await loadDiscoveryFile(p);
  const cluster = parseClusterInfoKubeconfig(text, source);
  const pins = caPinsOf(cluster.caPem);
  const baseUrl = cluster.server.replace(/\/+$/, '');
  const progress = (line: string) => io.stderr(`${line}\n`);
  progress(`[discovery] checking TLS to ${baseUrl} with the CA of the discovery file and refreshing cluster-info (timeout ${formatDuration(p.timeoutNs)})`);
  const r = await pollClusterInfo({ baseUrl, trust: { ca: cluster.caPem, name: `the CA in ${source}` }, deadline: Date.now() + ms(p.timeoutNs), forbidden: 'return', progress });
  const lines = [`[discovery] ${baseUrl} presents a certificate signed by the CA of ${source}`];
  let refreshed = false;
  if (r.kind === 'forbidden') {
    io.stderr('warning: [discovery] cannot read cluster-info anonymously to refresh it, but the TLS certificate is valid: proceeding with the discovery file as it is\n');
  } else if (r.kind === 'found') {
    try {
      const fresh = parseClusterInfoKubeconfig(r.data['kubeconfig'] ?? '', 'kube-public/cluster-info');
      refreshed = true;
      if (fresh.server !== cluster.server) {
        io.stderr(`warning: [discovery] the API server endpoint "${cluster.server}" in use differs from "${fresh.server}" in the cluster-info ConfigMap\n`);
      }
    } catch {
      io.stderr('warning: [discovery] the cluster-info ConfigMap is not set up properly, but the TLS certificate is valid: proceeding\n');
    }
  }
  return {
    cluster,
    lines,
    summary: { discovery: 'file', source, endpoint: new URL(baseUrl).host, server: cluster.server, caPins: pins, clusterInfoRefreshed: refreshed, tokenId: p.tlsBootstrapToken.id },
  };
}

/** Runs `joinery discover`; returns the exit status. */
export async function discover(options: DiscoverOptions, io: Io): Promise<number> {
  const plan = await planOf(options, io);
  const result = plan.mode === 'token' ? await tokenDiscovery(plan, io) : await fileDiscovery(plan, io);
  const out = resolve(options.out);
  await writeFileAtomic(
    out,
    tlsBootstrapKubeconfig({ server: result.cluster.server, caData: result.cluster.caData, token: `${plan.tlsBootstrapToken.id}.${plan.tlsBootstrapToken.secret}` }),
  );
  const summary = { ...result.summary, tlsBootstrapTokenId: plan.tlsBootstrapToken.id, out };
  io.stdout(
    await formatOutput(options.output, summary, () =>
      [...result.lines, `[discovery] wrote ${out} (mode 0600): TLS bootstrap to ${result.cluster.server} as token id ${plan.tlsBootstrapToken.id}`, ''].join('\n'),
    ),
  );
  return 0;
}
