/**
 * YAML text exactly as sigs.k8s.io/yaml.Marshal writes it, which is how kubeadm prints its config documents
 * and client-go's clientcmd.Write writes kubeconfigs: the Go value becomes JSON, the JSON is read back into
 * untyped maps and written by gopkg.in/yaml.v2 (libyaml's emitter, Go port). So keys come out sorted by
 * yaml.v2's "natural" key order, sequences inside mappings are not indented, strings that YAML 1.1 would
 * read as something else are double-quoted, and long strings fold at the first space past column 80. The
 * `yaml` package cannot reproduce those choices (its folding and quoting rules differ), so this small writer
 * covers the JSON data model only. Sources: yaml.v2 encode.go (stringv), emitterc.go
 * (yaml_emitter_analyze_scalar, select_scalar_style, the scalar writers, write_indent, write_break),
 * yamlprivateh.go (is_printable, is_break), readerc.go (the characters its reader refuses).
 */
import { JoineryError } from '../errors/index.js';
import { goYamlResolvesNonString, isGoYamlBase60Float } from './resolve.js';

/** A JSON value as sigs.k8s.io/yaml sees it after the JSON round trip. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

/**
 * The code points of `text`, as Go ranges over a string (and as Array.from splits it): a surrogate pair is
 * one code point, an unpaired surrogate stands alone.
 */
function codePoints(text: string): number[] {
  const cps: number[] = [];
  for (let i = 0; i < text.length; ) {
    const c = text.codePointAt(i) as number;
    cps.push(c);
    i += c > 0xffff ? 2 : 1;
  }
  return cps;
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;
/** unicode.IsLetter; ASCII answered without the regular expression. */
function isLetterCp(c: number): boolean {
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return LETTER.test(String.fromCodePoint(c));
}
/** unicode.IsDigit; ASCII answered without the regular expression. */
function isDigitCp(c: number): boolean {
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return DIGIT.test(String.fromCodePoint(c));
}

/** goYamlKeyLess on keys already split into code points. */
function keyLessCps(ar: readonly number[], br: readonly number[]): boolean {
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as number;
    const bc = br[i] as number;
    if (ac === bc) continue;
    const al = isLetterCp(ac);
    const bl = isLetterCp(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === 0x30 || bc === 0x30) {
      for (let j = i - 1; j >= 0 && isDigitCp(ar[j] as number); j--) {
        if (ar[j] !== 0x30) {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigitCp(ar[ai] as number); ai++) {
      an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as number) - 48));
    }
    let bi = i;
    for (; bi < br.length && isDigitCp(br[bi] as number); bi++) {
      bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as number) - 48));
    }
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

/**
 * yaml.v2's keyList.Less for two string keys: letters compare by code point, a non-letter sorts before a
 * letter, and runs of digits compare by numeric value, then by run length ("a9" < "a10" < "a010").
 */
export function goYamlKeyLess(a: string, b: string): boolean {
  return keyLessCps(codePoints(a), codePoints(b));
}

/** Keys of a mapping in the order yaml.v2 writes them (a stable sort, as Go's sort.Sort is not, but keys are unique). */
export function goYamlSortedKeys(keys: readonly string[]): string[] {
  if (keys.length < 2) return [...keys];
  // Each key is split into code points once, not at every comparison.
  const decorated = keys.map((key) => ({ key, cps: codePoints(key) }));
  decorated.sort((x, y) => (keyLessCps(x.cps, y.cps) ? -1 : keyLessCps(y.cps, x.cps) ? 1 : 0));
  return decorated.map((d) => d.key);
}

// ---- characters the JSON → YAML round trip cannot carry ----

/**
 * Why sigs.k8s.io/yaml cannot write `text` unchanged, naming the first offending character, or undefined
 * when it can: an unpaired UTF-16 surrogate (a Go string holds UTF-8, encoding/json would write U+FFFD);
 * U+0085 NEL (encoding/json leaves it raw, and the JSON → YAML step reads it as a line break and folds it
 * into a space); and DEL, the C1 controls and U+FFFE/U+FFFF, which yaml.v2's reader refuses (kubeadm and
 * clientcmd.Write then fail with "yaml: control characters are not allowed"). Checked against kubeadm v1.20.2.
 */
