/**
 * What a node needs to join, read from and minted in the cluster: a fresh bootstrap token bound (by
 * annotation) to one node name, the endpoint and CA that nodes see (cluster-info), the CA pins, and the
 * Kubernetes version that decides the kubeadm config API. Used by `join-config`, `userdata` and the
 * provisioner alike.
 */
import { parseClusterInfoKubeconfig } from '../discovery/index.js';
import { bundleCertificates, caPin } from '../pki/index.js';
import { bootstrapToken, generateBootstrapToken, tokenSecret, tokenString, type BootstrapToken } from '../token/index.js';
import { clusterInfoConfigMap, createTokenSecret, serverVersion, type StoredSecret } from './api.js';
import type { KubeClient } from './client.js';

/** Labels and annotations joinery puts on the token Secrets it mints. */
export const JOINERY_MANAGED_LABEL = 'joinery.dev/managed';
export const JOINERY_NODE_NAME_ANNOTATION = 'joinery.dev/node-name';

/** The discovery mode: `file` tokens carry only `authentication`, so they add nothing to cluster-info. */
export type DiscoveryMode = 'file' | 'token';

export interface ClusterJoinFacts {
  /** cluster-info's server, as nodes dial it: `https://host:port`. */
  server: string;
  /** host:port of `server`. */
  endpoint: string;
  caPem: string;
  caPins: string[];
  kubernetesVersion: string;
}

/** cluster-info's server and CA with their pins, and the server's version (unless given). */
export async function clusterJoinFacts(client: KubeClient, kubernetesVersion?: string): Promise<ClusterJoinFacts> {
  const cm = await clusterInfoConfigMap(client);
  const info = parseClusterInfoKubeconfig(cm.data?.['kubeconfig'] ?? '', 'kube-public/cluster-info');
  const caPins = bundleCertificates(info.caPem, 'the cluster CA').map(({ certificate }) => caPin(certificate));
  return {
    server: info.server,
    endpoint: info.server.replace(/^https:\/\//, '').replace(/\/.*$/, ''),
    caPem: info.caPem,
    caPins,
    kubernetesVersion: kubernetesVersion ?? (await serverVersion(client)),
  };
}

export interface MintOptions {
  nodeName: string;
  discovery: DiscoveryMode;
  /** A Go duration; default 1h. */
  ttl?: string;
  description?: string;
  extraLabels?: Record<string, string>;
  extraAnnotations?: Record<string, string>;
  /** auth-extra-groups (default: kubeadm's default node group). */
  groups?: string[];
  now?: Date;
  /** The token's public id (6 of [a-z0-9]); default random. The secret part is always random. */
  tokenId?: string;
}

/** Mints a token for one node: usages [authentication] for file discovery, [signing, authentication] for token discovery. */
export async function mintNodeToken(client: KubeClient, options: MintOptions): Promise<{ token: BootstrapToken; text: string; secret: StoredSecret }> {
  const token = bootstrapToken({
    ...(options.tokenId === undefined ? {} : { token: `${options.tokenId}.${generateBootstrapToken().split('.')[1] as string}` }),
    ttl: options.ttl ?? '1h',
    usages: options.discovery === 'file' ? ['authentication'] : ['signing', 'authentication'],
    description: options.description ?? `joinery: join token for node ${options.nodeName}`,
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
  const manifest = tokenSecret(token, options.now ?? new Date(), {
    labels: { [JOINERY_MANAGED_LABEL]: 'true', ...options.extraLabels },
    annotations: { [JOINERY_NODE_NAME_ANNOTATION]: options.nodeName, ...options.extraAnnotations },
  });
  const secret = await createTokenSecret(client, manifest);
  return { token, text: tokenString(token.token), secret };
}
