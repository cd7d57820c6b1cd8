/**
 * The Kubernetes API calls joinery makes: bootstrap token Secrets, cluster-info, kubeadm-config and the
 * server version. Each call states its RBAC action so that a refusal names what is missing.
 */
import { parse as parseYaml } from 'yaml';
import { JoineryError } from '../errors/index.js';
import type { BootstrapTokenSecret, SecretManifest } from '../token/index.js';
import { KubeClient } from './client.js';

export const KUBE_SYSTEM = 'kube-system';
export const KUBE_PUBLIC = 'kube-public';
const TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';

export interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  data?: Record<string, string>;
}

export interface StoredSecret extends SecretManifest {
  metadata: NonNullable<SecretManifest['metadata']> & { name: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
}

/** What joinery needs of kubeadm-config's ClusterConfiguration. */
export interface ClusterFacts {
  controlPlaneEndpoint?: string;
  kubernetesVersion?: string;
  clusterName?: string;
  /** The raw ClusterConfiguration YAML. */
  clusterConfiguration: string;
}

/** `/version`'s gitVersion, e.g. `v1.20.2`. */
export async function serverVersion(client: KubeClient): Promise<string> {
  const v = await client.request<{ gitVersion?: string }>('/version', { action: { verb: 'get', resource: 'nonResourceURL /version' } });
  if (v?.gitVersion === undefined) {
    throw new JoineryError('CLUSTER_ERROR', 'the API server did not say its version (/version has no gitVersion)', 'check that the server is a Kubernetes API server', { family: 'cluster' });
  }
  return v.gitVersion;
}

const secretsPath = `/api/v1/namespaces/${KUBE_SYSTEM}/secrets`;

/** Creates a token Secret in kube-system (409 ALREADY_EXISTS when the token id is taken). */
export async function createTokenSecret(client: KubeClient, secret: BootstrapTokenSecret): Promise<StoredSecret> {
  return (await client.request<StoredSecret>(secretsPath, {
    method: 'POST',
    body: secret,
    action: { verb: 'create', resource: 'secrets', namespace: KUBE_SYSTEM },
  })) as StoredSecret;
}

/** Every Secret of type bootstrap.kubernetes.io/token in kube-system, as `kubeadm token list` selects them. */
export async function listTokenSecrets(client: KubeClient, labelSelector?: string): Promise<StoredSecret[]> {
  const query: Record<string, string> = { fieldSelector: `type=${TOKEN_SECRET_TYPE}` };
  if (labelSelector !== undefined) query['labelSelector'] = labelSelector;
  const list = await client.request<{ items?: StoredSecret[] }>(secretsPath, { query, action: { verb: 'list', resource: 'secrets', namespace: KUBE_SYSTEM } });
  return list?.items ?? [];
}

/** The token Secret of `tokenId`, or undefined. */
export async function getTokenSecret(client: KubeClient, tokenId: string): Promise<StoredSecret | undefined> {
  const name = `bootstrap-token-${tokenId}`;
  return client.request<StoredSecret>(`${secretsPath}/${name}`, { allowNotFound: true, action: { verb: 'get', resource: 'secrets', namespace: KUBE_SYSTEM, name } });
}

/**
 * Deletes the token Secret of `tokenId`; false when there was none. With `uid`, only that very Secret (a
 * uid precondition): false when the name now holds another one, made after it was read.
 */
export async function deleteTokenSecret(client: KubeClient, tokenId: string, uid?: string): Promise<boolean> {
  const name = `bootstrap-token-${tokenId}`;
  try {
    const r = await client.request<unknown>(`${secretsPath}/${name}`, {
      method: 'DELETE',
      allowNotFound: true,
      ...(uid === undefined ? {} : { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } } }),
      action: { verb: 'delete', resource: 'secrets', namespace: KUBE_SYSTEM, name },
    });
    return r !== undefined;
  } catch (err) {
    // With a uid: the Secret of that name is another one now (deleted and made again meanwhile), which stays.
    if (uid !== undefined && err instanceof JoineryError && err.code === 'CONFLICT') return false;
    throw err;
  }
}

/** A ConfigMap, or undefined when it does not exist. */
export async function getConfigMap(client: KubeClient, namespace: string, name: string): Promise<ConfigMap | undefined> {
  return client.request<ConfigMap>(`/api/v1/namespaces/${namespace}/configmaps/${name}`, {
    allowNotFound: true,
    action: { verb: 'get', resource: 'configmaps', namespace, name },
  });
}

/** `kube-public/cluster-info`'s `kubeconfig` (and the JWS signatures): the ConfigMap, or a typed error when absent. */
export async function clusterInfoConfigMap(client: KubeClient): Promise<ConfigMap> {
  const cm = await getConfigMap(client, KUBE_PUBLIC, 'cluster-info');
  if (cm?.data?.['kubeconfig'] === undefined) {
    throw new JoineryError(
      'CLUSTER_INFO_MISSING',
      'the cluster has no kube-public/cluster-info ConfigMap with a kubeconfig',
      'run `kubeadm init phase bootstrap-token` on a control-plane node (it creates cluster-info and the bootstrap RBAC)',
      { family: 'cluster' },
    );
  }
  return cm;
}

/** kubeadm-config's ClusterConfiguration: endpoint, version and name, read leniently (newer kubeadm may add fields). */
export async function clusterFacts(client: KubeClient): Promise<ClusterFacts> {
  const cm = await getConfigMap(client, KUBE_SYSTEM, 'kubeadm-config');
  const text = cm?.data?.['ClusterConfiguration'];
  if (text === undefined) {
    throw new JoineryError(
      'KUBEADM_CONFIG_MISSING',
      'the cluster has no kube-system/kubeadm-config ConfigMap with a ClusterConfiguration',
      'run `kubeadm init phase upload-config kubeadm` on a control-plane node, or pass --kubernetes-version and --endpoint',
      { family: 'cluster' },
    );
  }
  let doc: Record<string, unknown> = {};
  try {
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && typeof parsed === 'object') doc = parsed as Record<string, unknown>;
  } catch {
    // an unreadable ClusterConfiguration gives no facts; callers say which fact is missing
  }
  const s = (k: string): string | undefined => (typeof doc[k] === 'string' && doc[k] !== '' ? (doc[k] as string) : undefined);
  const facts: ClusterFacts = { clusterConfiguration: text };
  const cpe = s('controlPlaneEndpoint');
  const kv = s('kubernetesVersion');
  const cn = s('clusterName');
  if (cpe !== undefined) facts.controlPlaneEndpoint = cpe;
  if (kv !== undefined) facts.kubernetesVersion = kv;
  if (cn !== undefined) facts.clusterName = cn;
  return facts;
}
