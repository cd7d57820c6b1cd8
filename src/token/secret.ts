/**
 * The Secret a bootstrap token is stored as (`kube-system/bootstrap-token-<id>`, type
 * `bootstrap.kubernetes.io/token`), encoded as kubeadm's BootstrapToken.ToSecret and decoded as
 * kubeadm's BootstrapTokenFromSecret and kube-apiserver's bootstrap token authenticator read it.
 */
import { JoineryError } from '../errors/index.js';
import { goStringCompare, isStdBase64 } from '../encoding/index.js';
import { BootstrapToken, BootstrapTokenString, BOOTSTRAP_TOKEN_PATTERN, isValidTokenId, parseBootstrapToken, scrubSecrets } from './token.js';
import { formatGoRfc3339, goTimeNanos, goTimeOfDate, isFormattableYear, parseGoRfc3339, type GoTime } from '../gotime/index.js';

/** cluster-bootstrap token/api constants. */
const SECRET_TYPE_BOOTSTRAP_TOKEN = 'bootstrap.kubernetes.io/token';
const BOOTSTRAP_TOKEN_SECRET_PREFIX = 'bootstrap-token-';
const BOOTSTRAP_TOKEN_ID_KEY = 'token-id';
const BOOTSTRAP_TOKEN_SECRET_KEY = 'token-secret';
const BOOTSTRAP_TOKEN_EXPIRATION_KEY = 'expiration';
const BOOTSTRAP_TOKEN_DESCRIPTION_KEY = 'description';
const BOOTSTRAP_TOKEN_USAGE_PREFIX = 'usage-bootstrap-';
const BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY = 'auth-extra-groups';

/** A Secret manifest as the Kubernetes API takes and returns it (JSON), restricted to what we read. */
export interface SecretManifest {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  type?: string;
  /** Values base64 (standard alphabet, padded), as the API returns them. */
  data?: Record<string, string>;
  /** Plain values; merged over `data` as kube-apiserver does on write. */
  stringData?: Record<string, string>;
}

/** The Secret of a BootstrapToken, as `tokenSecret` returns it. */
export interface BootstrapTokenSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: {
    name: string;
    namespace: 'kube-system';
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  type: typeof SECRET_TYPE_BOOTSTRAP_TOKEN;
  data: Record<string, string>;
}

