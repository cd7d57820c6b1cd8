/**
 * Bearer API keys (issue 5 §1): the configuration stores only each key's SHA-256; a request's key is
 * hashed and compared in constant time with every configured hash. No I/O: random bytes come from the
 * caller for `generateApiKey`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { JoineryError } from '../../errors/index.js';
import { cryptoRandomBytes, type RandomBytes } from '../../random/index.js';
import type { ApiKey } from '../config/index.js';

/** The request carries no usable API key; the HTTP layer answers 401 with `WWW-Authenticate: Bearer`. */
export const UNAUTHENTICATED = 'UNAUTHENTICATED';

/** Prefix of keys made by `generateApiKey`, so that secret scanners and people can recognise them. */
export const API_KEY_PREFIX = 'joinery_';

/** Longest Authorization header value read; longer ones are refused before hashing. */
const MAX_AUTHORIZATION_LENGTH = 4096;

function unauthenticated(what: string): JoineryError {
  return new JoineryError(UNAUTHENTICATED, what, 'send the header `Authorization: Bearer <API key>` with a key listed (as its SHA-256) in the service configuration', {
    family: 'input',
  });
}

/** Lowercase hex SHA-256 of an API key's UTF-8 bytes: the value of `apiKeys[].sha256` in joinery.yaml. */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The configured key an `Authorization` header value (RFC 6750 `Bearer <token>`, scheme case-insensitive)
 * presents. The presented key's SHA-256 is compared with crypto.timingSafeEqual against every configured
 * hash, without stopping at a match, so the time taken says nothing about which key matched or how much
 * of it. Throws UNAUTHENTICATED (never echoing the key) when the header is missing, malformed or matches
 * no key.
 */
export function apiKeyFor(authorization: string | undefined, keys: readonly ApiKey[]): ApiKey {
  if (authorization === undefined || authorization === '') throw unauthenticated('the request has no Authorization header');
  if (authorization.length > MAX_AUTHORIZATION_LENGTH) throw unauthenticated('the Authorization header is too long');
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!m) throw unauthenticated('the Authorization header is not `Bearer <API key>`');
  const presented = createHash('sha256').update(m[1] as string, 'utf8').digest();
  let found: ApiKey | undefined;
  for (const key of keys) {
    const same = key.sha256.length === presented.length && timingSafeEqual(key.sha256, presented);
    if (same && found === undefined) found = key;
  }
  if (found === undefined) throw unauthenticated('the API key is not one of the configured keys');
  return found;
}

/** True when `key` may mint and read machines of profile `profileName`: admin keys may use every profile. */
export function mayUseProfile(key: ApiKey, profileName: string): boolean {
  return key.scope === 'admin' || key.profiles.includes(profileName);
}

/** True for admin keys, which alone may list and revoke machines of every profile and read metrics. */
export function isAdmin(key: ApiKey): boolean {
  return key.scope === 'admin';
}

/**
 * A new API key: `joinery_` and 43 base64url characters holding 32 random bytes (256 bits), with its
 * SHA-256 for the configuration. Throws INTERNAL_RANDOM_SHORT when `random` returns fewer bytes.
 */
export function generateApiKey(random: RandomBytes = cryptoRandomBytes): { key: string; sha256: string } {
  const bytes = random(32);
  if (!(bytes instanceof Uint8Array) || bytes.length < 32) {
    throw new JoineryError('INTERNAL_RANDOM_SHORT', 'the random source returned fewer than 32 bytes', 'report this as a bug', { family: 'internal' });
  }
  const key = `${API_KEY_PREFIX}${Buffer.from(bytes.subarray(0, 32)).toString('base64url')}`;
  return { key, sha256: apiKeyHash(key) };
}
