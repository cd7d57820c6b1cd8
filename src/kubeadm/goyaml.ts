/**
 * YAML text exactly as kubeadm writes it. kubeadm marshals its config documents with sigs.k8s.io/yaml:
 * the Go struct becomes JSON, the JSON is read back into untyped maps and written by gopkg.in/yaml.v2
 * (libyaml's emitter). So keys come out sorted by yaml.v2's "natural" key order, sequences inside
 * mappings are not indented, strings that YAML 1.1 would read as something else are double-quoted, and
 * long plain strings fold at the first space past column 80. The `yaml` package cannot reproduce those
 * choices (its folding and quoting rules differ), so this small writer covers the JSON data model only.
 */

/** A JSON value as sigs.k8s.io/yaml sees it after the JSON round trip. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

const isLetter = (c: string): boolean => /^\p{L}$/u.test(c);
const isDigit = (c: string): boolean => /^\p{Nd}$/u.test(c);

/**
 * yaml.v2's keyList.Less for two string keys: letters compare by code point, a non-letter sorts before a
 * letter, and runs of digits compare by numeric value, then by run length ("a9" < "a10" < "a010").
 */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai] as string); ai++) {
      an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as string).codePointAt(0)! - 48));
    }
    let bi = i;
    for (; bi < br.length && isDigit(br[bi] as string); bi++) {
      bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as string).codePointAt(0)! - 48));
    }
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return (ac.codePointAt(0) as number) < (bc.codePointAt(0) as number);
  }
  return ar.length < br.length;
}

/** Keys of a mapping in the order yaml.v2 writes them (a stable sort, as Go's sort.Sort is not, but keys are unique). */
export function goYamlSortedKeys(keys: readonly string[]): string[] {
  return [...keys].sort((x, y) => (goYamlKeyLess(x, y) ? -1 : goYamlKeyLess(y, x) ? 1 : 0));
}

// ---- yaml.v2 resolve(): which plain strings would read back as something other than a string ----

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseInt(s, 0, 64), falling back to ParseUint(s, 0, 64): the value, or undefined. */
function goParseInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const digits = m[2] as string;
  let v: bigint;
  if (/^0[oO]/.test(digits)) v = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]+$/.test(digits)) v = BigInt(`0o${digits.slice(1)}`);
  else v = BigInt(digits);
  if (m[1] === '-') v = -v;
  if (v >= INT64_MIN && v <= INT64_MAX) return v;
  return m[1] === '' && v <= UINT64_MAX ? v : undefined;
}

function daysIn(month: number, year: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** yaml.v2 parseTimestamp: the four layouts it tries, with Go time.Parse's range checks. */
function goParsesAsTimestamp(s: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?)?$/.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  if (m[6] === undefined) return true;
  if (Number(m[6]) > 23 || Number(m[7]) > 59 || Number(m[8]) > 59) return false;
  const zone = m[10];
  if (m[4] !== undefined) {
    if (zone === undefined) return false;
    if (zone !== 'Z' && (Number(zone.slice(1, 3)) > 23 || Number(zone.slice(4)) > 59)) return false;
    return true;
  }
  return zone === undefined;
}

const RESOLVED: ReadonlyMap<string, null | boolean | number> = new Map<string, null | boolean | number>([
  ...['', '~', 'null', 'Null', 'NULL'].map((k) => [k, null] as const),
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'].map((k) => [k, true] as const),
  ...['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'].map((k) => [k, false] as const),
  ...['.nan', '.NaN', '.NAN'].map((k) => [k, Number.NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((k) => [k, Number.POSITIVE_INFINITY] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((k) => [k, Number.NEGATIVE_INFINITY] as const),
]);

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
 * in Go's base-0 syntax with underscores dropped, floats, timestamps (which yaml.v2 hands back as
 * strings). Base-60 numbers are deliberately not numbers in yaml.v2.
 */
export function resolveGoYamlPlain(s: string): GoYamlScalar {
  if (RESOLVED.has(s)) {
    const v = RESOLVED.get(s) as null | boolean | number;
    if (v === null) return { tag: 'null', value: null };
    if (typeof v === 'boolean') return { tag: 'bool', value: v };
    return { tag: 'float', value: v };
  }
  const c = s[0] as string;
  if (c === '.') {
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && Number.isFinite(Number(s))) return { tag: 'float', value: Number(s) };
  } else if (c === '+' || c === '-' || (c >= '0' && c <= '9')) {
    if (goParsesAsTimestamp(s)) return { tag: 'timestamp', value: s };
    const plain = s.replaceAll('_', '');
    const i = goParseInt(plain);
    if (i !== undefined) return { tag: 'int', value: i };
    if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return { tag: 'float', value: Number(plain) };
    const bin = /^(-?)0b([01]+)$/.exec(plain);
    if (bin) {
      const v = BigInt(`0b${bin[2]}`) * (bin[1] === '-' ? -1n : 1n);
      if (v >= INT64_MIN && v <= INT64_MAX) return { tag: 'int', value: v };
    }
  }
  return { tag: 'str', value: s };
}

/** True when yaml.v2 would not read the plain scalar `s` back as the same string. */
export function goYamlResolvesNonString(s: string): boolean {
  return resolveGoYamlPlain(s).tag !== 'str';
}

function isBase60Float(s: string): boolean {
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);
}

