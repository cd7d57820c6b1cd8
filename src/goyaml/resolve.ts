/**
 * gopkg.in/yaml.v2's resolve() for plain (untagged, unquoted) scalars: which text it reads as null, a
 * YAML 1.1 boolean, an int, a float or a timestamp rather than a string. Sources: yaml.v2 resolve.go
 * (resolve, parseTimestamp) and encode.go (isBase60Float). Cases where the Go version matters were
 * checked against the kubeadm v1.20.2 test binary, which is built with Go 1.19.
 */
import { daysIn } from '../gotime/index.js';

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

const RESOLVED: ReadonlyMap<string, null | boolean | number> = new Map<string, null | boolean | number>([
  ...['', '~', 'null', 'Null', 'NULL'].map((k) => [k, null] as const),
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((k) => [k, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((k) => [k, false] as const),
  ...['.nan', '.NaN', '.NAN'].map((k) => [k, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((k) => [k, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((k) => [k, Number.NEGATIVE_INFINITY] as const),
]);

/** Go's strconv.ParseInt(s, base, 64), then ParseUint(s, base, 64): the value, or undefined. `s` has no underscores. */
function goParseInt(s: string, base: 0 | 2): bigint | undefined {
  const m = (
    base === 2 ? /^([+-]?)()([01]+)$/ : /^([+-]?)(0[xX]|0[oO]|0[bB]|0(?=[0-7]))?([0-9a-fA-F]+)$/
  ).exec(s);
  if (!m) return undefined;
  const prefix = (m[2] ?? '').toLowerCase();
  const digits = m[3] as string;
  let v: bigint;
  if (base === 2 || prefix === '0b') {
    if (!/^[01]+$/.test(digits)) return undefined;
    v = BigInt(`0b${digits}`);
  } else if (prefix === '0x') {
    v = BigInt(`0x${digits}`);
  } else if (prefix === '0o' || prefix === '0') {
    if (!/^[0-7]+$/.test(digits)) return undefined;
    v = BigInt(`0o${digits}`);
  } else {
    if (!/^(?:0|[1-9][0-9]*)$/.test(digits)) return undefined;
    v = BigInt(digits);
  }
  if (m[1] === '-') v = -v;
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  return m[1] === '' && v <= UINT64_MAX ? v : undefined;
}

// yaml.v2's four layouts as Go's time.Parse reads them: one-or-two-digit fields, a fraction of up to 9
// digits after `.` (or `,`, which Go accepts since 1.17), a zone whose hour and minute go through Go's
// atoi (so `+99:99` and `+-5:-5` pass, no range check), and a layout space matching a run of spaces.
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d{1,9})?(?:Z|[+-](?:\d\d|[+-]\d):(?:\d\d|[+-]\d))| +(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d{1,9})?)?$/;

/** yaml.v2 parseTimestamp: one of its layouts parses with Go's range checks (day within its month). */
function isGoYamlTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  const hms = m[4] !== undefined ? [m[4], m[5], m[6]] : m[7] !== undefined ? [m[7], m[8], m[9]] : undefined;
  if (hms) {
    const [h, mi, se] = hms.map(Number) as [number, number, number];
    if (h > 23 || mi > 59 || se > 59) return false;
  }
  return true;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
/** Go's ParseFloat of text starting with '.': underscores only between digits (strconv's underscoreOK). */
const DOT_FLOAT = /^\.[0-9]+(?:_[0-9]+)*(?:[eE][-+]?[0-9]+(?:_[0-9]+)*)?$/;

/** What yaml.v2 reads from a plain scalar when the target is untyped (`interface{}`). */
export type GoYamlScalar =
  | { tag: 'str'; value: string }
  | { tag: 'null'; value: null }
  | { tag: 'bool'; value: boolean }
  | { tag: 'int'; value: bigint }
  | { tag: 'float'; value: number }
  | { tag: 'timestamp'; value: string };

/**
 * yaml.v2's resolve() for an untagged plain scalar: YAML 1.1 booleans (yes/no/on/off/y/n), nulls, ints
 * in Go's base-0 syntax with underscores dropped (and `0b`/`-0b` read in base 2), floats, timestamps
 * (handed back as text, as yaml.v2 does for an untyped target). `<<` and base-60 numbers stay strings.
 */
export function resolveGoYamlPlain(s: string): GoYamlScalar {
  if (RESOLVED.has(s)) {
    const known = RESOLVED.get(s) as null | boolean | number;
    if (known === null) return { tag: 'null', value: null };
    if (typeof known === 'boolean') return { tag: 'bool', value: known };
    return { tag: 'float', value: known };
  }
  const c = s[0] as string;
  if (c === '.') {
    if (DOT_FLOAT.test(s)) {
      const f = Number(s.replaceAll('_', ''));
      if (Number.isFinite(f)) return { tag: 'float', value: f };
    }
  } else if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    if (isGoYamlTimestamp(s)) return { tag: 'timestamp', value: s };
    const plain = s.replaceAll('_', '');
    const i = goParseInt(plain, 0);
    if (i !== undefined) return { tag: 'int', value: i };
    if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return { tag: 'float', value: Number(plain) };
    if (plain.startsWith('0b')) {
      const b = goParseInt(plain.slice(2), 2);
      if (b !== undefined) return { tag: 'int', value: b };
    } else if (plain.startsWith('-0b') && /^[01]+$/.test(plain.slice(3))) {
      const b = goParseInt(`-${plain.slice(3)}`, 2);
      if (b !== undefined) return { tag: 'int', value: b };
    }
  }
  return { tag: 'str', value: s };
}

/** True when yaml.v2 would not read the plain scalar `s` back as the same string (so its writer quotes it). */
export function goYamlResolvesNonString(s: string): boolean {
  return resolveGoYamlPlain(s).tag !== 'str';
}

const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** yaml.v2 encode.go isBase60Float: YAML 1.1 sexagesimal numbers (`1:20`), which its writer quotes. */
export function isGoYamlBase60Float(s: string): boolean {
  return BASE60_FLOAT.test(s);
}
