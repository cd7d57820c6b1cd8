/**
 * Bootstrap tokens as kubeadm and cluster-bootstrap define them: `<id>.<secret>` with a 6-character
 * public TokenId and a 16-character secret over [a-z0-9], plus the BootstrapToken record (usages,
 * extra groups, TTL or expiry, description) that `kubeadm token create` and kubeadm's config
 * `bootstrapTokens` describe.
 */
import { JoineryError } from '../errors/index.js';
import { cryptoRandomBytes, type RandomBytes } from '../random/index.js';
import { HOUR, parseDuration } from '../duration/index.js';
import { isFormattableYear, parseGoRfc3339, dateOfGoTime } from '../gotime/index.js';

/** cluster-bootstrap's BootstrapTokenPattern, BootstrapTokenIDPattern and BootstrapGroupPattern. */
export const BOOTSTRAP_TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const BOOTSTRAP_TOKEN_ID_PATTERN = /^[a-z0-9]{6}$/;
const BOOTSTRAP_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;

/** cluster-bootstrap's KnownTokenUsages, in its order. */
const KNOWN_TOKEN_USAGES: readonly string[] = ['signing', 'authentication'];
/** `kubeadm token create` defaults (kubeadm constants DefaultTokenDuration, DefaultTokenUsages, NodeBootstrapTokenAuthGroup). */
export const DEFAULT_TOKEN_TTL = 24n * HOUR;
export const DEFAULT_TOKEN_USAGES: readonly string[] = ['signing', 'authentication'];
export const DEFAULT_TOKEN_GROUPS: readonly string[] = ['system:bootstrappers:kubeadm:default-node-token'];

const TOKEN_CHARS = '0123456789abcdefghijklmnopqrstuvwxyz';
/** 252 = 36 * 7: bytes at or above it are redrawn so that every character is equally likely. */
const MAX_BYTE_VALUE = 252;
const TOKEN_FORM = '[a-z0-9]{6}.[a-z0-9]{16}';

/** A token split into its public id and its secret (kubeadm's BootstrapTokenString). */
export interface BootstrapTokenString {
  id: string;
  secret: string;
}

/**
 * One bootstrap token with its properties (kubeadm's BootstrapToken). `ttl` is nanoseconds, 0 means it
 * never expires; `ttl` and `expires` are exclusive.
 */
export interface BootstrapToken {
  token: BootstrapTokenString;
  description?: string;
  ttl?: bigint;
  expires?: Date;
  usages: string[];
  groups: string[];
}

/**
 * Returns a fresh random token `<6>.<16>` over [a-z0-9], drawn as cluster-bootstrap's
 * GenerateBootstrapToken does: one byte per character, bytes >= 252 discarded and redrawn, so no
 * character is more likely than another. `random` defaults to crypto.randomBytes; a source that returns
 * fewer bytes than asked is asked again.
 */
export function generateBootstrapToken(random: RandomBytes = cryptoRandomBytes): string {
  const chars: string[] = [];
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  let rejectedInARow = 0;
  while (chars.length < 22) {
    if (at >= pool.length) {
      const got: unknown = random(2 * (22 - chars.length));
      if (!(got instanceof Uint8Array) || got.length === 0) {
        throw new JoineryError(
          'RANDOM_SOURCE_FAILED',
          'the random source returned no bytes while generating a bootstrap token',
          'this is a bug in the caller of generateBootstrapToken; report it',
          { family: 'internal' },
        );
      }
      pool = got;
      at = 0;
    }
    const b = pool[at++] as number;
    if (b >= MAX_BYTE_VALUE) {
      if (++rejectedInARow > 1000) {
        throw new JoineryError(
          'RANDOM_SOURCE_FAILED',
          'the random source returned only bytes >= 252 for 1000 draws while generating a bootstrap token',
          'this is a bug in the random source; report it',
          { family: 'internal' },
        );
      }
      continue;
    }
    rejectedInARow = 0;
    chars.push(TOKEN_CHARS[b % TOKEN_CHARS.length] as string);
  }
  return `${chars.slice(0, 6).join('')}.${chars.slice(6).join('')}`;
}

/** True when `id` is a valid TokenId (`[a-z0-9]{6}`, cluster-bootstrap's IsValidBootstrapTokenID). */
export function isValidTokenId(id: unknown): id is string {
  return typeof id === 'string' && BOOTSTRAP_TOKEN_ID_PATTERN.test(id);
}