// ---- libyaml's scalar analysis (yaml_emitter_analyze_scalar) ----

const isBreakCp = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isBlankzCp = (c: number | undefined): boolean => c === undefined || c === 0x20 || c === 0x09 || isBreakCp(c) || c === 0;
function isPrintableCp(c: number): boolean {
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    c === 0x85 ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

interface Analysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function analyzeScalar(value: string): Analysis {
  if (value === '') return { blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const cps = Array.from(value, (ch) => ch.codePointAt(0) as number);
  let blockIndicators = value.startsWith('---') || value.startsWith('...');
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankzCp(cps[1]);
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i] as number;
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':') && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintableCp(c)) specialCharacters = true;
    if (isBreakCp(c)) lineBreaks = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakCp(c)) {
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankzCp(c);
    followedByWhitespace = isBlankzCp(cps[i + 2]);
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

type Style = 'plain' | 'single' | 'double' | 'literal';

/** yaml.v2 encoder.stringv's request, then libyaml's yaml_emitter_select_scalar_style. */
function scalarStyle(value: string, simpleKey: boolean): Style {
  let style: Style;
  if (value.includes('\n')) style = 'literal';
  else if (!goYamlResolvesNonString(value) && !isBase60Float(value)) style = 'plain';
  else style = 'double';
  const a = analyzeScalar(value);
  if (style === 'plain') {
    if (!a.blockPlainAllowed || (value === '' && simpleKey)) style = 'single';
  }
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || simpleKey)) style = 'double';
  return style;
}

const ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x00, '0'], [0x07, 'a'], [0x08, 'b'], [0x09, 't'], [0x0a, 'n'], [0x0b, 'v'], [0x0c, 'f'], [0x0d, 'r'],
  [0x1b, 'e'], [0x22, '"'], [0x5c, '\\'], [0x85, 'N'], [0xa0, '_'], [0x2028, 'L'], [0x2029, 'P'],
]);

/** Writes text while tracking the column, the way libyaml's emitter does. */
class Writer {
  out = '';
  column = 0;
  write(s: string): void {
    this.out += s;
    this.column += Array.from(s).length;
  }
  /** Starts a new line at `indent` (a block scalar may already have ended the line). */
  newline(indent: number): void {
    this.out += `${this.column === 0 && this.out.endsWith('\n') ? '' : '\n'}${' '.repeat(indent)}`;
    this.column = indent;
  }
}

