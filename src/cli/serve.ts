/**
 * `joinery serve --config joinery.yaml`: the host provisioner (src/provisioner). Reads and validates the
 * config, connects to the cluster (the config's kubeconfig, else kubectl's order, else the in-cluster
 * service account), starts the informers and loops, then serves the API until SIGTERM/SIGINT. SIGHUP
 * re-reads the config: profiles and API keys change at once; a bad file is reported and the old one kept.
 */
import { readFile } from 'node:fs/promises';
import { JoineryError } from '../errors/index.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import type { Io } from './report.js';
import { VERSION } from './main.js';

export interface ServeOptions extends ClusterOptions {
  config?: string;
  /** Overrides the config's listen port (tests use 0: any free port). */
  port?: string;
  /** Go duration: how long an expired machine stays visible before its token is deleted. */
  expiredRetention?: string;
}

function lastCertificate(pem: string): string | undefined {
  const all = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  return all === null ? undefined : `${all[all.length - 1] as string}\n`;
}

export async function serve(options: ServeOptions, io: Io): Promise<number> {
  if (options.config === undefined) {
    throw new JoineryError('CONFIG_REQUIRED', 'serve needs --config FILE', 'write a joinery.yaml (see docs/provisioner.md) and pass --config joinery.yaml', { family: 'usage', path: '--config' });
  }
  const configPath = options.config;
  const { parseProvisionerConfig, publicBaseUrl } = await import('../provisioner/config/index.js');
  const readConfig = async () => {
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch (err) {
      throw new JoineryError('CONFIG_UNREADABLE', `cannot read --config ${configPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the path of an existing joinery.yaml', { family: 'io', path: '--config' });
    }
    return parseProvisionerConfig(text, configPath);
  };
  let config = await readConfig();
  if (options.port !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new JoineryError('PORT_INVALID', `--port ${JSON.stringify(options.port)} is not a port`, 'give 0..65535 (0: any free port)', { family: 'usage', path: '--port' });
    config = { ...config, listen: { ...config.listen, port } };
  }
  let tls: { key: string; cert: string } | undefined;
  if ('certFile' in config.tls) {
    const [cert, key] = await Promise.all([readFile(config.tls.certFile, 'utf8'), readFile(config.tls.keyFile, 'utf8')]).catch((err: NodeJS.ErrnoException) => {
      throw new JoineryError('TLS_FILES_UNREADABLE', `cannot read tls.certFile or tls.keyFile: ${err.code ?? err.message}`, 'give readable PEM files in tls.certFile and tls.keyFile', { family: 'io', path: 'tls' });
    });
    tls = { cert, key };
  }
  const client = clusterClient({ ...(options.kubeconfig ?? config.kubeconfig ? { kubeconfig: (options.kubeconfig ?? config.kubeconfig) as string } : {}), ...(options.context ?? config.context ? { context: (options.context ?? config.context) as string } : {}) }, io);
  const { Provisioner } = await import('../provisioner/service/index.js');
  const { provisionerServer } = await import('../provisioner/server/index.js');
  const { provisionerLogger } = await import('../provisioner/server/logger.js');
  const { provisionerMetrics } = await import('../provisioner/metrics/index.js');
  const { parseDuration } = await import('../duration/index.js');
  let expiredRetentionMs: number | undefined;
  if (options.expiredRetention !== undefined) {
    try {
      expiredRetentionMs = Number(parseDuration(options.expiredRetention) / 1_000_000n);
    } catch {
      throw new JoineryError('DURATION_INVALID', `--expired-retention ${JSON.stringify(options.expiredRetention)} is not a Go duration`, 'e.g. --expired-retention 10m (0s: delete at once)', { family: 'usage', path: '--expired-retention' });
    }
    if (expiredRetentionMs < 0) throw new JoineryError('DURATION_INVALID', '--expired-retention is negative', 'give 0s or more', { family: 'usage', path: '--expired-retention' });
  }
  const logger = provisionerLogger();
  const metrics = provisionerMetrics();
  let publicUrl = '';
  const { KubeClient, LeaderElector } = await import('../cluster/index.js');
  // API requests fail fast (503, Retry-After) while kube-apiserver is away: two tries, 5 s each at most.
  const requestClient = new KubeClient(client.credentials, { attempts: 2, baseDelayMs: 100, maxDelayMs: 300 });
  requestClient.timeoutMs = 5000;
  const election = config.leaderElection;
  const leaseClient = new KubeClient(client.credentials, { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
  leaseClient.timeoutMs = Math.max(1000, Math.floor((election.renewDeadlineSeconds * 1000) / 2));
  const provisioner = new Provisioner({
    client,
    requestClient,
    leading: false,
    config,
    log: logger,
    metrics,
    publicUrl: () => publicUrl,
    ...(expiredRetentionMs === undefined ? {} : { expiredRetentionMs }),
    ...(tls === undefined ? {} : { servingCaPem: lastCertificate(tls.cert) as string }),
  });
  const { hostname } = await import('node:os');
  const { randomUUID } = await import('node:crypto');
  const identity = `${process.env['POD_NAME'] || hostname()}_${randomUUID().slice(0, 8)}`;
  const leaseNamespace = election.namespace ?? (process.env['POD_NAMESPACE'] || 'kube-system');
  const elector = new LeaderElector({
    client: leaseClient,
    namespace: leaseNamespace,
    name: election.name,
    identity,
    leaseDurationMs: election.leaseDurationSeconds * 1000,
    renewDeadlineMs: election.renewDeadlineSeconds * 1000,
    retryPeriodMs: election.retryPeriodSeconds * 1000,
    onStartedLeading: () => provisioner.lead(true),
    onStoppedLeading: () => provisioner.lead(false),
    onError: (e) => logger.warn({ code: e.code, lease: `${leaseNamespace}/${election.name}` }, `leader election: ${e.message}`),
  });
  io.stderr('joinery serve: syncing with the cluster (tokens, CSRs, Nodes)...\n');
  await provisioner.start();
  elector.start();
  logger.info({ identity, lease: `${leaseNamespace}/${election.name}`, leaseDurationSeconds: election.leaseDurationSeconds }, 'campaigning for the leader lease');
  const app = await provisionerServer({ provisioner, metrics, version: VERSION, logger, ...(tls === undefined ? {} : { tls }) });
  await app.listen({ host: config.listen.host, port: config.listen.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.listen.port;
  publicUrl = publicBaseUrl({ ...config, listen: { ...config.listen, port } });
  io.stderr(`joinery serve: listening on ${tls === undefined ? 'http' : 'https'}://${config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host}:${port} (one-time URLs: ${publicUrl})\n`);

  const reload = async (): Promise<void> => {
    try {
      const next = await readConfig();
      const restartNeeded = JSON.stringify([next.listen, next.tls, next.kubeconfig, next.context]) !== JSON.stringify([config.listen, config.tls, config.kubeconfig, config.context]);
      provisioner.reconfigure({ ...next, listen: config.listen });
      logger.info({ profiles: Object.keys(next.profiles), apiKeys: next.apiKeys.length }, 'configuration reloaded');
      if (restartNeeded) logger.warn({}, 'listen, tls, kubeconfig and context changes take effect only after a restart');
    } catch (err) {
      logger.error({ code: (err as JoineryError).code }, `configuration not reloaded, the old one stays: ${(err as Error).message}`);
    }
  };
  process.on('SIGHUP', () => void reload());
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string): void => {
      io.stderr(`joinery serve: ${signal}, stopping\n`);
      resolveStop();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await app.close();
  await elector.stop();
  await provisioner.stop();
  client.close();
  requestClient.close();
  leaseClient.close();
  return 0;
}
