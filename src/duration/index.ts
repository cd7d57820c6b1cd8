/**
 * Go's time.Duration text format, which kubeadm uses everywhere a duration is written
 * (`--ttl 24h0m0s`, `discovery.timeout: 5m0s`, BootstrapToken `ttl`), and apimachinery's
 * ShortHumanDuration, which `kubeadm token list` prints in its TTL column.
 * Durations are carried as BigInt nanoseconds so that the whole int64 range Go allows is exact.
 */
import { JoineryError } from '../errors/index.js';

export const NANOSECOND = 1n;
export const MICROSECOND = 1000n;
export const MILLISECOND = 1_000_000n;
export const SECOND = 1_000_000_000n;
export const MINUTE = 60n * SECOND;
export const HOUR = 60n * MINUTE;

const MAX_INT64 = (1n << 63n) - 1n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NANOSECOND],
  ['us', MICROSECOND],
  ['\u00b5s', MICROSECOND], // U+00B5 micro sign
  ['\u03bcs', MICROSECOND], // U+03BC Greek mu
  ['ms', MILLISECOND],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

function invalid(text: string, what: string, path: string | undefined): JoineryError {
  return new JoineryError(
    'DURATION_INVALID',
    `${path ? `${path}: ` : ''}${JSON.stringify(text)} is not a duration: ${what}`,
    'write a Go duration such as 90s, 15m, 24h or 1h30m (units ns, us, ms, s, m, h); 0 means none',
    path === undefined ? {} : { path },
  );
}

/**
 * The fractional part's nanoseconds exactly as Go computes them (leadingFraction, then
 * `uint64(float64(f) * (float64(unit) / scale))`), so that "0.3333333333333333333h" is 20m0s as in Go.
 */
function fractionOf(digits: string, unit: bigint): bigint {
  let f = 0n;
  let scale = 1;
  let overflow = false;
  for (const ch of digits) {
    if (overflow) continue;
    if (f > MAX_INT64 / 10n) {
      overflow = true;
      continue;
    }
    const y = f * 10n + BigInt(ch.charCodeAt(0) - 48);
    if (y > 1n << 63n) {
      overflow = true;
      continue;
    }
    f = y;
    scale *= 10;
  }
  return BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
}

/**
 * Parses a duration as Go's time.ParseDuration does ("1h30m", "-1.5s", "0"): an optional sign and a
 * sequence of decimal numbers, each with an optional fraction and a unit. Returns nanoseconds.
 * `path` names the field in the error message.
 */
export function parseDuration(text: string, path?: string): bigint {
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid(text, 'it is empty', path);
  let total = 0n;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    const intPart = m?.[1] ?? '';
    const fracPart = m?.[2];
    if (intPart === '' && (fracPart === undefined || fracPart === '')) {
      throw invalid(text, 'expected a number', path);
    }
    s = s.slice((m?.[0] ?? '').length);
    const unitMatch = /^[^0-9.]*/.exec(s);
    const unitText = unitMatch?.[0] ?? '';
    if (unitText === '') throw invalid(text, 'a unit is missing', path);
    const unit = UNITS.get(unitText);
    if (unit === undefined) throw invalid(text, `unknown unit ${JSON.stringify(unitText)}`, path);
    s = s.slice(unitText.length);
    let v = BigInt(intPart === '' ? '0' : intPart) * unit;
    if (fracPart !== undefined && fracPart !== '') v += fractionOf(fracPart, unit);
    total += v;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) throw invalid(text, 'it is out of range', path);
  }
  return neg ? -total : total;
}

/** Formats the fraction v/10**prec without trailing zeros (Go's fmtFrac); returns [text, v/10**prec]. */
function fraction(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printed = printed || digit !== 0n;
    if (printed) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [printed ? `.${digits}` : '', v];
}

/** Formats nanoseconds as Go's Duration.String does: "24h0m0s", "5m0s", "1.5s", "100ms", "0s". */
export function formatDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return '0s';
    let prec: number;
    let unit: string;
    if (u < MICROSECOND) {
      prec = 0;
      unit = 'ns';
    } else if (u < MILLISECOND) {
      prec = 3;
      unit = '\u00b5s';
    } else {
      prec = 6;
      unit = 'ms';
    }
    const [frac, whole] = fraction(u, prec);
    out = `${whole}${frac}${unit}`;
  } else {
    const [frac, secondsTotal] = fraction(u, 9);
    u = secondsTotal;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/**
 * apimachinery's duration.ShortHumanDuration, as printed in the TTL column of `kubeadm token list`:
 * `<invalid>` when more than a second in the past, then `0s`, `Ns`, `Nm`, `Nh`, `Nd`, `Ny`, each
 * truncated toward zero. Takes milliseconds.
 */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}
