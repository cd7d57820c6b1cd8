/**
 * How gopkg.in/yaml.v2 (v2.2.x, the version client-go v0.20 / kubeadm v1.20 marshals with through
 * sigs.k8s.io/yaml) writes a string that is the value of a block-mapping key: which strings it leaves
 * plain, which it quotes (single or double), when it uses a literal block, and where it folds lines
 * longer than 80 columns. This is what makes our kubeconfigs byte-equal to clientcmd.Write.
 *
 * Sources: yaml.v2 encode.go (stringv, isBase60Float), resolve.go (resolve, parseTimestamp) and
 * emitterc.go (yaml_emitter_analyze_scalar, select_scalar_style and the scalar writers).
 */
import { JoineryError } from '../errors/index.js';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;

const RESOLVE_MAP = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON',
  'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF',
  '', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
  '<<',
]);

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** Go's strconv.ParseInt(s, base, 64) (or ParseUint when `unsigned`) succeeds; `s` has no underscores. */
function goParsesInt(s: string, base: 0 | 2, unsigned: boolean): boolean {
  let sign = '';
  let body = s;
  if (!unsigned && (body.startsWith('+') || body.startsWith('-'))) {
    sign = body[0]!;
    body = body.slice(1);
  }
  let digits: string;
  let radix: number;
  if (base === 2) {
    if (!/^[01]+$/.test(body)) return false;
    [digits, radix] = [body, 2];
  } else if (/^0[xX][0-9a-fA-F]+$/.test(body)) [digits, radix] = [body.slice(2), 16];
  else if (/^0[bB][01]+$/.test(body)) [digits, radix] = [body.slice(2), 2];
  else if (/^0[oO][0-7]+$/.test(body)) [digits, radix] = [body.slice(2), 8];
  else if (/^0[0-7]*$/.test(body)) [digits, radix] = [body, 8];
  else if (/^[1-9][0-9]*$/.test(body)) [digits, radix] = [body, 10];
  else return false;
  let v = 0n;
  for (const ch of digits) v = v * BigInt(radix) + BigInt(parseInt(ch, radix));
  if (sign === '-') v = -v;
  return unsigned ? v <= UINT64_MAX : v >= INT64_MIN && v <= INT64_MAX;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?(?:Z|[+-](?:\d\d|[+-]\d):(?:\d\d|[+-]\d)))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d{1,9})?))?$/;

/** yaml.v2 parseTimestamp: Go time.Parse with its four layouts (Go 1.15 rules). */
function isTimestamp(s: string): boolean {
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
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

/** True when yaml.v2 would read the plain scalar `s` back as something other than a string. */
export function resolvesToNonString(s: string): boolean {
  const c = s[0];
  const hint =
    s === '' ? 'N'
    : c === '+' || c === '-' ? 'S'
    : c !== undefined && c >= '0' && c <= '9' ? 'D'
    : c !== undefined && 'yYnNtTfFoO~'.includes(c) ? 'M'
    : c === '.' ? '.'
    : '';
  if (hint === '') return false;
  if (RESOLVE_MAP.has(s)) return true;
  if (hint === '.') {
    // Go's ParseFloat of a decimal starting with '.', underscores only between digits; overflow fails.
    return /^\.\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?$/.test(s) && Number.isFinite(Number(s.replace(/_/g, '')));
  }
  if (hint === 'S' || hint === 'D') {
    if (isTimestamp(s)) return true;
    const plain = s.replace(/_/g, '');
    if (goParsesInt(plain, 0, false) || goParsesInt(plain, 0, true)) return true;
    if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return true;
    if (plain.startsWith('0b')) return goParsesInt(plain.slice(2), 2, false) || goParsesInt(plain.slice(2), 2, true);
    if (plain.startsWith('-0b')) return /^[01]+$/.test(plain.slice(3)) && goParsesInt(`-${plain.slice(3)}`, 2, false);
  }
  return false;
}

function isBase60Float(s: string): boolean {
  const c = s[0];
  if (c === undefined || !(c === '+' || c === '-' || (c >= '0' && c <= '9')) || !s.includes(':')) return false;
  return BASE60_FLOAT.test(s);
}

/** libyaml's is_printable, on a code point. */
function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}

