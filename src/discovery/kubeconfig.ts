/**
 * The kubeconfigs of kubeadm's join protocol, read and written as client-go does: the cluster-info
 * kubeconfig (one unnamed cluster, kube-public/cluster-info), the file-discovery stub and the TLS
 * bootstrap kubeconfig (bootstrap-kubelet.conf). Output is byte-equal to clientcmd.Write of client-go
 * v0.20: v1.Config marshalled to JSON and converted to YAML by sigs.k8s.io/yaml, so keys come sorted
 * (apiVersion, clusters, contexts, current-context, kind, preferences, users), empty lists are `null`,
 * `preferences: {}` is always there and certificate-authority-data is one standard-base64 line.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, Scalar, type Document } from 'yaml';
import { JoineryError } from '../errors/index.js';
import { isStdBase64 } from '../encoding/index.js';
import { goYamlUnsupportedCharacter, marshalGoYaml, resolveGoYamlPlain, type JsonValue } from '../goyaml/index.js';

/** kubeadm's DefaultClusterName, the cluster name of bootstrap-kubelet.conf. */
const DEFAULT_CLUSTER_NAME = 'kubernetes';
/** kubeadm's discovery.TokenUser, the user of bootstrap-kubelet.conf. */
const TLS_BOOTSTRAP_TOKEN_USER = 'tls-bootstrap-token-user';

/** The cluster a node joins: API server URL and CA certificate(s). */
export interface ClusterInfo {
  server: string;
  /** The CA bundle, PEM bytes (what certificate-authority-data holds). */
  caData: Buffer;
  /** `caData` as text. */
  caPem: string;
}

interface KubeconfigCluster {
  name: string;
  server: string;
  caData: Uint8Array;
}
interface KubeconfigContext {
  name: string;
  cluster: string;
  user: string;
}
interface KubeconfigUser {
  name: string;
  token: string;
}
interface KubeconfigDocument {
  clusters: KubeconfigCluster[];
  contexts: KubeconfigContext[];
  currentContext: string;
  users: KubeconfigUser[];
}

const byName = <T extends { name: string }>(list: T[]): T[] =>
  [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Go's encoding/json of a nil or empty slice field without omitempty (clientcmd's lists): `null` when empty. */
const listOrNull = (list: JsonValue[]): JsonValue => (list.length === 0 ? null : list);

/**
 * The JSON form of client-go's v1.Config holding only the given clusters, contexts and token users, as
 * clientcmd.Write encodes it: lists sorted by name (the conversion from the internal maps), empty
 * lists `null`, `omitempty` fields (certificate-authority-data, token) left out when empty.
 */
function kubeconfigJson(doc: KubeconfigDocument): JsonValue {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: listOrNull(
      byName(doc.clusters).map((c) => ({
        name: c.name,
        cluster: {
          server: c.server,
          ...(c.caData.length > 0 ? { 'certificate-authority-data': Buffer.from(c.caData).toString('base64') } : {}),
        },
      })),
    ),
    contexts: listOrNull(byName(doc.contexts).map((c) => ({ name: c.name, context: { cluster: c.cluster, user: c.user } }))),
    'current-context': doc.currentContext,
    users: listOrNull(byName(doc.users).map((u): JsonValue => ({ name: u.name, user: u.token === '' ? {} : { token: u.token } }))),
  };
}

/**
 * Refuses a string a kubeconfig should not hold: one the Go round trip cannot carry
 * (goYamlUnsupportedCharacter) or one with U+2028/U+2029, which yaml.v2 writes as raw line breaks
 * that YAML 1.2 readers take as text.
 */
