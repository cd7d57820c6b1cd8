/**
 * Go's `time.Parse(time.RFC3339, s)` and `t.Format(time.RFC3339)`, which is how kubeadm and
 * cluster-bootstrap read and write a bootstrap token's `expiration`. Go's parser is more lenient than
 * RFC 3339 (a one-digit hour, a fraction after the seconds with `.` or `,`, any two-digit offset hour),
 * and an expiration it rejects makes kubeadm skip the token and kube-apiserver treat it as expired, so
 * joinery must accept exactly what Go accepts. Checked against kubeadm v1.20.2 (built with Go 1.19):
 * offsets are not range-checked there (`+25:00` and `+24:61` parse).
 */
import { civilFromDays, daysFromCivil, daysIn } from './calendar.js';

/** A parsed RFC 3339 time: the instant plus the UTC offset it was written in (Go keeps both). */
export interface GoTime {
  /** Seconds since the Unix epoch. */
  unixSeconds: number;
  /** Nanoseconds within the second, 0..999999999. */
  nanos: number;
  /** The offset east of UTC in seconds; `utc` is true when it was written as `Z`. */
  offsetSeconds: number;
  utc: boolean;
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** Go's getnum: one or two leading digits (exactly two when `fixed`). */
function getnum(s: string, fixed: boolean): [number, string] | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) {
    if (fixed) return undefined;
    return [s.charCodeAt(0) - 48, s.slice(1)];
  }
  return [(s.charCodeAt(0) - 48) * 10 + (s.charCodeAt(1) - 48), s.slice(2)];
}

function skip(value: string, literal: string): string | undefined {
  return value.startsWith(literal) ? value.slice(literal.length) : undefined;
}

/**
 * Parses `text` as Go's `time.Parse(time.RFC3339, text)` does; returns undefined exactly where Go
 * returns an error (wrong literal, out-of-range field, day not in month, trailing text).
 */
export function parseGoRfc3339(text: string): GoTime | undefined {
  let v = text;
  if (v.length < 4 || !/^[0-9]{4}/.test(v)) return undefined;
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  const fields: number[] = [];
  // month, day, hour, minute, second with the literal before each and whether two digits are required
  const steps: Array<[string, boolean]> = [
    ['-', true],
    ['-', true],
    ['T', false],
    [':', true],
    [':', true],
  ];
  for (const [literal, fixed] of steps) {
    const rest = skip(v, literal);
    if (rest === undefined) return undefined;
    const n = getnum(rest, fixed);
    if (n === undefined) return undefined;
    fields.push(n[0]);
    v = n[1];
  }
  const [month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields;
  if (month < 1 || month > 12) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let nanos = 0;
  if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) {
    let n = 2;
    while (n < v.length && isDigit(v, n)) n++;
    const digits = v.slice(1, Math.min(n, 10));
    nanos = Number(digits.padEnd(9, '0'));
    v = v.slice(n);
  }
  let offsetSeconds = 0;
  let utc = false;
  if (v.startsWith('Z')) {
    utc = true;
    v = v.slice(1);
  } else {
    if (v.length < 6 || v[3] !== ':') return undefined;
    const sign = v[0];
    const hh = getnum(v.slice(1, 3), true);
    const mm = getnum(v.slice(4, 6), true);
    if (hh === undefined || mm === undefined) return undefined;
    if (sign !== '+' && sign !== '-') return undefined;
    offsetSeconds = (hh[0] * 60 + mm[0]) * 60 * (sign === '-' ? -1 : 1);
    v = v.slice(6);
  }
  if (v !== '') return undefined;
  if (day < 1 || day > daysIn(month, year)) return undefined;
  const wall = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { unixSeconds: wall - offsetSeconds, nanos, offsetSeconds, utc };
}

function pad(n: number, width: number): string {
  return n < 0 ? `-${String(-n).padStart(width - 1, '0')}` : String(n).padStart(width, '0');
}

/**
 * Go's `t.Format(time.RFC3339)`: whole seconds in the time's own offset, `Z` for a zero offset
 * (so `-00:00` prints as `Z`), the fraction dropped.
 */
export function formatGoRfc3339(t: GoTime): string {
  const local = t.unixSeconds + t.offsetSeconds;
  const days = Math.floor(local / 86400);
  const secs = local - days * 86400;
  const [y, m, d] = civilFromDays(days);
  const clock = `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`;
  let zone = 'Z';
  if (t.offsetSeconds !== 0) {
    const minutes = Math.trunc(t.offsetSeconds / 60);
    const abs = Math.abs(minutes);
    zone = `${minutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
  }
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${clock}${zone}`;
}

/** The instant of a Date as a UTC GoTime (fraction kept, whole seconds rounded toward the past as Go does). */
export function goTimeOfDate(date: Date): GoTime {
  const ms = date.getTime();
  const unixSeconds = Math.floor(ms / 1000);
  return { unixSeconds, nanos: (ms - unixSeconds * 1000) * 1_000_000, offsetSeconds: 0, utc: true };
}

/** Nanoseconds since the epoch of a GoTime, as a BigInt. */
export function goTimeNanos(t: GoTime): bigint {
  return BigInt(t.unixSeconds) * 1_000_000_000n + BigInt(t.nanos);
}

/** The JavaScript Date of a GoTime (milliseconds, the sub-millisecond part truncated). */
export function dateOfGoTime(t: GoTime): Date {
  return new Date(t.unixSeconds * 1000 + Math.floor(t.nanos / 1_000_000));
}

/** True when `date` is valid and its UTC year fits RFC 3339's four digits (0000-9999), so Go can read it back. */
export function isFormattableYear(date: Date): boolean {
  const y = date.getUTCFullYear();
  return Number.isFinite(date.getTime()) && y >= 0 && y <= 9999;
}