interface Analysis {
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** yaml_emitter_analyze_scalar for a non-empty value without NEL/LS/PS. */
function analyze(cps: string[]): Analysis {
  let blockIndicators = false;
  let specialCharacters = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const text = cps.join('');
  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  cps.forEach((ch, i) => {
    const next = cps[i + 1];
    const followedByWhitespace = next === undefined || next === ' ' || next === '\t';
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if (ch === ':' && followedByWhitespace) blockIndicators = true;
    else if (ch === '#' && precededByWhitespace) blockIndicators = true;
    if (!isPrintable(ch.codePointAt(0)!)) specialCharacters = true;
    const isBreak = ch === '\n' || ch === '\r';
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = ch === ' ' || ch === '\t' || isBreak;
  });
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) blockPlainAllowed = singleQuotedAllowed = false;
  if (spaceBreak || specialCharacters) blockPlainAllowed = singleQuotedAllowed = blockAllowed = false;
  if (lineBreaks || blockIndicators) blockPlainAllowed = false;
  return { blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

const ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

function escape(cp: number): string {
  const named = ESCAPES[cp];
  if (named !== undefined) return `\\${named}`;
  const hex = cp.toString(16).toUpperCase();
  if (cp <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/**
 * The line(s) `<indent spaces><key>: <value>\n` exactly as yaml.v2 writes a string value of a block
 * mapping whose keys start at column `indent`. `key` must be a plain-safe ASCII key.
 */
export function goYamlMappingEntry(key: string, value: string, indent: number): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value) || /[\u0085\u2028\u2029]/.test(value)) {
    throw new JoineryError(
      'KUBECONFIG_VALUE_INVALID',
      `the kubeconfig field ${key} contains a character that cannot be written (an unpaired surrogate or a Unicode line separator)`,
      'remove the character from the value',
      { path: key },
    );
  }
  const cps = Array.from(value);
  const scalarIndent = indent + BEST_INDENT;
  let out = `${' '.repeat(indent)}${key}:`;
  let column = indent + key.length + 1;
  const newline = (): void => {
    out += `\n${' '.repeat(scalarIndent)}`;
    column = scalarIndent;
  };
  const put = (s: string, width = s.length): void => {
    out += s;
    column += width;
  };

  const canUsePlain = !resolvesToNonString(value) && !isBase60Float(value);
  let style: 'plain' | 'single' | 'double' | 'literal' = value.includes('\n') ? 'literal' : canUsePlain ? 'plain' : 'double';
  const a = cps.length === 0 ? { blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false } : analyze(cps);
  if (style === 'plain' && !a.blockPlainAllowed) style = 'single';
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && !a.blockAllowed) style = 'double';

  if (style === 'plain') {
    if (cps.length > 0) put(' ');
    let spaces = false;
    cps.forEach((ch, i) => {
      if (ch === ' ') {
        if (!spaces && column > BEST_WIDTH && cps[i + 1] !== ' ') newline();
        else put(' ');
        spaces = true;
      } else {
        put(ch, 1);
        spaces = false;
      }
    });
  } else if (style === 'single') {
    put(" '");
    let spaces = false;
    cps.forEach((ch, i) => {
      if (ch === ' ') {
        if (!spaces && column > BEST_WIDTH && i > 0 && i < cps.length - 1 && cps[i + 1] !== ' ') newline();
        else put(' ');
        spaces = true;
      } else {
        put(ch === "'" ? "''" : ch, ch === "'" ? 2 : 1);
        spaces = false;
      }
    });
    put("'");
  } else if (style === 'double') {
    put(' "');
    let spaces = false;
    cps.forEach((ch, i) => {
      const cp = ch.codePointAt(0)!;
      if (!isPrintable(cp) || cp === 0xfeff || ch === '\n' || ch === '\r' || ch === '"' || ch === '\\') {
        put(escape(cp));
        spaces = false;
      } else if (ch === ' ') {
        if (!spaces && column > BEST_WIDTH && i > 0 && i < cps.length - 1) {
          newline();
          if (cps[i + 1] === ' ') put('\\');
        } else put(' ');
        spaces = true;
      } else {
        put(ch, 1);
        spaces = false;
      }
    });
    put('"');
  } else {
    put(' |');
    const first = cps[0];
    if (first === ' ' || first === '\n') put(String(BEST_INDENT));
    const last = cps[cps.length - 1];
    if (last !== '\n') put('-');
    else if (cps.length === 1 || cps[cps.length - 2] === '\n') put('+');
    out += '\n';
    let breaks = true;
    for (const ch of cps) {
      if (ch === '\n') {
        out += '\n';
        breaks = true;
      } else {
        if (breaks) out += ' '.repeat(scalarIndent);
        out += ch;
        breaks = false;
      }
    }
  }
  return out.endsWith('\n') ? out : `${out}\n`;
}
