/**
 * `joinery token create|list|delete`: drop-ins for `kubeadm token create|list|delete`, talking to the
 * Kubernetes API directly (a bootstrap.kubernetes.io/token Secret in kube-system), so they work from a
 * pod with a service account as well as on a control-plane node.
 */
import { JoineryError } from '../errors/index.js';
import { clusterInfoConfigMap, createTokenSecret, serverVersion, deleteTokenSecret, getTokenSecret, listTokenSecrets, type KubeClient } from '../cluster/index.js';
import {
  bootstrapToken,
  decodeTokenSecret,
  isValidBootstrapToken,
  isValidTokenId,
  redactToken,
  tokenListTable,
  tokenSecret,
  tokenString,
  type DecodedBootstrapToken,
} from '../token/index.js';
import { formatGoRfc3339 } from '../gotime/index.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';

export interface TokenCreateOptions extends ClusterOptions {
  token?: string;
  ttl: string;
  description?: string;
  usages?: string[];
  groups?: string[];
  printJoinCommand?: boolean;
  certificateKey?: string;
}

function splitList(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

/** The endpoint and CA pins of the join command, as kubeadm's GetJoinWorkerCommand takes them from the kubeconfig. */
async function joinTarget(client: KubeClient): Promise<{ hostPort: string; pins: string[]; kubernetesVersion: string }> {
  // Imported here: only --print-join-command needs them, and they cost start-up time.
  const { bundleCertificates, caPin } = await import('../pki/index.js');
  const { parseClusterInfoKubeconfig } = await import('../discovery/index.js');
  const creds = client.credentials;
  let server = creds.server;
  let caPem = creds.ca;
  if (creds.source.startsWith('in-cluster') || caPem === undefined) {
    // A pod's view of the API (the kubernetes Service) is not what a node dials: use cluster-info's.
    const cm = await clusterInfoConfigMap(client);
    const info = parseClusterInfoKubeconfig(cm.data?.['kubeconfig'] ?? '');
    server = info.server;
    caPem = info.caPem;
  }
  const pins = bundleCertificates(caPem, 'the cluster CA').map(({ certificate }) => caPin(certificate));
  return { hostPort: server.replace(/https:\/\//g, ''), pins, kubernetesVersion: await serverVersion(client) };
}

/**
 * The line `kubeadm token create --print-join-command` of a Kubernetes release prints: kubeadm's join
 * command template (cmd/kubeadm/app/cmd/util/join.go) with its line continuations and tabs removed,
 * trailing space included. Up to 1.JOIN_TEMPLATE_TABS_SINCE-1 the template indents its lines with four
 * spaces, which stay in the line; later templates indent with tabs, which go.
 */
export function joinCommandLine(hostPort: string, token: string, pins: readonly string[], certificateKey?: string, kubernetesVersion = 'v1.20.2'): string {
  const indent = Number(kubernetesVersion.replace(/^v/, '').split('.')[1] ?? 0) >= JOIN_TEMPLATE_TABS_SINCE ? '' : '    ';
  let line = `kubeadm join ${hostPort} --token ${token} ${indent}${pins.map((p) => `--discovery-token-ca-cert-hash ${p} `).join('')}`;
  if (certificateKey !== undefined) line += `${indent}--control-plane --certificate-key ${certificateKey}`;
  return `${line}\n`;
}

/** The first Kubernetes minor whose kubeadm join template indents with tabs (seen on real kubeadm 1.30.4 and 1.36.3). */
const JOIN_TEMPLATE_TABS_SINCE = 30;

export async function tokenCreate(options: TokenCreateOptions, io: Io): Promise<number> {
  const usages = splitList(options.usages);
  const groups = splitList(options.groups);
  const token = bootstrapToken(
    {
      ...(options.token === undefined ? {} : { token: options.token }),
      ttl: options.ttl,
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(usages === undefined ? {} : { usages }),
      ...(groups === undefined ? {} : { groups }),
    },
    { path: '--token' },
  );
  const client = clusterClient(options, io);
  try {
    const secret = tokenSecret(token, new Date());
    try {
      await createTokenSecret(client, secret);
    } catch (err) {
      if (!(err instanceof JoineryError && err.code === 'ALREADY_EXISTS')) throw err;
      // kubeadm token create updates a token that already exists (UpdateOrCreateTokens with failIfExists=false).
      const existing = await getTokenSecret(client, token.token.id);
      await client.request(`/api/v1/namespaces/kube-system/secrets/${secret.metadata.name}`, {
        method: 'PUT',
        body: { ...secret, metadata: { ...secret.metadata, resourceVersion: existing?.metadata.resourceVersion } },
        action: { verb: 'update', resource: 'secrets', namespace: 'kube-system', name: secret.metadata.name },
      });
    }
    const text = tokenString(token.token);
    if (options.printJoinCommand === true) {
      const target = await joinTarget(client);
      io.stdout(joinCommandLine(target.hostPort, text, target.pins, options.certificateKey, target.kubernetesVersion));
      io.stderr('hint: `joinery join-config --node-name NAME --out DIR` writes a join configuration file instead, which keeps the token off command lines\n');
    } else {
      io.stdout(`${text}\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}

export interface TokenListOptions extends ClusterOptions {
  output: OutputFormat | 'table';
}

/** One row of `token list -o json|yaml`, in the shape of kubeadm's output.kubeadm.k8s.io BootstrapToken. */
function tokenRecord(t: DecodedBootstrapToken): Record<string, unknown> {
  return {
    token: tokenString(t.token),
    ...(t.description === '' ? {} : { description: t.description }),
    ...(t.expiration === undefined ? {} : { expires: t.expirationTime === undefined ? t.expiration : formatGoRfc3339(t.expirationTime) }),
    usages: t.usages,
    groups: t.groups,
  };
}

export async function tokenList(options: TokenListOptions, io: Io): Promise<number> {
  const client = clusterClient(options, io);
  try {
    const secrets = await listTokenSecrets(client);
    const now = new Date();
    const { text, skipped } = tokenListTable(secrets, now);
    for (const s of skipped) io.stderr(`warning: ${s.reason}\n`);
    const format = options.output === 'table' ? 'text' : options.output;
    const decoded: DecodedBootstrapToken[] = [];
    if (format !== 'text') {
      for (const s of secrets) {
        try {
          decoded.push(decodeTokenSecret(s));
        } catch {
          // reported above as skipped
        }
      }
    }
    const data = { apiVersion: 'v1', kind: 'List', items: decoded.map((t) => ({ kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha1', ...tokenRecord(t) })) };
    io.stdout(await formatOutput(format, data, () => text));
    return 0;
  } finally {
    client.close();
  }
}

export interface TokenDeleteOptions extends ClusterOptions {
  tokens: string[];
}

/** Deletes each token given by id or whole token, as kubeadm token delete; the first failure stops it. */
export async function tokenDelete(options: TokenDeleteOptions, io: Io): Promise<number> {
  if (options.tokens.length === 0) {
    throw new JoineryError('TOKEN_REQUIRED', 'token delete needs at least one token id or token', 'run `joinery token delete abcdef` (or the whole token abcdef.0123456789abcdef)', {
      family: 'usage',
    });
  }
  const ids = options.tokens.map((t: string, i) => {
    if (isValidBootstrapToken(t)) return t.slice(0, 6);
    if (isValidTokenId(t)) return t;
    throw new JoineryError(
      'TOKEN_MALFORMED',
      `argument ${i + 1} (${redactToken(t)}) is neither a token id ([a-z0-9]{6}) nor a token ([a-z0-9]{6}.[a-z0-9]{16})`,
      'pass the id shown by `joinery token list`, or the whole token',
      { path: `args[${i}]`, family: 'usage' },
    );
  });
  const client = clusterClient(options, io);
  try {
    for (const id of ids) {
      if (!(await deleteTokenSecret(client, id))) {
        throw new JoineryError('TOKEN_NOT_FOUND', `bootstrap token "${id}" does not exist (no Secret kube-system/bootstrap-token-${id})`, 'check the id with `joinery token list`', {
          family: 'cluster',
        });
      }
      io.stdout(`bootstrap token "${id}" deleted\n`);
    }
    return 0;
  } finally {
    client.close();
  }
}