export function goYamlUnsupportedCharacter(text: string): string | undefined {
  const m = /[\u007f-\u0084\u0086-\u009f\ufffe\uffff]|\u0085|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(text);
  if (!m) return undefined;
  const c = m[0].charCodeAt(0);
  const name = `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
  if (c >= 0xd800 && c <= 0xdfff) return `${name}, an unpaired UTF-16 surrogate (Go strings hold only whole characters)`;
  if (c === 0x85) return `${name} (next line), which the JSON-to-YAML step reads as a line break and turns into a space`;
  return `${name}, a control character the Go YAML reader refuses ("control characters are not allowed")`;
}

function unsupported(path: string, what: string): JoineryError {
  return new JoineryError(
    'YAML_VALUE_UNSUPPORTED',
    `${path === '' ? 'the document' : path} contains ${what}; kubeadm's YAML writer (sigs.k8s.io/yaml) cannot write it unchanged`,
    'remove that character from the value',
    path === '' ? {} : { path },
  );
}

// ---- libyaml's scalar analysis (yaml_emitter_analyze_scalar) ----

const isBreakCp = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isBlankzCp = (c: number | undefined): boolean => c === undefined || c === 0x20 || c === 0x09 || isBreakCp(c) || c === 0;
/** yaml.v2's is_printable: NEL and everything beyond the BMP count as not printable (so they are escaped). */
function isPrintableCp(c: number): boolean {
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  );
}

interface Analysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** The first-character indicators of yaml_emitter_analyze_scalar: # , [ ] { } & * ! | > ' " % @ ` */
function isFirstIndicator(c: number): boolean {
  switch (c) {
    case 0x23: case 0x2c: case 0x5b: case 0x5d: case 0x7b: case 0x7d: case 0x26: case 0x2a:
    case 0x21: case 0x7c: case 0x3e: case 0x27: case 0x22: case 0x25: case 0x40: case 0x60:
      return true;
    default:
      return false;
  }
}