/** True when `text` is a whole bootstrap token (cluster-bootstrap's IsValidBootstrapToken). */
export function isValidBootstrapToken(text: unknown): text is string {
  return typeof text === 'string' && BOOTSTRAP_TOKEN_PATTERN.test(text);
}

/**
 * A form of `text` that is safe to print: `abcdef.<redacted>` when it starts with a TokenId and a dot,
 * the id itself when it is only an id, otherwise `<redacted>`.
 */
export function redactToken(text: unknown): string {
  if (typeof text !== 'string') return '<redacted>';
  const t = text.trim();
  const m = /^([a-z0-9]{6})\./.exec(t);
  if (m) return `${m[1]}.<redacted>`;
  if (BOOTSTRAP_TOKEN_ID_PATTERN.test(t)) return t;
  return '<redacted>';
}

/**
 * Replaces every whole token inside `text` by its redacted form, every run of 32 or more hex digits
 * (the shape of a certificate key or an API key's SHA-256, 64 hex digits), also when letters touch it
 * (`*alias<key>`, `!tag<key>`: an alias or tag glued to the value after it by an edit), and every
 * occurrence of the given secrets by `<redacted>`, so that a value can be quoted in an error message.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/([a-z0-9]{6})\.[a-z0-9]{16}/g, '$1.<redacted>').replace(/[0-9a-fA-F]{32,}/g, '<redacted>');
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join('<redacted>');
  return out;
}

function quote(value: unknown, secrets: readonly string[]): string {
  const s = typeof value === 'string' ? value : String(value);
  const short = s.length > 80 ? `${s.slice(0, 80)}...` : s;
  return JSON.stringify(scrubSecrets(short, secrets));
}

function join(prefix: string | undefined, field: string): string {
  if (prefix === undefined || prefix === '') return field;
  return field.startsWith('[') ? `${prefix}${field}` : `${prefix}.${field}`;
}

function malformed(path: string | undefined): JoineryError {
  return new JoineryError(
    'TOKEN_MALFORMED',
    `${path ? `${path}: ` : ''}the bootstrap token is not of the form ${TOKEN_FORM} ` +
      '(6 lowercase letters or digits, a dot, 16 lowercase letters or digits)',
    'use a token printed by `joinery token generate` or `kubeadm token generate`',
    path === undefined ? {} : { path },
  );
}

/**
 * Parses a bootstrap token `<id>.<secret>` with kubeadm's rule (`^([a-z0-9]{6})\.([a-z0-9]{16})$`,
 * NewBootstrapTokenString). Throws TOKEN_MALFORMED, whose message never repeats the input.
 */
export function parseBootstrapToken(text: unknown, path?: string): BootstrapTokenString {
  const m = typeof text === 'string' ? BOOTSTRAP_TOKEN_PATTERN.exec(text) : null;
  if (!m) throw malformed(path);
  return { id: m[1] as string, secret: m[2] as string };
}

/** `<id>.<secret>`, the text form of a token (cluster-bootstrap's TokenFromIDAndSecret). */
export function tokenString(token: BootstrapTokenString): string {
  return `${token.id}.${token.secret}`;
}

/**
 * Checks usages as kubeadm's ValidateTokenUsages (cluster-bootstrap ValidateUsages): each must be one
 * of `signing`, `authentication`. Throws TOKEN_USAGE_INVALID for the first unknown one.
 */
export function validateTokenUsages(usages: unknown, pathPrefix?: string, secrets: readonly string[] = []): string[] {
  const path = join(pathPrefix, 'usages');
  if (!Array.isArray(usages)) {
    throw new JoineryError(
      'TOKEN_USAGE_INVALID',
      `${path}: usages must be a list of strings`,
      `write a list such as [${KNOWN_TOKEN_USAGES.join(', ')}]`,
      { path },
    );
  }
  usages.forEach((u: unknown, i) => {
    if (typeof u !== 'string' || !KNOWN_TOKEN_USAGES.includes(u)) {
      const p = `${path}[${i}]`;
      throw new JoineryError(
        'TOKEN_USAGE_INVALID',
        `${p}: invalid bootstrap token usage ${quote(u, secrets)}; valid usages are ${KNOWN_TOKEN_USAGES.join(',')}`,
        `use only ${KNOWN_TOKEN_USAGES.join(' and ')}`,
        { path: p },
      );
    }
  });
  return [...(usages as string[])];
}