/** Writes a scalar string at the writer's position; `indent` is where folded lines continue. */
function writeString(w: Writer, value: string, indent: number, simpleKey: boolean): void {
  const style = scalarStyle(value, simpleKey);
  const allowBreaks = !simpleKey;
  const cps = Array.from(value);
  const isSpaceAt = (i: number): boolean => cps[i] === ' ';
  if (style === 'plain' || style === 'single') {
    const q = style === 'single' ? "'" : '';
    w.write(q);
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i] as string;
      if (ch === ' ') {
        const edgeOk = style === 'plain' || (i !== 0 && i !== cps.length - 1);
        if (allowBreaks && !spaces && w.column > BEST_WIDTH && edgeOk && !isSpaceAt(i + 1)) w.newline(indent);
        else w.write(ch);
        spaces = true;
      } else {
        w.write(ch === "'" && style === 'single' ? "''" : ch);
        spaces = false;
      }
    }
    w.write(q);
    return;
  }
  if (style === 'double') {
    w.write('"');
    let spaces = false;
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i] as string;
      const c = ch.codePointAt(0) as number;
      if (!isPrintableCp(c) || isBreakCp(c) || c === 0xfeff || ch === '"' || ch === '\\') {
        const e = ESCAPES.get(c);
        if (e !== undefined) w.write(`\\${e}`);
        else if (c <= 0xff) w.write(`\\x${c.toString(16).toUpperCase().padStart(2, '0')}`);
        else if (c <= 0xffff) w.write(`\\u${c.toString(16).toUpperCase().padStart(4, '0')}`);
        else w.write(`\\U${c.toString(16).toUpperCase().padStart(8, '0')}`);
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && w.column > BEST_WIDTH && i !== 0 && i !== cps.length - 1) {
          w.newline(indent);
          if (isSpaceAt(i + 1)) w.write('\\');
        } else {
          w.write(ch);
        }
        spaces = true;
      } else {
        w.write(ch);
        spaces = false;
      }
    }
    w.write('"');
    return;
  }
  // literal block scalar
  let hints = '|';
  const first = (cps[0] as string).codePointAt(0) as number;
  if (first === 0x20 || isBreakCp(first)) hints += String(BEST_INDENT);
  const last = (cps[cps.length - 1] as string).codePointAt(0) as number;
  if (!isBreakCp(last)) hints += '-';
  else if (cps.length === 1 || isBreakCp((cps[cps.length - 2] as string).codePointAt(0) as number)) hints += '+';
  w.write(hints);
  let breaks = true;
  w.out += '\n';
  w.column = 0;
  for (const ch of cps) {
    if (isBreakCp(ch.codePointAt(0) as number)) {
      w.out += '\n';
      w.column = 0;
      breaks = true;
    } else {
      if (breaks) {
        w.write(' '.repeat(indent));
        breaks = false;
      }
      w.write(ch);
    }
  }
}

function isEmptyCollection(v: JsonValue): boolean {
  return Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

function writeScalar(w: Writer, v: JsonValue, indent: number): void {
  if (v === null) w.write('null');
  else if (typeof v === 'boolean') w.write(v ? 'true' : 'false');
  else if (typeof v === 'number') w.write(formatNumber(v));
  else if (typeof v === 'string') writeString(w, v, indent, false);
  else w.write(Array.isArray(v) ? '[]' : '{}');
}

/** Go's JSON numbers come back from yaml.v2 as int or float64; integers print plainly. */
function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError('a YAML document cannot hold a non-finite number');
  return Number.isInteger(n) ? n.toFixed(0) : String(n);
}

function isCollection(v: JsonValue): v is JsonValue[] | { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !isEmptyCollection(v);
}

/** Writes a block mapping whose first key goes at the current position and later keys at `indent`. */
function writeMapping(w: Writer, m: { [key: string]: JsonValue }, indent: number, first: boolean): void {
  let firstKey = first;
  for (const key of goYamlSortedKeys(Object.keys(m))) {
    if (!firstKey) w.newline(indent);
    firstKey = false;
    const v = m[key] as JsonValue;
    writeString(w, key, indent, true);
    w.write(':');
    if (isCollection(v)) {
      if (Array.isArray(v)) {
        w.newline(indent);
        writeSequence(w, v, indent, true);
      } else {
        w.newline(indent + BEST_INDENT);
        writeMapping(w, v, indent + BEST_INDENT, true);
      }
    } else {
      w.write(' ');
      writeScalar(w, v, indent + BEST_INDENT);
    }
  }
}

function writeSequence(w: Writer, s: JsonValue[], indent: number, first: boolean): void {
  let firstItem = first;
  for (const v of s) {
    if (!firstItem) w.newline(indent);
    firstItem = false;
    w.write('- ');
    if (isCollection(v)) {
      if (Array.isArray(v)) writeSequence(w, v, indent + BEST_INDENT, true);
      else writeMapping(w, v, indent + BEST_INDENT, true);
    } else {
      writeScalar(w, v, indent + BEST_INDENT);
    }
  }
}

/**
 * The YAML text sigs.k8s.io/yaml.Marshal produces for a JSON value (kubeadm's `config print` style):
 * sorted keys, two-space indentation, unindented sequences under keys, a trailing newline.
 */
export function marshalGoYaml(value: JsonValue): string {
  const w = new Writer();
  if (isCollection(value)) {
    if (Array.isArray(value)) writeSequence(w, value, 0, true);
    else writeMapping(w, value, 0, true);
  } else {
    writeScalar(w, value, 0);
  }
  return w.out.endsWith('\n') && w.column === 0 ? w.out : `${w.out}\n`;
}
