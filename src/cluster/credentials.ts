/**
 * Where the Kubernetes API credentials come from, in kubectl's order: `--kubeconfig`, `$KUBECONFIG`,
 * `~/.kube/config`, then the in-cluster service account (the pod's mounted token and CA, and
 * KUBERNETES_SERVICE_HOST/PORT). Only this folder and the other edges read files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { JoineryError } from '../errors/index.js';

/** What a connection to kube-apiserver needs. Secrets (key, token) never leave this object in a message. */
export interface ClusterCredentials {
  /** `https://host:port`, no trailing slash. */
  server: string;
  /** PEM bundle to verify the server with; undefined means the system roots. */
  ca?: string;
  insecureSkipTlsVerify?: boolean;
  /** TLS server name to check, from the kubeconfig's `tls-server-name`. */
  tlsServerName?: string;
  clientCert?: string;
  clientKey?: string;
  bearerToken?: string;
  /** `kubeconfig <path>` or `in-cluster service account`: for messages. */
  source: string;
  /** The kubeconfig user (or `system:serviceaccount:...`) these credentials act as, when known. */
  user?: string;
  /** Whom to act as (kubeconfig `as`, `as-uid`, `as-groups`, `as-user-extra`): Impersonate-* headers on every request. */
  impersonate?: Impersonation;
}