/**
 * Checks extra groups as kubeadm's ValidateTokenGroups: groups only with the `authentication` usage,
 * each matching `^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`. Throws TOKEN_GROUPS_NEED_AUTHENTICATION
 * or TOKEN_GROUP_INVALID.
 */
export function validateTokenGroups(
  usages: readonly string[],
  groups: unknown,
  pathPrefix?: string,
  secrets: readonly string[] = [],
): string[] {
  const path = join(pathPrefix, 'groups');
  if (!Array.isArray(groups)) {
    throw new JoineryError(
      'TOKEN_GROUP_INVALID',
      `${path}: groups must be a list of strings`,
      `write a list such as [${DEFAULT_TOKEN_GROUPS[0]}], or [] for none`,
      { path },
    );
  }
  if (groups.length > 0 && !usages.includes('authentication')) {
    throw new JoineryError(
      'TOKEN_GROUPS_NEED_AUTHENTICATION',
      `${path}: token groups cannot be specified unless usages include "authentication"`,
      'add authentication to the usages (an empty groups list means the default group ' +
        `${DEFAULT_TOKEN_GROUPS[0]}, as in kubeadm)`,
      { path },
    );
  }
  groups.forEach((g: unknown, i) => validateTokenGroup(g, `${path}[${i}]`, secrets));
  return [...(groups as string[])];
}

/**
 * Checks one extra group as cluster-bootstrap's ValidateBootstrapGroupName: it must match
 * `^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$`. Throws TOKEN_GROUP_INVALID (prefixed with `path`).
 */
export function validateTokenGroup(group: unknown, path?: string, secrets: readonly string[] = []): string {
  if (typeof group !== 'string' || !BOOTSTRAP_GROUP_PATTERN.test(group)) {
    throw new JoineryError(
      'TOKEN_GROUP_INVALID',
      `${path ? `${path}: ` : ''}bootstrap group ${quote(group, secrets)} is invalid (it must match ${BOOTSTRAP_GROUP_PATTERN.source})`,
      'use a group that starts with system:bootstrappers: and ends with a lowercase letter or digit, ' +
        `such as ${DEFAULT_TOKEN_GROUPS[0]}`,
      path === undefined ? {} : { path },
    );
  }
  return group;
}

/** What `bootstrapToken` takes: kubeadm's `token create` flags / config fields; all optional. */
export interface BootstrapTokenOptions {
  /** `<id>.<secret>` or its parts; generated when absent (as `kubeadm token create` does). */
  token?: string | BootstrapTokenString;
  description?: string;
  /** Nanoseconds or a Go duration (`24h`, `0` = never expires). Default 24h unless `expires` is set. */
  ttl?: bigint | string;
  /** An absolute expiry: a Date or an RFC 3339 time as Go reads it. */
  expires?: Date | string;
  usages?: string[];
  groups?: string[];
}

/** kubeadm's SetDefaults_BootstrapToken fills usages and groups when they are absent or empty. */
function unsetOrEmpty(v: unknown): boolean {
  return v === undefined || (Array.isArray(v) && v.length === 0);
}

function candidateSecrets(token: unknown): string[] {
  if (typeof token === 'string') {
    const dot = token.indexOf('.');
    return dot >= 0 ? [token.slice(dot + 1)] : [token];
  }
  if (token !== null && typeof token === 'object') {
    const s = (token as { secret?: unknown }).secret;
    return typeof s === 'string' ? [s] : [];
  }
  return [];
}

/**
 * Validates `options` and fills in `kubeadm token create`'s defaults (ttl 24h, usages
 * [signing, authentication], groups [system:bootstrappers:kubeadm:default-node-token], a generated
 * token). As kubeadm's SetDefaults_BootstrapToken, an empty usages or groups list counts as absent, so
 * (as with `kubeadm token create --usages signing`) usages without `authentication` always conflict
 * with the default group: such a token can only be built as a BootstrapToken value directly.
 * Checks run as kubeadm's ValidateBootstrapTokens: token, usages, groups, then TTL/expires.
 * Unlike kubeadm (which then never expires the token), a negative TTL is refused.
 * `path` prefixes error paths (`bootstrapTokens[0]`).
 */