function checkWritable(value: JsonValue, path: string): void {
  if (typeof value === 'string') {
    const what = /[\u2028\u2029]/.test(value)
      ? 'a Unicode line or paragraph separator (U+2028/U+2029)'
      : goYamlUnsupportedCharacter(value);
    if (what !== undefined) {
      throw new JoineryError(
        'KUBECONFIG_VALUE_INVALID',
        `the kubeconfig field ${path} contains a character that cannot be written: ${what}`,
        'remove the character from the value',
        { path },
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkWritable(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkWritable(v, path === '' ? k : `${path}.${k}`);
  }
}

/** clientcmd.Write of a v1 Config holding only the given clusters, contexts and token users. */
function writeKubeconfig(doc: KubeconfigDocument): string {
  const json = kubeconfigJson(doc);
  checkWritable(json, '');
  return marshalGoYaml(json);
}

function caBytes(caData: Uint8Array | string): Buffer {
  return typeof caData === 'string' ? Buffer.from(caData, 'utf8') : Buffer.from(caData);
}

/**
 * The kubeconfig kubeadm stores in the `kubeconfig` key of kube-public/cluster-info
 * (clusterinfo.CreateBootstrapConfigMapIfNotExists: clientcmd.Write of a Config whose only entry is
 * admin.conf's cluster under the name "", that is `server` and `certificate-authority-data`).
 * `caData` is the CA bundle as PEM bytes or text.
 */
export function clusterInfoKubeconfig(cluster: { server: string; caData: Uint8Array | string }): string {
  return writeKubeconfig({
    clusters: [{ name: '', server: cluster.server, caData: caBytes(cluster.caData) }],
    contexts: [],
    currentContext: '',
    users: [],
  });
}

/**
 * A discovery file for `kubeadm join --discovery-file`: the cluster and its CA, no user. It has the
 * shape of the cluster-info kubeconfig (one unnamed cluster), which kubeadm's file discovery reads
 * through GetClusterFromKubeConfig; the TLS bootstrap token is then given separately.
 */
export function discoveryFileKubeconfig(cluster: { server: string; caData: Uint8Array | string }): string {
  return clusterInfoKubeconfig(cluster);
}

/**
 * kubeadm's kubeconfigutil.CreateWithToken written by clientcmd.Write: cluster `clusterName`, user
 * `userName` with `token`, context `<userName>@<clusterName>` as current context.
 */
function kubeconfigWithToken(options: {
  server: string;
  clusterName: string;
  userName: string;
  caData: Uint8Array | string;
  token: string;
}): string {
  const context = `${options.userName}@${options.clusterName}`;
  return writeKubeconfig({
    clusters: [{ name: options.clusterName, server: options.server, caData: caBytes(options.caData) }],
    contexts: [{ name: context, cluster: options.clusterName, user: options.userName }],
    currentContext: context,
    users: [{ name: options.userName, token: options.token }],
  });
}

/**
 * bootstrap-kubelet.conf as `kubeadm join` writes it (discovery.For with a TLS bootstrap token:
 * CreateWithToken(server, "kubernetes", "tls-bootstrap-token-user", ca, token)). The result holds the
 * token: write it with mode 0600 and never log it.
 */
export function tlsBootstrapKubeconfig(options: { server: string; caData: Uint8Array | string; token: string }): string {
  return kubeconfigWithToken({
    server: options.server,
    clusterName: DEFAULT_CLUSTER_NAME,
    userName: TLS_BOOTSTRAP_TOKEN_USER,
    caData: options.caData,
    token: options.token,
  });
}

// ---------------------------------------------------------------------------------------------------
// Reading

function clusterInfoInvalid(source: string, what: string, path?: string, cause?: unknown): JoineryError {
  return new JoineryError(
    'CLUSTER_INFO_INVALID',
    `the kubeconfig in ${source} is not usable: ${what}`,
    'on a control-plane node, check `kubectl -n kube-public get configmap cluster-info -o yaml`; ' +
      '`kubeadm init phase bootstrap-token` recreates it from /etc/kubernetes/admin.conf',
    { family: 'trust', ...(path === undefined ? {} : { path }), ...(cause === undefined ? {} : { cause }) },
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof NonString);

function optionalString(v: unknown, source: string, path: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw clusterInfoInvalid(source, `${path} must be a string`, path);
  return v;
}

function namedList(v: unknown, key: string, source: string): Array<{ name: string; item: Record<string, unknown>; path: string }> {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw clusterInfoInvalid(source, `${key} must be a list`, key);
  const seen = new Set<string>();
  const inner = key === 'clusters' ? 'cluster' : 'context';
  return v.map((entry, i) => {
    const path = `${key}[${i}]`;
    if (!isRecord(entry)) throw clusterInfoInvalid(source, `${path} must be a mapping`, path);
    const name = optionalString(entry['name'], source, `${path}.name`);
    if (seen.has(name)) throw clusterInfoInvalid(source, `${key} holds the name ${JSON.stringify(name)} twice`, `${path}.name`);
    seen.add(name);
    const item = entry[inner] ?? {};
    if (!isRecord(item)) throw clusterInfoInvalid(source, `${path}.${inner} must be a mapping`, `${path}.${inner}`);
    return { name, item, path: `${path}.${inner}` };
  });
}

/** A scalar yaml.v2 would not read as a string (a number, bool, timestamp...), kept apart from strings. */
class NonString {
  constructor(readonly source: string) {}
}

const STR_TAGS = new Set(['!!str', 'tag:yaml.org,2002:str']);

/**
 * The YAML document as plain values typed the way gopkg.in/yaml.v2 types them (which is what
 * clientcmd.Load sees): scalars are parsed with the failsafe schema and a plain scalar that yaml.v2
 * would resolve to null becomes null, to any other non-string type a NonString.
 */
function goYamlValue(text: string): unknown {
  const doc = parseDocument(text, { schema: 'failsafe', uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) throw doc.errors[0];
  let aliases = 0;
  const convert = (node: unknown, depth: number): unknown => {
    if (depth > 100) throw new Error('the document nests too deeply');
    if (isAlias(node)) {
      if (++aliases > 100) throw new Error('the document uses too many aliases');
      return convert(node.resolve(doc as Document), depth + 1);
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const pair of node.items) {
        const key = convert(pair.key, depth + 1);
        const name = key instanceof NonString ? key.source : typeof key === 'string' ? key : key === null ? 'null' : JSON.stringify(key);
        out[name] = convert(pair.value, depth + 1);
      }
      return out;
    }
    if (isSeq(node)) return node.items.map((item) => convert(item, depth + 1));
    if (isScalar(node)) {
      const value = String(node.value ?? '');
      if (node.tag !== undefined) return STR_TAGS.has(node.tag) ? value : new NonString(value);
      if (node.type !== Scalar.PLAIN) return value;
      const resolved = resolveGoYamlPlain(value).tag;
      if (resolved === 'null') return null;
      return resolved === 'str' ? value : new NonString(value);
    }
    return null; // an empty value
  };
  return convert(doc.contents, 0);
}

/**
 * The cluster of a cluster-info (or discovery-file) kubeconfig, chosen as kubeadm's
 * GetClusterFromKubeConfig: the cluster named "" if there is one, else the current context's cluster;
 * beyond kubeadm v1.20, a kubeconfig with exactly one cluster and no usable current context yields
 * that cluster. Extra keys are ignored; `contexts`, `users`, `preferences` may be null or absent.
 * Throws CLUSTER_INFO_INVALID (family trust) naming the missing or malformed field. `source` names
 * where the text came from, for messages.
 */
export function parseClusterInfoKubeconfig(text: string, source = 'the cluster-info ConfigMap'): ClusterInfo {
  if (typeof text !== 'string' || text.trim() === '') throw clusterInfoInvalid(source, 'it is empty');
  let doc: unknown;
  try {
    doc = goYamlValue(text);
  } catch (err) {
    throw clusterInfoInvalid(source, `it is not valid YAML (${err instanceof Error ? err.message.split('\n')[0] : 'parse error'})`, undefined, err);
  }
  if (!isRecord(doc)) throw clusterInfoInvalid(source, 'it is not a YAML mapping');
  const clusters = namedList(doc['clusters'], 'clusters', source);
  const contexts = namedList(doc['contexts'], 'contexts', source);
  const currentContext = optionalString(doc['current-context'], source, 'current-context');

  let chosen = clusters.find((c) => c.name === '');
  if (chosen === undefined) {
    const context = currentContext === '' ? undefined : contexts.find((c) => c.name === currentContext);
    if (context !== undefined) {
      const clusterName = optionalString(context.item['cluster'], source, `${context.path}.cluster`);
      chosen = clusters.find((c) => c.name === clusterName);
      if (chosen === undefined) {
        throw clusterInfoInvalid(source, `the current context names cluster ${JSON.stringify(clusterName)}, which is not in clusters`, `${context.path}.cluster`);
      }
    } else if (clusters.length === 1) chosen = clusters[0];
  }
  if (chosen === undefined) {
    throw clusterInfoInvalid(
      source,
      clusters.length === 0
        ? 'it has no cluster (clusters is missing or empty)'
        : 'it has no cluster named "" and no current context that names one of its clusters',
      'clusters',
    );
  }
  const server = optionalString(chosen.item['server'], source, `${chosen.path}.server`);
  if (server === '') throw clusterInfoInvalid(source, `the cluster has no server (${chosen.path}.server)`, `${chosen.path}.server`);
  const caPath = `${chosen.path}.certificate-authority-data`;
  const caText = optionalString(chosen.item['certificate-authority-data'], source, caPath).replace(/[\r\n]/g, '');
  if (caText === '') {
    throw clusterInfoInvalid(source, `the cluster has no CA certificate (${caPath} is missing or empty)`, caPath);
  }
  if (!isStdBase64(caText)) throw clusterInfoInvalid(source, `${caPath} is not valid base64`, caPath);
  const caData = Buffer.from(caText, 'base64');
  return { server, caData, caPem: caData.toString('utf8') };
}
