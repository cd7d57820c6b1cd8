/**
 * `joinery join-config`: mints a fresh token for one node and writes the files that node joins with,
 * `join-configuration.yaml` (and, for file discovery, `discovery.kubeconfig`), mode 0600, in the kubeadm
 * config API version of the cluster's Kubernetes version. The token is never printed: it lives only in
 * those files. File discovery is the default: its token has only the `authentication` usage and adds
 * nothing to cluster-info, which token discovery's signing tokens fill (~85 bytes each, 1 MiB limit).
 */
import { join, resolve } from 'node:path';
import { JoineryError } from '../errors/index.js';
import { clusterJoinFacts, mintNodeToken, type DiscoveryMode } from '../cluster/join.js';
import { discoveryFileKubeconfig } from '../discovery/index.js';
import { configApiVersion, emitKubeadmYaml, joinConfigurationDocument, validateNodeName, type JoinConfiguration } from '../kubeadm/index.js';
import { parseCertificateKey } from '../pki/index.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import { writeFileAtomic } from './files.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';
import { portFlag, readFlagFile } from './input.js';

export const DEFAULT_DISCOVERY_FILE_PATH = '/etc/kubernetes/discovery.kubeconfig';

export interface JoinConfigOptions extends ClusterOptions {
  nodeName?: string;
  out?: string;
  discovery: string;
  discoveryFilePath: string;
  ttl: string;
  controlPlane?: boolean;
  certificateKey?: string;
  certificateKeyFile?: string;
  advertiseAddress?: string;
  bindPort?: string;
  kubernetesVersion?: string;
  output: OutputFormat;
}

async function certificateKeyOf(options: JoinConfigOptions, io: Io): Promise<string | undefined> {
  if (options.certificateKey !== undefined && options.certificateKeyFile !== undefined) {
    throw new JoineryError('FLAGS_CONFLICT', '--certificate-key and --certificate-key-file are both given', 'give only one of them', { family: 'usage', path: '--certificate-key' });
  }
  let key = options.certificateKey;
  if (key !== undefined) {
    io.stderr('warning: --certificate-key puts the key on the command line (visible in ps and shell history); prefer --certificate-key-file FILE or - for stdin\n');
  }
  if (options.certificateKeyFile !== undefined) {
    key = (await readFlagFile(options.certificateKeyFile, '--certificate-key-file', 'a file that holds the 64 hex digits of the certificate key, or - for stdin')).trim();
  }
  if (key === undefined) return undefined;
  parseCertificateKey(key, '--certificate-key');
  return key.toLowerCase();
}

export async function joinConfig(options: JoinConfigOptions, io: Io): Promise<number> {
  if (options.nodeName === undefined) {
    throw new JoineryError('NODE_NAME_REQUIRED', 'join-config needs --node-name', 'give the name the node will register as: --node-name worker-1', { family: 'usage', path: '--node-name' });
  }
  const nodeName = validateNodeName(options.nodeName, '--node-name');
  if (options.out === undefined) {
    throw new JoineryError('OUT_REQUIRED', 'join-config needs --out DIR', 'give the directory to write join-configuration.yaml into: --out ./worker-1', { family: 'usage', path: '--out' });
  }
  if (options.discovery !== 'file' && options.discovery !== 'token') {
    throw new JoineryError('DISCOVERY_INVALID', `--discovery ${JSON.stringify(options.discovery)} is not a discovery mode`, 'use --discovery file (the default) or --discovery token', {
      family: 'usage',
      path: '--discovery',
    });
  }
  const discovery: DiscoveryMode = options.discovery;
  const controlPlaneFlags = [options.certificateKey, options.certificateKeyFile, options.advertiseAddress, options.bindPort].some((v) => v !== undefined);
  if (controlPlaneFlags && options.controlPlane !== true) {
    throw new JoineryError('FLAGS_CONFLICT', '--certificate-key, --advertise-address and --bind-port only apply to a control-plane join', 'add --control-plane, or drop those flags', {
      family: 'usage',
      path: '--control-plane',
    });
  }
  const bindPort = portFlag(options.bindPort, '--bind-port');
  const certificateKey = await certificateKeyOf(options, io);
  const outDir = resolve(options.out);
  const client = clusterClient(options, io);
  try {
    const facts = await clusterJoinFacts(client, options.kubernetesVersion);
    const apiVersion = configApiVersion(facts.kubernetesVersion);
    const { text: token, secret } = await mintNodeToken(client, { nodeName, discovery, ttl: options.ttl });
    const model: JoinConfiguration = {
      nodeRegistration: { name: nodeName },
      discovery:
        discovery === 'file'
          ? { file: { kubeConfigPath: options.discoveryFilePath }, tlsBootstrapToken: token }
          : { bootstrapToken: { token, apiServerEndpoint: facts.endpoint, caCertHashes: facts.caPins } },
    };
    if (options.controlPlane === true) {
      model.controlPlane = {
        ...(options.advertiseAddress === undefined && bindPort === undefined
          ? {}
          : { localAPIEndpoint: { ...(options.advertiseAddress === undefined ? {} : { advertiseAddress: options.advertiseAddress }), ...(bindPort === undefined ? {} : { bindPort }) } }),
        ...(certificateKey === undefined ? {} : { certificateKey }),
      };
    }
    const configPath = join(outDir, 'join-configuration.yaml');
    const written = [configPath];
    await writeFileAtomic(configPath, emitKubeadmYaml([joinConfigurationDocument(model, apiVersion)]));
    if (discovery === 'file') {
      const discoveryPath = join(outDir, 'discovery.kubeconfig');
      await writeFileAtomic(discoveryPath, discoveryFileKubeconfig({ server: facts.server, caData: facts.caPem }));
      written.push(discoveryPath);
    }
    const result = {
      nodeName,
      tokenId: secret.metadata.name.replace(/^bootstrap-token-/, ''),
      expires: secret.data?.['expiration'] === undefined ? undefined : Buffer.from(secret.data['expiration'], 'base64').toString('utf8'),
      discovery,
      apiVersion: `kubeadm.k8s.io/${apiVersion}`,
      kubernetesVersion: facts.kubernetesVersion,
      endpoint: facts.endpoint,
      caCertHashes: facts.caPins,
      files: written,
      ...(discovery === 'file' ? { discoveryFilePath: options.discoveryFilePath } : {}),
    };
    io.stdout(
      await formatOutput(options.output, result, () =>
        [
          `wrote ${written.join(' and ')} (mode 0600) for node ${nodeName}`,
          `token ${result.tokenId} (usages: ${discovery === 'file' ? 'authentication' : 'signing,authentication'}) expires ${result.expires ?? 'never'}`,
          discovery === 'file' ? `copy discovery.kubeconfig to ${options.discoveryFilePath} on the node, then run: kubeadm join --config join-configuration.yaml` : 'on the node, run: kubeadm join --config join-configuration.yaml',
          '',
        ].join('\n'),
      ),
    );
    return 0;
  } finally {
    client.close();
  }
}