export function bootstrapToken(
  options: BootstrapTokenOptions,
  extra: { random?: RandomBytes; path?: string } = {},
): BootstrapToken {
  const prefix = extra.path;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new JoineryError(
      'TOKEN_OPTIONS_INVALID',
      `${prefix ? `${prefix}: ` : ''}a bootstrap token must be an object with token, ttl, usages, groups or description`,
      'pass an object such as {ttl: "24h"}',
      prefix ? { path: prefix } : {},
    );
  }
  const o = options as Record<string, unknown>;
  const secrets = candidateSecrets(o['token']);

  let token: BootstrapTokenString;
  const tokenPath = join(prefix, 'token');
  if (o['token'] === undefined) {
    token = parseBootstrapToken(generateBootstrapToken(extra.random));
  } else if (typeof o['token'] === 'string') {
    token = parseBootstrapToken(o['token'], tokenPath);
  } else if (o['token'] !== null && typeof o['token'] === 'object') {
    const t = o['token'] as Record<string, unknown>;
    const id = t['id'];
    const secret = t['secret'];
    if (typeof id !== 'string' || typeof secret !== 'string') throw malformed(tokenPath);
    token = parseBootstrapToken(`${id}.${secret}`, tokenPath);
  } else {
    throw malformed(tokenPath);
  }

  const usages = validateTokenUsages(unsetOrEmpty(o['usages']) ? [...DEFAULT_TOKEN_USAGES] : o['usages'], prefix, secrets);
  const groups = validateTokenGroups(
    usages,
    unsetOrEmpty(o['groups']) ? [...DEFAULT_TOKEN_GROUPS] : o['groups'],
    prefix,
    secrets,
  );

  const description = o['description'];
  if (description !== undefined && typeof description !== 'string') {
    const p = join(prefix, 'description');
    throw new JoineryError('TOKEN_DESCRIPTION_INVALID', `${p}: the description must be a string`, 'write the description as text', {
      path: p,
    });
  }

  const ttlPath = join(prefix, 'ttl');
  const expiresPath = join(prefix, 'expires');
  if (o['ttl'] !== undefined && o['expires'] !== undefined) {
    throw new JoineryError(
      'TOKEN_EXPIRY_CONFLICT',
      `${expiresPath}: ttl and expires are mutually exclusive`,
      'set either ttl (a duration from now) or expires (a fixed time), not both',
      { path: expiresPath },
    );
  }

  let ttl: bigint | undefined;
  let expires: Date | undefined;
  if (o['expires'] !== undefined) {
    expires = parseExpires(o['expires'], expiresPath);
  } else if (o['ttl'] === undefined) {
    ttl = DEFAULT_TOKEN_TTL;
  } else {
    ttl = parseTtl(o['ttl'], ttlPath, secrets);
  }

  const result: BootstrapToken = { token, usages, groups };
  if (description !== undefined && description !== '') result.description = description as string;
  if (ttl !== undefined) result.ttl = ttl;
  if (expires !== undefined) result.expires = expires;
  return result;
}

function parseTtl(value: unknown, path: string, secrets: readonly string[]): bigint {
  let ns: bigint;
  if (typeof value === 'bigint') {
    ns = value;
  } else if (typeof value === 'string') {
    try {
      ns = parseDuration(value);
    } catch {
      throw new JoineryError(
        'TOKEN_TTL_INVALID',
        `${path}: ${quote(value, secrets)} is not a duration`,
        'write a Go duration such as 24h, 1h30m or 0 (never expires)',
        { path },
      );
    }
  } else {
    throw new JoineryError(
      'TOKEN_TTL_INVALID',
      `${path}: the TTL must be a duration (nanoseconds or text such as 24h)`,
      'write a Go duration such as 24h, 1h30m or 0 (never expires)',
      { path },
    );
  }
  if (ns < 0n) {
    throw new JoineryError(
      'TOKEN_TTL_INVALID',
      `${path}: the TTL must not be negative`,
      'write a positive duration such as 24h, or 0 for a token that never expires',
      { path },
    );
  }
  return ns;
}

function parseExpires(value: unknown, path: string): Date {
  let date: Date | undefined;
  if (value instanceof Date) {
    date = value;
  } else if (typeof value === 'string') {
    const t = parseGoRfc3339(value);
    if (t !== undefined) date = dateOfGoTime(t);
  }
  if (date === undefined || !isFormattableYear(date)) {
    throw new JoineryError(
      'TOKEN_EXPIRES_INVALID',
      `${path}: the expiry must be an RFC 3339 time between the years 0000 and 9999`,
      'write a time such as 2026-11-23T04:00:00Z',
      { path },
    );
  }
  return new Date(date.getTime());
}
