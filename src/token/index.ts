/**
 * BootstrapToken: generate, parse and validate tokens with kubeadm's rules, encode and decode their
 * Secrets, and print `kubeadm token list`'s table. No I/O: `now` and random bytes come from the caller.
 */
export {
  BOOTSTRAP_TOKEN_PATTERN,
  DEFAULT_TOKEN_GROUPS,
  DEFAULT_TOKEN_TTL,
  DEFAULT_TOKEN_USAGES,
  bootstrapToken,
  generateBootstrapToken,
  isValidBootstrapToken,
  isValidTokenId,
  parseBootstrapToken,
  redactToken,
  scrubSecrets,
  tokenString,
  validateTokenGroup,
  validateTokenGroups,
  validateTokenUsages,
} from './token.js';
export type { BootstrapToken, BootstrapTokenOptions, BootstrapTokenString } from './token.js';
export {
  decodeTokenSecret,
  hasUnparseableExpiration,
  isTokenExpired,
  tokenSecret,
} from './secret.js';
export type { BootstrapTokenSecret, DecodedBootstrapToken, SecretManifest } from './secret.js';
export { tokenListTable } from './list.js';
export type { SkippedTokenSecret } from './list.js';
export { goTabwriter, padRight, runeCount } from './tabwriter.js';
export type { GoTabwriterOptions } from './tabwriter.js';
/** The type of DecodedBootstrapToken.expirationTime; its functions are in src/gotime. */
export type { GoTime } from '../gotime/index.js';