/** Impersonation, as kubectl's `--as`/`--as-group`/`--as-uid` and the kubeconfig user fields send it. */
export interface Impersonation {
  /** Impersonate-User. */
  user: string;
  /** Impersonate-Uid (Kubernetes >= 1.22; older servers ignore it). */
  uid?: string;
  /** One Impersonate-Group header each. */
  groups?: string[];
  /** Impersonate-Extra-<key> headers. */
  extra?: Record<string, string[]>;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface CredentialsOptions {
  /** `--kubeconfig`. */
  kubeconfig?: string;
  /** `--context`. */
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** The service account directory (tests point it elsewhere). */
  serviceAccountDir?: string;
}

/** The credentials to use, found in kubectl's order; a typed error naming what was tried when none. */
export function loadCredentials(options: CredentialsOptions = {}): ClusterCredentials {
  const env = options.env ?? process.env;
  if (options.kubeconfig !== undefined && options.kubeconfig !== '') {
    return kubeconfigCredentials(resolve(options.kubeconfig), options.context);
  }
  const fromEnv = env['KUBECONFIG'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const first = fromEnv.split(delimiter).find((p) => p !== '' && existsSync(p));
    if (first === undefined) {
      throw new JoineryError(
        'KUBECONFIG_NOT_FOUND',
        `none of the files in $KUBECONFIG (${fromEnv}) exists`,
        'point KUBECONFIG (or --kubeconfig) at a kubeconfig file, e.g. /etc/kubernetes/admin.conf',
        { family: 'usage' },
      );
    }
    return kubeconfigCredentials(resolve(first), options.context);
  }
  const home = join(env['HOME'] ?? homedir(), '.kube', 'config');
  if (existsSync(home)) return kubeconfigCredentials(home, options.context);
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '443';
  if (host !== undefined && host !== '' && existsSync(join(saDir, 'token'))) {
    const namespace = existsSync(join(saDir, 'namespace')) ? readFileSync(join(saDir, 'namespace'), 'utf8').trim() : '';
    return {
      server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
      ca: readFileSync(join(saDir, 'ca.crt'), 'utf8'),
      bearerToken: readFileSync(join(saDir, 'token'), 'utf8').trim(),
      source: 'in-cluster service account',
      user: namespace === '' ? 'the pod service account' : `a service account in namespace ${namespace}`,
    };
  }
  throw new JoineryError(
    'NO_CREDENTIALS',
    'no Kubernetes credentials found: no --kubeconfig, no $KUBECONFIG, no ~/.kube/config, and not running in a pod',
    'pass --kubeconfig /etc/kubernetes/admin.conf (or set KUBECONFIG), or run joinery in a pod with a service account',
    { family: 'usage' },
  );
}

type Named<T> = { name?: unknown } & { [k: string]: T | unknown };

function pick(list: unknown, name: string, kind: string, path: string): Record<string, unknown> {
  const entries = Array.isArray(list) ? (list as Named<unknown>[]) : [];
  const hit = entries.find((e) => e !== null && typeof e === 'object' && e.name === name);
  const body = hit?.[kind];
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new JoineryError(
      'KUBECONFIG_INVALID',
      `kubeconfig ${path} has no ${kind} named "${name}"`,
      `fix the ${kind} reference of the context, or choose another context with --context`,
      { path: `${kind}s`, family: 'input' },
    );
  }
  return body as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Credentials from one kubeconfig file (current or named context), resolving relative file paths as kubectl does. */
export function kubeconfigCredentials(path: string, contextName?: string): ClusterCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new JoineryError('KUBECONFIG_NOT_FOUND', `cannot read kubeconfig ${path}: ${(cause as Error).message}`, 'check the path given to --kubeconfig or $KUBECONFIG', {
      family: 'usage',
      cause,
    });
  }
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = parseYaml(text);
    if (parsed === null || typeof parsed !== 'object') throw new Error('not a mapping');
    doc = parsed as Record<string, unknown>;
  } catch {
    throw new JoineryError('KUBECONFIG_INVALID', `kubeconfig ${path} is not a YAML mapping`, 'point --kubeconfig at a kubeconfig file (apiVersion: v1, kind: Config)');
  }
  const ctxName = contextName ?? str(doc, 'current-context');
  if (ctxName === undefined) {
    throw new JoineryError('KUBECONFIG_INVALID', `kubeconfig ${path} has no current-context`, 'pass --context NAME or set current-context in the file', {
      path: 'current-context',
    });
  }
  const ctx = pick(doc['contexts'], ctxName, 'context', path);
  const clusterName = str(ctx, 'cluster') ?? '';
  const userName = str(ctx, 'user') ?? '';
  const cluster = pick(doc['clusters'], clusterName, 'cluster', path);
  const user = userName === '' ? {} : pick(doc['users'], userName, 'user', path);
  const base = dirname(path);
  const file = (p: string): string => readFileSync(isAbsolute(p) ? p : join(base, p), 'utf8');
  const server = str(cluster, 'server');
  if (server === undefined) {
    throw new JoineryError('KUBECONFIG_INVALID', `kubeconfig ${path}: cluster "${clusterName}" has no server`, 'add server: https://HOST:PORT to the cluster entry', {
      path: `clusters[${clusterName}].server`,
    });
  }
  if (user['exec'] !== undefined || user['auth-provider'] !== undefined) {
    throw new JoineryError(
      'KUBECONFIG_UNSUPPORTED',
      `kubeconfig ${path}: user "${userName}" authenticates with an exec or auth-provider plugin, which joinery does not run`,
      'use a kubeconfig with a client certificate or a bearer token (e.g. a service account token), such as /etc/kubernetes/admin.conf',
      { path: `users[${userName}]` },
    );
  }
  const caData = str(cluster, 'certificate-authority-data');
  const caFile = str(cluster, 'certificate-authority');
  const certData = str(user, 'client-certificate-data');
  const certFile = str(user, 'client-certificate');
  const keyData = str(user, 'client-key-data');
  const keyFile = str(user, 'client-key');
  const token = str(user, 'token');
  const tokenFile = str(user, 'tokenFile');
  const creds: ClusterCredentials = { server: server.replace(/\/+$/, ''), source: `kubeconfig ${path}`, user: userName };
  if (caData !== undefined) creds.ca = Buffer.from(caData, 'base64').toString('utf8');
  else if (caFile !== undefined) creds.ca = file(caFile);
  if (cluster['insecure-skip-tls-verify'] === true) creds.insecureSkipTlsVerify = true;
  const sni = str(cluster, 'tls-server-name');
  if (sni !== undefined) creds.tlsServerName = sni;
  if (certData !== undefined) creds.clientCert = Buffer.from(certData, 'base64').toString('utf8');
  else if (certFile !== undefined) creds.clientCert = file(certFile);
  if (keyData !== undefined) creds.clientKey = Buffer.from(keyData, 'base64').toString('utf8');
  else if (keyFile !== undefined) creds.clientKey = file(keyFile);
  if (token !== undefined) creds.bearerToken = token;
  else if (tokenFile !== undefined) creds.bearerToken = file(tokenFile).trim();
  const impersonate = kubeconfigImpersonation(user, `kubeconfig ${path}: user "${userName}"`, `users[${userName}]`);
  if (impersonate !== undefined) creds.impersonate = impersonate;
  return creds;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/**
 * The impersonation of a kubeconfig user entry (client-go's AuthInfo `as`, `as-uid`, `as-groups`,
 * `as-user-extra`), or undefined when it has none. Like client-go, groups, uid or extra without `as` are
 * refused: the server would reject the request anyway, and silently acting as oneself would be worse.
 */