/** A bootstrap token Secret decoded as kubeadm's BootstrapTokenFromSecret does. */
export interface DecodedBootstrapToken {
  /** The Secret's name, `bootstrap-token-<id>`. */
  name: string;
  token: BootstrapTokenString;
  /** '' when there is none. */
  description: string;
  /** The stored `expiration` text, undefined when absent or empty (never expires). */
  expiration: string | undefined;
  /**
   * `expiration` as Go's time.Parse(RFC3339) reads it (instant and offset); undefined when there is no
   * expiration or when Go rejects it. `expiration` set but this undefined: an unparseable expiration,
   * which counts as expired (see hasUnparseableExpiration).
   */
  expirationTime: GoTime | undefined;
  /** Every `usage-bootstrap-<usage>` whose value is exactly "true", known or not, sorted. */
  usages: string[];
  /** `auth-extra-groups` split on ","; none when it is empty or starts with ",". */
  groups: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Name of the Secret that stores token `id` (cluster-bootstrap's BootstrapTokenSecretName). */
function bootstrapTokenSecretName(id: string): string {
  return `${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}`;
}

/** RFC 3339 in UTC, whole seconds: Go's `t.UTC().Format(time.RFC3339)`. */
function formatExpiration(date: Date): string {
  return formatGoRfc3339(goTimeOfDate(date));
}

/**
 * The `expiration` value kubeadm writes for `token` at `now` (encodeTokenSecretData): `expires` if set,
 * else now + ttl when ttl > 0, else none.
 */
function tokenExpiration(token: BootstrapToken, now: Date): string | undefined {
  let at: Date | undefined;
  if (token.expires !== undefined) {
    at = token.expires;
  } else if (token.ttl !== undefined && token.ttl > 0n) {
    const ns = BigInt(now.getTime()) * 1_000_000n + token.ttl;
    const secondsFloor = ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n);
    at = new Date(Number(secondsFloor) * 1000);
  }
  if (at === undefined) return undefined;
  if (!isFormattableYear(at)) {
    throw new JoineryError(
      'TOKEN_TTL_INVALID',
      'the token would expire outside the years 0000-9999, which an RFC 3339 expiration cannot hold',
      'use a shorter ttl or an earlier expires',
      { path: token.expires !== undefined ? 'expires' : 'ttl' },
    );
  }
  return formatExpiration(at);
}

/**
 * The Secret kubeadm's BootstrapToken.ToSecret makes for `token` at `now`: `data` base64 (kubeadm sets
 * `Data`), keys token-id, token-secret, description (if any), expiration (if any), one
 * `usage-bootstrap-<usage>: "true"` per usage, auth-extra-groups (comma-joined, if any). Keys are
 * in byte order, as Go's JSON encoder writes a map. `extra` adds labels and annotations. Throws
 * TOKEN_MALFORMED if the token is not `[a-z0-9]{6}.[a-z0-9]{16}`.
 */
export function tokenSecret(
  token: BootstrapToken,
  now: Date,
  extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): BootstrapTokenSecret {
  parseBootstrapToken(`${token.token.id}.${token.token.secret}`, 'token');
  const plain: Record<string, string> = {
    [BOOTSTRAP_TOKEN_ID_KEY]: token.token.id,
    [BOOTSTRAP_TOKEN_SECRET_KEY]: token.token.secret,
  };
  if (token.description !== undefined && token.description !== '') {
    plain[BOOTSTRAP_TOKEN_DESCRIPTION_KEY] = token.description;
  }
  const expiration = tokenExpiration(token, now);
  if (expiration !== undefined) plain[BOOTSTRAP_TOKEN_EXPIRATION_KEY] = expiration;
  for (const usage of token.usages) plain[`${BOOTSTRAP_TOKEN_USAGE_PREFIX}${usage}`] = 'true';
  if (token.groups.length > 0) plain[BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY] = token.groups.join(',');

  const data: Record<string, string> = {};
  for (const key of Object.keys(plain).sort(goStringCompare)) {
    data[key] = Buffer.from(plain[key] as string, 'utf8').toString('base64');
  }
  const metadata: BootstrapTokenSecret['metadata'] = {
    name: bootstrapTokenSecretName(token.token.id),
    namespace: 'kube-system',
  };
  if (extra.labels && Object.keys(extra.labels).length > 0) metadata.labels = { ...extra.labels };
  if (extra.annotations && Object.keys(extra.annotations).length > 0) metadata.annotations = { ...extra.annotations };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: SECRET_TYPE_BOOTSTRAP_TOKEN, data };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** A name safe to quote in a message: only names of the expected shape are repeated. */
function safeName(name: string): string {
  return /^bootstrap-token-[a-z0-9]{6}$/.test(name) ? JSON.stringify(name) : 'of this Secret';
}

function invalidSecret(message: string, fix: string, path?: string): JoineryError {
  return new JoineryError('TOKEN_SECRET_INVALID', message, fix, path === undefined ? {} : { path });
}

/**
 * Reads the data of a Secret: `data` (base64) overlaid with `stringData`, as kube-apiserver stores them.
 * Throws TOKEN_SECRET_INVALID for a value that is not base64.
 */
function secretData(secret: SecretManifest): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const data: unknown = (secret as { data?: unknown }).data;
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) throw invalidSecret('the Secret\'s data is not a map of strings', 'read the Secret from the API server unchanged', 'data');
    for (const [k, v] of Object.entries(data)) {
      if (typeof v !== 'string' || !isStdBase64(v)) {
        throw invalidSecret(
          'a value in the Secret\'s data is not base64',
          'read the Secret from the API server unchanged (data values are base64)',
          'data',
        );
      }
      out[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  const stringData: unknown = (secret as { stringData?: unknown }).stringData;
  if (stringData !== undefined && stringData !== null) {
    if (!isRecord(stringData)) {
      throw invalidSecret('the Secret\'s stringData is not a map of strings', 'pass stringData as a map of strings', 'stringData');
    }
    for (const [k, v] of Object.entries(stringData)) {
      if (typeof v !== 'string') {
        throw invalidSecret('the Secret\'s stringData has a value that is not a string', 'pass stringData as a map of strings', 'stringData');
      }
      out[k] = v;
    }
  }
  return out;
}

/**
 * Decodes a bootstrap token Secret as kubeadm's BootstrapTokenFromSecret does (token-id present, the
 * name `bootstrap-token-<token-id>`, token-secret present, id and secret form a valid token), but
 * keeps a token whose expiration Go cannot parse, with `expirationTime` undefined (kubeadm refuses it;
 * kube-apiserver treats it as expired: hasUnparseableExpiration). A Secret whose `type` is set to anything but
 * bootstrap.kubernetes.io/token is refused too (kube-apiserver ignores it). Throws TOKEN_SECRET_INVALID.
 */
export function decodeTokenSecret(secret: SecretManifest): DecodedBootstrapToken {
  if (!isRecord(secret)) throw invalidSecret('a bootstrap token Secret must be an object', 'pass the Secret as the API returns it');
  const type = (secret as { type?: unknown }).type;
  if (type !== undefined && type !== SECRET_TYPE_BOOTSTRAP_TOKEN) {
    throw invalidSecret(
      `the Secret's type is not ${SECRET_TYPE_BOOTSTRAP_TOKEN}`,
      `bootstrap tokens are Secrets of type ${SECRET_TYPE_BOOTSTRAP_TOKEN}`,
      'type',
    );
  }
  const metadata: unknown = (secret as { metadata?: unknown }).metadata;
  const meta = isRecord(metadata) ? metadata : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '';
  const data = secretData(secret);
  const secretValue = data[BOOTSTRAP_TOKEN_SECRET_KEY] ?? '';
  const scrub = (s: string): string => scrubSecrets(s, [secretValue]);

  const id = data[BOOTSTRAP_TOKEN_ID_KEY] ?? '';
  if (id === '') {
    throw invalidSecret(
      scrub(`bootstrap token Secret ${safeName(name)} has no token-id data`),
      'set data.token-id to the 6-character token id',
      `data.${BOOTSTRAP_TOKEN_ID_KEY}`,
    );
  }
  if (name !== bootstrapTokenSecretName(id)) {
    throw invalidSecret(
      scrub(
        `bootstrap token Secret ${safeName(name)} is not named bootstrap-token-<token-id>` +
          (isValidTokenId(id) ? ` (expected ${JSON.stringify(bootstrapTokenSecretName(id))})` : ''),
      ),
      'name the Secret bootstrap-token-<token-id>',
      'metadata.name',
    );
  }
  if (secretValue === '') {
    throw invalidSecret(
      `bootstrap token Secret ${safeName(name)} has no token-secret data`,
      'set data.token-secret to the 16-character token secret',
      `data.${BOOTSTRAP_TOKEN_SECRET_KEY}`,
    );
  }
  const m = BOOTSTRAP_TOKEN_PATTERN.exec(`${id}.${secretValue}`);
  if (!m) {
    throw invalidSecret(
      scrub(`bootstrap token Secret ${safeName(name)} holds a token that is not of the form [a-z0-9]{6}.[a-z0-9]{16}`),
      'store a token-id of 6 and a token-secret of 16 lowercase letters or digits',
      isValidTokenId(id) ? `data.${BOOTSTRAP_TOKEN_SECRET_KEY}` : `data.${BOOTSTRAP_TOKEN_ID_KEY}`,
    );
  }

  const expirationText = data[BOOTSTRAP_TOKEN_EXPIRATION_KEY] ?? '';

  const usages = Object.keys(data)
    .filter((k) => k.startsWith(BOOTSTRAP_TOKEN_USAGE_PREFIX) && data[k] === 'true')
    .map((k) => k.slice(BOOTSTRAP_TOKEN_USAGE_PREFIX.length))
    .sort(goStringCompare);

  const groupsText = data[BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY] ?? '';
  const split = groupsText.split(',');
  const groups = (split[0] ?? '') !== '' ? split : [];

  return {
    name,
    token: { id: m[1] as string, secret: m[2] as string },
    description: data[BOOTSTRAP_TOKEN_DESCRIPTION_KEY] ?? '',
    expiration: expirationText === '' ? undefined : expirationText,
    expirationTime: expirationText === '' ? undefined : parseGoRfc3339(expirationText),
    usages,
    groups,
    labels: stringMap(meta['labels']),
    annotations: stringMap(meta['annotations']),
  };
}

/**
 * True when the token is expired at `now`, as kube-apiserver's bootstrap authenticator decides
 * (cluster-bootstrap secrets.HasExpired): no expiration never expires, an unparseable one is expired,
 * otherwise expired once expiration - now <= 0.
 */
export function isTokenExpired(token: Pick<DecodedBootstrapToken, 'expiration' | 'expirationTime'>, now: Date): boolean {
  if (token.expirationTime === undefined) return hasUnparseableExpiration(token);
  return goTimeNanos(token.expirationTime) - BigInt(now.getTime()) * 1_000_000n <= 0n;
}

/**
 * True when the token has an expiration Go's time.Parse(RFC3339) rejects: kubeadm's
 * BootstrapTokenFromSecret refuses such a token (`kubeadm token list` skips it) and kube-apiserver
 * treats it as expired.
 */
export function hasUnparseableExpiration(token: Pick<DecodedBootstrapToken, 'expiration' | 'expirationTime'>): boolean {
  return token.expiration !== undefined && token.expirationTime === undefined;
}