function analyzeScalar(value: string, cps: readonly number[]): Analysis {
  if (value === '') return { blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  const n = cps.length;
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
  for (let i = 0; i < n; i++) {
    const c = cps[i] as number;
    if (i === 0) {
      if (isFirstIndicator(c)) blockIndicators = true;
      if ((c === 0x3f || c === 0x3a) && followedByWhitespace) blockIndicators = true;
      if (c === 0x2d && followedByWhitespace) blockIndicators = true;
    } else {
      if (c === 0x3a && followedByWhitespace) blockIndicators = true;
      if (c === 0x23 && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintableCp(c)) specialCharacters = true;
    const isBreak = isBreakCp(c);
    if (isBreak) lineBreaks = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak) {
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
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
function scalarStyle(value: string, cps: readonly number[], simpleKey: boolean): Style {
  let style: Style;
  if (value.includes('\n')) style = 'literal';
  else if (!goYamlResolvesNonString(value) && !isGoYamlBase60Float(value)) style = 'plain';
  else style = 'double';
  const a = analyzeScalar(value, cps);
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

/** The number of code points in `s` (a surrogate pair counts once, an unpaired surrogate once). */
function codePointCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Writes text while tracking the column and whether a line was just broken, as libyaml's emitter does. */
class Writer {
  out = '';
  column = 0;
  /** libyaml's `indention`: a line break was written and nothing but indentation since. */
  indention = true;
  /** Appends `s`; `width` is its length in code points (counted when not given). */
  write(s: string, width?: number): void {
    if (s === '') return;
    this.out += s;
    this.column += width ?? codePointCount(s);
    this.indention = false;
  }
  /** write_break: `\n` starts a new line; another line break (U+2028, U+2029) is written as it is. */
  lineBreak(ch = '\n'): void {
    this.out += ch;
    this.column = 0;
    this.indention = true;
  }
  /** write_indent: a new line unless one was just started, then spaces up to `indent`. */
  indent(indent: number): void {
    if (!this.indention || this.column > indent) this.lineBreak();
    this.out += ' '.repeat(indent - this.column);
    this.column = indent;
    this.indention = true;
  }
}

const codeUnits = (c: number): number => (c > 0xffff ? 2 : 1);

/**
 * Writes the run of code points from `cps[i]` (UTF-16 offset `u` in `value`) up to the first one `stop`
 * accepts, as one slice: libyaml writes such characters one by one with no decision in between, so the
 * text and the column come out the same. Returns the indexes after the run.
 */
function writeRun(w: Writer, value: string, cps: readonly number[], i: number, u: number, stop: (cp: number) => boolean): [number, number] {
  const start = u;
  const first = i;
  for (; i < cps.length; i++) {
    const d = cps[i] as number;
    if (stop(d)) break;
    u += codeUnits(d);
  }
  w.write(value.slice(start, u), i - first);
  return [i, u];
}

/**
 * Writes a scalar string at the writer's position; `indent` is where folded lines continue. Characters
 * that need no decision (no space, break, quote or escape) are written as one run: the emitter writes
 * them one by one with nothing in between, so the text and the column come out the same.
 */
function writeString(w: Writer, value: string, indent: number, simpleKey: boolean, path: string): void {
  const bad = goYamlUnsupportedCharacter(value);
  if (bad !== undefined) throw unsupported(path, bad);
  const cps = codePoints(value);
  const n = cps.length;
  const style = scalarStyle(value, cps, simpleKey);
  const allowBreaks = !simpleKey;
  if (style === 'plain' || style === 'single') {
    const single = style === 'single';
    if (single) w.write("'", 1);
    let spaces = false;
    let breaks = false;
    let u = 0; // code-unit offset of cps[i] in value
    for (let i = 0; i < n; ) {
      const c = cps[i] as number;
      if (c === 0x20) {
        const edgeOk = !single || (i !== 0 && i !== n - 1);
        if (allowBreaks && !spaces && w.column > BEST_WIDTH && edgeOk && cps[i + 1] !== 0x20) w.indent(indent);
        else w.write(' ', 1);
        spaces = true;
        i++;
        u++;
      } else if (isBreakCp(c)) {
        // Only U+2028/U+2029 get here: a value with `\n` is a literal block, one with `\r` is double-quoted.
        if (!breaks && c === 0x0a) w.lineBreak();
        w.lineBreak(String.fromCharCode(c));
        breaks = true;
        i++;
        u++;
      } else {
        if (breaks) w.indent(indent);
        if (single && c === 0x27) {
          w.write("''", 2);
          i++;
          u++;
        } else {
          [i, u] = writeRun(w, value, cps, i, u, (d) => d === 0x20 || isBreakCp(d) || (single && d === 0x27));
        }
        spaces = false;
        breaks = false;
      }
    }
    if (single) w.write("'", 1);
    return;
  }
  if (style === 'double') {
    // yaml.v2's is_bom looks at the start of the value, not at the current character: after a leading
    // U+FEFF, every character is escaped (so nothing folds either).
    const escapeAll = value.startsWith('\ufeff');
    const escaped = (c: number): boolean =>
      escapeAll || !isPrintableCp(c) || isBreakCp(c) || c === 0xfeff || c === 0x22 || c === 0x5c;
    w.write('"', 1);
    let spaces = false;
    let u = 0;
    for (let i = 0; i < n; ) {
      const c = cps[i] as number;
      if (escaped(c)) {
        const e = ESCAPES.get(c);
        const text =
          e !== undefined
            ? `\\${e}`
            : c <= 0xff
              ? `\\x${c.toString(16).toUpperCase().padStart(2, '0')}`
              : c <= 0xffff
                ? `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`
                : `\\U${c.toString(16).toUpperCase().padStart(8, '0')}`;
        w.write(text, text.length);
        spaces = false;
        i++;
        u += codeUnits(c);
      } else if (c === 0x20) {
        if (allowBreaks && !spaces && w.column > BEST_WIDTH && i !== 0 && i !== n - 1) {
          w.indent(indent);
          if (cps[i + 1] === 0x20) w.write('\\', 1);
        } else {
          w.write(' ', 1);
        }
        spaces = true;
        i++;
        u++;
      } else {
        [i, u] = writeRun(w, value, cps, i, u, (d) => d === 0x20 || escaped(d));
        spaces = false;
      }
    }
    w.write('"', 1);
    return;
  }
  // literal block scalar
  let hints = '|';
  if (cps[0] === 0x20 || isBreakCp(cps[0] as number)) hints += String(BEST_INDENT);
  if (!isBreakCp(cps[n - 1] as number)) hints += '-';
  else if (n === 1 || isBreakCp(cps[n - 2] as number)) hints += '+';
  w.write(hints, hints.length);
  w.lineBreak();
  let breaks = true;
  let u = 0;
  for (let i = 0; i < n; ) {
    const c = cps[i] as number;
    if (isBreakCp(c)) {
      w.lineBreak(String.fromCharCode(c));
      breaks = true;
      i++;
      u++;
    } else {
      if (breaks) w.indent(indent);
      [i, u] = writeRun(w, value, cps, i, u, isBreakCp);
      breaks = false;
    }
  }
}

function isEmptyCollection(v: JsonValue): boolean {
  return Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0;
}

function writeScalar(w: Writer, v: JsonValue, indent: number, path: string): void {
  if (v === null) w.write('null', 4);
  else if (typeof v === 'boolean') w.write(v ? 'true' : 'false', v ? 4 : 5);
  else if (typeof v === 'number') {
    const text = formatNumber(v, path);
    w.write(text, text.length);
  } else if (typeof v === 'string') writeString(w, v, indent, false, path);
  else w.write(Array.isArray(v) ? '[]' : '{}', 2);
}

/** Go's JSON numbers come back from yaml.v2 as int or float64; integers print plainly. */
function formatNumber(n: number, path: string): string {
  if (!Number.isFinite(n)) throw unsupported(path, `the non-finite number ${n} (JSON has no such number)`);
  return Number.isInteger(n) ? n.toFixed(0) : String(n);
}

function isCollection(v: JsonValue): v is JsonValue[] | { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !isEmptyCollection(v);
}

const keyPath = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/** Writes a block mapping whose first key goes at the current position and later keys at `indent`. */
function writeMapping(w: Writer, m: { [key: string]: JsonValue }, indent: number, first: boolean, path: string): void {
  let firstKey = first;
  for (const key of goYamlSortedKeys(Object.keys(m))) {
    if (!firstKey) w.indent(indent);
    firstKey = false;
    const v = m[key] as JsonValue;
    const at = keyPath(path, key);
    writeString(w, key, indent, true, at);
    w.write(':', 1);
    if (isCollection(v)) {
      if (Array.isArray(v)) {
        w.indent(indent);
        writeSequence(w, v, indent, true, at);
      } else {
        w.indent(indent + BEST_INDENT);
        writeMapping(w, v, indent + BEST_INDENT, true, at);
      }
    } else {
      w.write(' ', 1);
      writeScalar(w, v, indent + BEST_INDENT, at);
    }
  }
}

function writeSequence(w: Writer, s: JsonValue[], indent: number, first: boolean, path: string): void {
  let firstItem = first;
  s.forEach((v, i) => {
    if (!firstItem) w.indent(indent);
    firstItem = false;
    w.write('- ', 2);
    const at = `${path}[${i}]`;
    if (isCollection(v)) {
      if (Array.isArray(v)) writeSequence(w, v, indent + BEST_INDENT, true, at);
      else writeMapping(w, v, indent + BEST_INDENT, true, at);
    } else {
      writeScalar(w, v, indent + BEST_INDENT, at);
    }
  });
}

/**
 * The YAML text sigs.k8s.io/yaml.Marshal produces for a JSON value (kubeadm's `config print` style,
 * client-go's clientcmd.Write): sorted keys, two-space indentation, unindented sequences under keys, a
 * trailing line break. Throws YAML_VALUE_UNSUPPORTED (with the field path) for a string holding a
 * character the Go round trip cannot carry (see goYamlUnsupportedCharacter) and for a non-finite number.
 */
export function marshalGoYaml(value: JsonValue): string {
  const w = new Writer();
  if (isCollection(value)) {
    if (Array.isArray(value)) writeSequence(w, value, 0, true, '');
    else writeMapping(w, value, 0, true, '');
  } else {
    writeScalar(w, value, 0, '');
  }
  return w.indention ? w.out : `${w.out}\n`;
}
