/**
 * The text table of `kubeadm token list` (v1.20.2 and newer), byte for byte. kubeadm's text printer
 * makes a new tabwriter (minwidth 10, tabwidth 4, padding 3, padchar ' ') for each token, writes the
 * header into the first one only, writes the row as
 * `token\t%-9s(ttl)\texpires\t%-22s(usages)\t%-56s(description)\tgroups\n`, and flushes; so column
 * widths are computed for the header with the first row, then for each later row alone.
 */
import { isJoineryError } from '../errors/index.js';
import { shortHumanDuration } from '../duration/index.js';
import { goTabwriter, padRight } from './tabwriter.js';
import { formatGoRfc3339, goTimeNanos } from '../gotime/index.js';
import { decodeTokenSecret, DecodedBootstrapToken, hasUnparseableExpiration, SecretManifest } from './secret.js';
import { scrubSecrets, tokenString } from './token.js';

const TOKEN_LIST_COLUMNS: readonly string[] = ['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'];

const TABWRITER = { minwidth: 10, tabwidth: 4, padding: 3, padchar: ' ' } as const;
const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

/** A Secret kubeadm would not list, and why (the reason never holds a token secret). */
export interface SkippedTokenSecret {
  name: string;
  reason: string;
}

function isDecoded(x: unknown): x is DecodedBootstrapToken {
  return x !== null && typeof x === 'object' && 'token' in x && 'expirationTime' in x;
}

/**
 * One row of the table (without tabwriter alignment): TTL is apimachinery's ShortHumanDuration of
 * expires - now (Go's Sub saturates at ±292 years), EXPIRES is the stored time in its own offset
 * (Go's Format(time.RFC3339)), `<forever>`/`<never>`/`<none>` for missing values.
 */
function tokenListRow(token: DecodedBootstrapToken, now: Date): string {
  let ttl = '<forever>';
  let expires = '<never>';
  const t = token.expirationTime;
  if (t !== undefined) {
    let diff = goTimeNanos(t) - BigInt(now.getTime()) * 1_000_000n;
    if (diff > MAX_INT64) diff = MAX_INT64;
    if (diff < MIN_INT64) diff = MIN_INT64;
    ttl = shortHumanDuration(Number(diff / 1_000_000n));
    expires = formatGoRfc3339(t);
  }
  const usages = token.usages.join(',') || '<none>';
  const description = token.description || '<none>';
  const groups = token.groups.join(',') || '<none>';
  return `${tokenString(token.token)}\t${padRight(ttl, 9)}\t${expires}\t${padRight(usages, 22)}\t${padRight(description, 56)}\t${groups}\n`;
}

/**
 * `kubeadm token list`'s stdout for these Secrets (or already decoded tokens) at `now`, in the order
 * given, plus the Secrets kubeadm skips (it prints an error on stderr for each): those
 * BootstrapTokenFromSecret refuses, including an expiration Go cannot parse. No tokens: empty text,
 * no header. The caller lists Secrets with the type=bootstrap.kubernetes.io/token field selector, as
 * kubeadm does. The TOKEN column holds the full token, as kubeadm prints it.
 */
export function tokenListTable(
  secretsOrDecoded: ReadonlyArray<SecretManifest | DecodedBootstrapToken>,
  now: Date,
): { text: string; skipped: SkippedTokenSecret[] } {
  let text = '';
  const skipped: SkippedTokenSecret[] = [];
  let headerPrinted = false;
  for (const item of secretsOrDecoded) {
    let decoded: DecodedBootstrapToken;
    if (isDecoded(item)) {
      decoded = item;
    } else {
      try {
        decoded = decodeTokenSecret(item);
      } catch (err) {
        if (!isJoineryError(err)) throw err;
        skipped.push({ name: skippedName(item), reason: err.message });
        continue;
      }
    }
    if (hasUnparseableExpiration(decoded)) {
      skipped.push({
        name: scrubSecrets(decoded.name, [decoded.token.secret]),
        reason: `the expiration of bootstrap token ${decoded.token.id} is not an RFC 3339 time`,
      });
      continue;
    }
    let chunk = '';
    if (!headerPrinted) {
      chunk += `${TOKEN_LIST_COLUMNS.join('\t')}\n`;
      headerPrinted = true;
    }
    chunk += tokenListRow(decoded, now);
    text += goTabwriter(chunk, TABWRITER);
  }
  return { text, skipped };
}

function skippedName(item: unknown): string {
  const meta = item !== null && typeof item === 'object' ? (item as { metadata?: unknown }).metadata : undefined;
  const name = meta !== null && typeof meta === 'object' ? (meta as { name?: unknown }).name : undefined;
  if (typeof name !== 'string') return '';
  const data = (item as { data?: Record<string, unknown>; stringData?: Record<string, unknown> });
  const secrets: string[] = [];
  const fromString = data.stringData?.['token-secret'];
  if (typeof fromString === 'string') secrets.push(fromString);
  const fromData = data.data?.['token-secret'];
  if (typeof fromData === 'string') secrets.push(Buffer.from(fromData, 'base64').toString('utf8'));
  return scrubSecrets(name, secrets);
}
