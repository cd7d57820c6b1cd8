/**
 * BootstrapToken: generate, parse and validate tokens with kubeadm's rules, encode and decode their
 * Secrets, and print `kubeadm token list`'s table. No I/O: `now` and random bytes come from the caller.
 */
export {
  BOOTSTRAP_GROUP_PATTERN,
  BOOTSTRAP_TOKEN_ID_PATTERN,
  BOOTSTRAP_TOKEN_PATTERN,
  DEFAULT_TOKEN_GROUPS,
  DEFAULT_TOKEN_TTL,
  DEFAULT_TOKEN_USAGES,
  KNOWN_TOKEN_USAGES,
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
export type { BootstrapToken, BootstrapTokenOptions, BootstrapTokenString, RandomSource } from './token.js';
export {
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  SECRET_TYPE_BOOTSTRAP_TOKEN,
  bootstrapTokenSecretName,
  decodeTokenSecret,
  formatExpiration,
  isTokenExpired,
  secretData,
  tokenExpiration,
  tokenSecret,
} from './secret.js';
export type { BootstrapTokenSecret, DecodedBootstrapToken, SecretManifest } from './secret.js';
export { TOKEN_LIST_COLUMNS, tokenListRow, tokenListTable } from './list.js';
export type { SkippedTokenSecret } from './list.js';
export { goTabwriter, padRight, runeCount } from './tabwriter.js';
export type { GoTabwriterOptions } from './tabwriter.js';
export { dateOfGoTime, formatGoRfc3339, parseGoRfc3339 } from './rfc3339.js';
export type { GoTime } from './rfc3339.js';