export function kubeconfigImpersonation(user: Record<string, unknown>, where: string, path: string): Impersonation | undefined {
  const as = user['as'];
  const uid = user['as-uid'];
  const groupsRaw = user['as-groups'];
  const extraRaw = user['as-user-extra'];
  const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
  const invalid = (field: string, what: string, fix: string): JoineryError =>
    new JoineryError('KUBECONFIG_INVALID', `${where}: ${field} ${what}`, fix, { path: `${path}.${field}` });
  if (!present(as)) {
    const stray = (['as-uid', 'as-groups', 'as-user-extra'] as const).find((k) => present(user[k]));
    if (stray !== undefined) throw invalid(stray, 'is set without as (the user to impersonate)', 'add as: USER to the user entry, or remove the impersonation fields');
    return undefined;
  }
  if (typeof as !== 'string') throw invalid('as', 'is not a string', 'write the user name to impersonate, e.g. as: system:serviceaccount:NS:NAME');
  const out: Impersonation = { user: as };
  if (present(uid)) {
    if (typeof uid !== 'string') throw invalid('as-uid', 'is not a string', 'write the uid to impersonate as a string');
    out.uid = uid;
  }
  if (present(groupsRaw)) {
    const groups = stringList(groupsRaw);
    if (groups === undefined) throw invalid('as-groups', 'is not a list of strings', 'write as-groups: [GROUP, ...]');
    out.groups = [...groups];
  }
  if (present(extraRaw)) {
    if (typeof extraRaw !== 'object' || Array.isArray(extraRaw)) throw invalid('as-user-extra', 'is not a mapping of lists', 'write as-user-extra: {KEY: [VALUE, ...]}');
    const extra: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(extraRaw as Record<string, unknown>)) {
      const values = stringList(v);
      if (values === undefined) throw invalid('as-user-extra', `key ${JSON.stringify(k)} is not a list of strings`, 'write as-user-extra: {KEY: [VALUE, ...]}');
      extra[k] = [...values];
    }
    out.extra = extra;
  }
  return out;
}

/** RFC 7230 token characters: what a header name may hold unescaped. */
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * The Impersonate-* request headers of an impersonation (client-go's transport.NewImpersonatingRoundTripper):
 * an extra key is percent-encoded where it is not a header token character, which kube-apiserver decodes.
 */
export function impersonationHeaders(imp: Impersonation): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = { 'impersonate-user': imp.user };
  if (imp.uid !== undefined) headers['impersonate-uid'] = imp.uid;
  if (imp.groups !== undefined && imp.groups.length > 0) headers['impersonate-group'] = [...imp.groups];
  for (const [key, values] of Object.entries(imp.extra ?? {})) {
    const escaped = [...Buffer.from(key, 'utf8')].map((b) => (HEADER_TOKEN.test(String.fromCharCode(b)) && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
    headers[`impersonate-extra-${escaped}`] = [...values];
  }
  return headers;
}
