/**
 * Shared generators and the property of the parser fuzz tests (issue 6 §3): a parser returns a value or
 * throws a JoineryError (stable code, message, fix, the field's path when a field is at fault, no secret
 * in message or fix); any other throw (TypeError, RangeError, stack overflow) or a slow case is a bug.
 *
 * Most cases are structure-aware: a valid document with fields replaced, deleted, added, copied or
 * nested deeply at random paths, written as JSON, as block YAML (shared values become anchors and
 * aliases) or as YAML with raw text edits (tags, anchors, merge keys, duplicate lines, huge numbers).
 * The rest is raw text: binary strings, decoded random bytes, YAML token soup, billion laughs, deep
 * nesting.
 *
 * JOINERY_FUZZ_RUNS=N runs N cases per parser (defaults: 10,000 for joinery.yaml, 18,000 for the spec and
 * kubeadm readers; 100,000 for the CI-sized run), JOINERY_FUZZ_SEED replays a run.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify as yamlStringify } from 'yaml';
import { JoineryError } from '../../../src/errors/index.js';
import { scrubSecrets } from '../../../src/token/index.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Holder = Json[] | { [key: string]: Json };

/**
 * Cases per parser: JOINERY_FUZZ_RUNS, else the file's default, sized so that the three parser files
 * take about 55 s together on a busy 2-core machine (a case costs 0.7 ms for the spec and kubeadm
 * readers, 1.9 ms for joinery.yaml: the YAML parser dominates). The CI-sized run of issue 6 is
 * JOINERY_FUZZ_RUNS=100000 (measured: joinery.yaml 188 s, spec 68 s, kubeadm 72 s).
 */
export function fuzzRuns(defaultRuns: number): number {
  const env = process.env['JOINERY_FUZZ_RUNS'];
  const n = env === undefined || env === '' ? defaultRuns : Number(env);
  if (!Number.isInteger(n) || n < 1) throw new Error(`JOINERY_FUZZ_RUNS=${env} is not a positive whole number`);
  return n;
}

/** Splits `total` runs over property tests by weight (each gets at least 1). */
export function share(total: number, weight: number, weights: number): number {
  return Math.max(1, Math.round((total * weight) / weights));
}

/** A case slower than this is a hang for the property (catastrophic backtracking, quadratic blow-up). */
export const SLOW_CASE_MS = Number(process.env['JOINERY_FUZZ_SLOW_MS'] ?? 5000);

/** fast-check's seed: JOINERY_FUZZ_SEED reproduces a run (the failure message prints the seed and path). */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env['JOINERY_FUZZ_SEED'];
  return { numRuns, ...(seed === undefined || seed === '' ? {} : { seed: Number(seed) }), endOnFailure: false, includeErrorInReport: true };
}

export interface Expectation {
  /** Strings that must appear in no message or fix (secrets of the base documents and the pools). */
  secrets: readonly string[];
  /** When set, a JoineryError with a code other than these must carry a path. */
  pathRequiredUnless?: (err: JoineryError) => boolean;
}

function preview(input: unknown): string {
  let s: string;
  try {
    s = typeof input === 'string' ? JSON.stringify(input) : JSON.stringify(input, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
  } catch {
    s = String(input);
  }
  return s === undefined ? String(input) : s.length > 2000 ? `${s.slice(0, 2000)}... (${s.length} characters)` : s;
}

/**
 * Runs `parse(input)` and checks the property; returns the error (or undefined on success). `pathWanted`
 * says whether the case changed a field (so an error about it should name its path).
 */
export function checkOutcome(parse: (input: never) => unknown, input: unknown, expect: Expectation, pathWanted = false): JoineryError | undefined {
  const t0 = performance.now();
  let err: unknown;
  try {
    parse(input as never);
  } catch (e) {
    err = e;
  }
  const ms = performance.now() - t0;
  assert.ok(ms < SLOW_CASE_MS, `the parser took ${Math.round(ms)} ms on ${preview(input)}`);
  if (err === undefined) return undefined;
  if (!(err instanceof JoineryError)) {
    const e = err as Error;
    assert.fail(`not a JoineryError: ${e?.name}: ${e?.message}\n${e?.stack?.split('\n').slice(0, 8).join('\n')}\ninput: ${preview(input)}`);
  }
  assert.equal(typeof err.code, 'string');
  assert.match(err.code, /^[A-Z][A-Z0-9_]*$/, `code ${JSON.stringify(err.code)} is not a stable code`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, `empty message (code ${err.code})`);
  assert.equal(typeof err.fix, 'string');
  assert.ok(err.fix.length > 0, `empty fix (code ${err.code})`);
  assert.ok(err.path === undefined || (typeof err.path === 'string' && err.path.length > 0), `path ${JSON.stringify(err.path)}`);
  assert.ok(['usage', 'input', 'trust', 'cluster', 'io', 'internal'].includes(err.family));
  assert.notEqual(err.family, 'internal', `an internal error: ${err.message}`);
  // No secret: nothing that scrubSecrets would redact (a bootstrap token, a long hex string such as a
  // SHA-256) and none of the known secrets. A token mangled by a text edit (`bcdef.0123456789abcdef`)
  // is no longer a token: its fragments are not looked for.
  for (const [field, text] of [['message', err.message], ['fix', err.fix], ['path', err.path ?? '']] as const) {
    assert.equal(scrubSecrets(text), text, `the ${field} holds a token or a long hex string: ${text}\ninput: ${preview(input)}`);
    for (const s of expect.secrets) assert.ok(!text.includes(s), `the ${field} echoes the secret ${s}: ${text}\ninput: ${preview(input)}`);
  }
  if (pathWanted && expect.pathRequiredUnless !== undefined && !expect.pathRequiredUnless(err)) {
    assert.ok(err.path !== undefined, `${err.code} without a path: ${err.message}\ninput: ${preview(input)}`);
  }
  return err;
}

// ---------------------------------------------------------------- values

/** A bootstrap token, an API key's SHA-256 and a certificate key: fake, but secret-shaped. */
export const TOKEN = 'abcdef.0123456789abcdef';
export const TOKEN_SECRET = '0123456789abcdef';
export const TOKEN2 = 'k9x2q7.zz81mm0pq4r7s2t5';
export const TOKEN2_SECRET = 'zz81mm0pq4r7s2t5';
export const HASH = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
export const CERT_KEY = 'e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204';
/** The secrets that must never come back in an error (whole: see checkOutcome). */
export const SECRETS = [TOKEN, TOKEN2, HASH, CERT_KEY, HASH.toUpperCase()];

const LONG = ['a'.repeat(70), 'x'.repeat(5000), `${'-'.repeat(3000)}!`, `${'a.'.repeat(2000)}-`, `/${'a/'.repeat(2000)}`, `${'0'.repeat(400)}1`];

/** Strings that mean something to YAML 1.1, Go, kubeadm, joinery or JavaScript. */
export const TRICKY_STRINGS: readonly string[] = [
  '', ' ', '~', 'null', 'Null', 'yes', 'no', 'on', 'off', 'y', 'n', 'true', '0640', '0o17', '0x1F', '0b101', '1e400', '-1e400', '.inf', '-.inf', '.nan',
  '1_000', '1:20', '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<', '=', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  '\0', 'a\0b', '\uD800', '\uDFFFx', '\uFFFE', '\uFEFF', '\u2028', '\u0085', '\t', '\n', '\r\n', 'a\nb', '#', '# c', '- a', ': ', 'a: b', '[', '{', '}', ']',
  '&a', '*a', '!!binary', '!!js/function', '%', '@', '`', '"', "'", '\\', '/', '//', '/etc/x', '/etc/../x', '..', '../..', '.', '-', '--', 'a b', 'A',
  'root:root', 'root', '$', 'root:', ':root', '127.0.0.1:8443', '127.0.0.1:0', '[::1]:0', '[::]:80', '0.0.0.0:1', 'localhost:99999', '::1', '10.0.0.1', 'cp.example:6443',
  'https://x', 'https://joinery.example.com:8443/p/', 'http://127.0.0.1', 'http://u:p@h', 'https://h/?q#f', 'file:///x', 'https://e/{{version}}/{{name}}', '{{x}}', '{{ version }}',
  '15m', '0s', '-1s', '25h', '24h', '1ns', '1.5s', '9223372036854775807ns', '99999999999h', '5m0s', 'worker', 'control-plane', 'init', 'admin', 'provisioner',
  'script', 'ignition', 'cloud-config', 'gzip', 'base64', 'gzip+base64', 'H4sIAAAAAAAA', 'aGk=', '====', 'NoSchedule', 'Always', 'IfNotPresent', 'gpt', 'mbr',
  'worker-[a-z0-9-]+', '(?=a)', '(?<!a)', '\\1', '\\k<a>', '(?<a>x)\\k<a>', '(a+)+$', 'a{99999}', '[a-', '(', ')', '\\', '\\p{L}', '(?i)a',
  'v1.30.0', 'v1.36.3', '1.30', 'v1.99999999999.0', 'kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta2', 'kubeadm.k8s.io/v1beta1',
  'bootstrap.cluster.x-k8s.io/v1beta1', 'KubeadmConfig', 'KubeadmConfigTemplate', 'JoinConfiguration', 'InitConfiguration', 'ClusterConfiguration', 'ResetConfiguration',
  'sha256:', `sha256:${HASH}`, `sha256:${'d'.repeat(64)}`, TOKEN, TOKEN2, `${TOKEN}x`, `x${TOKEN}`, TOKEN.toUpperCase(), HASH, HASH.toUpperCase(), CERT_KEY,
  'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(253), 'a'.repeat(254), 'Ω', '😀', 'e\u0301', '\u202e', 'ａ', 'İ',
  ...LONG,
];

/** Numbers at the edges: JS safe integers, int32, ports, octal modes, Go's int64, floats. */
export const TRICKY_NUMBERS: readonly number[] = [
  0, -0, 1, -1, 2, 0.5, -0.5, 416, 420, 493, 511, 4095, 4096, 6443, 8443, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53, 2 ** 53 + 2, -(2 ** 53),
  Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 9.223372036854776e18, 1.8446744073709552e19, 1e21, 1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, 5e-324, 1e-7, 1095, 1096, 36500,
];

/** Raw plain scalars for text edits: what JSON cannot say but YAML reads as numbers, booleans, nulls. */
export const RAW_SCALARS: readonly string[] = [
  '1e400', '-1e400', '.inf', '-.Inf', '.NaN', '99999999999999999999999999', '-99999999999999999999999999', `0x${'f'.repeat(40)}`, `0b${'1'.repeat(80)}`, `-0b${'1'.repeat(70)}`,
  '0o777777777777777777777777', '0777', '0640', '1_0_0', '1:20:30', '2001-12-14', '2001-02-30', '~', 'null', 'yes', 'No', 'ON', 'y', '<<', '=', '0.', '.5', '+12', '-0',
  '9223372036854775808', '18446744073709551615', '18446744073709551616', '1e-400', '0x', '0b', '- ',
];

/** Map keys: the fields of the documents under test (added at random places) and tricky names. */
export function keyPool(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...fields), weight: 6 },
    { arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '<<', '', ' ', 'a.b', 'a[0]', '"q"', '\0', 'Ω', 'x'.repeat(300), TOKEN, HASH, '0', '1', 'true', 'null'), weight: 2 },
    { arbitrary: fc.string({ maxLength: 8 }), weight: 1 },
  );
}

/** A light random JSON value (kept small: cost per case matters at 100,000 cases). */
export function jsonValue(fields: readonly string[], options: { nonFinite?: boolean } = {}): fc.Arbitrary<Json> {
  const keys = keyPool(fields);
  const numbers: fc.Arbitrary<number> = fc.oneof(
    fc.constantFrom(...TRICKY_NUMBERS),
    fc.integer(),
    options.nonFinite ? fc.double() : fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  const scalar: fc.Arbitrary<Json> = fc.oneof(
    { arbitrary: fc.constantFrom(...TRICKY_STRINGS), weight: 6 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
    { arbitrary: numbers, weight: 3 },
    { arbitrary: fc.boolean(), weight: 2 },
    { arbitrary: fc.constant(null), weight: 2 },
  );
  const { value } = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', maxDepth: 3, withCrossShrink: true },
      { arbitrary: scalar, weight: 8 },
      { arbitrary: fc.array(tie('value'), { maxLength: 3 }), weight: 1 },
      { arbitrary: fc.dictionary(keys, tie('value'), { maxKeys: 3, noNullPrototype: true }), weight: 1 },
    ),
  }));
  return value;
}

/** Every distinct key of the documents, for the key pool. */
export function fieldNames(...docs: Json[]): string[] {
  const out = new Set<string>();
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        out.add(k);
        walk(v[k] as Json);
      }
    }
  };
  docs.forEach(walk);
  return [...out];
}

// ---------------------------------------------------------------- mutations of a valid document

/** One edit of the document: at the `at`-th place (modulo the number of places). */
export type Mutation =
  | { op: 'replace'; at: number; value: Json }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'copy'; at: number; from: number }
  | { op: 'nest'; at: number; depth: number; kind: 'list' | 'map' }
  | { op: 'repeat'; at: number; times: number };

export function mutation(fields: readonly string[], options: { nonFinite?: boolean } = {}): fc.Arbitrary<Mutation> {
  const value = jsonValue(fields, options);
  const at = fc.nat();
  return fc.oneof(
    { arbitrary: fc.record({ op: fc.constant('replace' as const), at, value }), weight: 10 },
    { arbitrary: fc.record({ op: fc.constant('delete' as const), at }), weight: 4 },
    { arbitrary: fc.record({ op: fc.constant('add' as const), at, key: keyPool(fields), value }), weight: 5 },
    { arbitrary: fc.record({ op: fc.constant('copy' as const), at, from: fc.nat() }), weight: 3 },
    {
      arbitrary: fc.record({ op: fc.constant('nest' as const), at, depth: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(101, 150)), kind: fc.constantFrom('list' as const, 'map' as const) }),
      weight: 1,
    },
    { arbitrary: fc.record({ op: fc.constant('repeat' as const), at, times: fc.constantFrom(2, 3, 50, 300) }), weight: 1 },
  );
}

/** The places of a document: [holder, key] of every value below the root (the root itself is `[undefined, undefined]`). */
function places(root: Json): Array<[Holder | undefined, string | number | undefined]> {
  const out: Array<[Holder | undefined, string | number | undefined]> = [[undefined, undefined]];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        out.push([v, i]);
        walk(x);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        out.push([v, k]);
        walk(v[k] as Json);
      }
    }
  };
  walk(root);
  return out;
}

function setOwn(o: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function nested(v: Json, depth: number, kind: 'list' | 'map'): Json {
  let out = v;
  for (let i = 0; i < depth; i++) {
    if (kind === 'list') out = [out];
    else {
      const o: { [key: string]: Json } = {};
      setOwn(o, 'a', out);
      out = o;
    }
  }
  return out;
}

/**
 * Applies the mutations to a deep copy of `base`. Returns the document and the depth of the shallowest
 * place changed (0: the root; an error about a field below the root should name its path).
 */
export function applyMutations(base: Json, mutations: readonly Mutation[]): { doc: Json; depth: number } {
  let doc = structuredClone(base);
  let depth = Number.POSITIVE_INFINITY;
  for (const m of mutations) {
    const all = places(doc);
    const [holder, key] = all[m.at % all.length] as [Holder | undefined, string | number | undefined];
    const get = (): Json => (holder === undefined ? doc : (holder as Record<string | number, Json>)[key as string | number] as Json);
    const set = (v: Json): void => {
      if (holder === undefined) doc = v;
      else if (Array.isArray(holder)) holder[key as number] = v;
      else setOwn(holder, key as string, v);
    };
    const d = holder === undefined ? 0 : placeDepth(doc, holder) + 1;
    depth = Math.min(depth, d);
    switch (m.op) {
      case 'replace':
        set(structuredClone(m.value));
        break;
      case 'delete':
        if (holder === undefined) doc = null;
        else if (Array.isArray(holder)) holder.splice(key as number, 1);
        else delete holder[key as string];
        break;
      case 'add': {
        const target = get();
        if (Array.isArray(target)) target.push(structuredClone(m.value));
        else if (target !== null && typeof target === 'object') setOwn(target, m.key, structuredClone(m.value));
        else set(structuredClone(m.value));
        break;
      }
      case 'copy': {
        // A shared reference: block YAML writes it as an anchor and an alias.
        const [fh, fk] = all[m.from % all.length] as [Holder | undefined, string | number | undefined];
        const from = fh === undefined ? doc : ((fh as Record<string | number, Json>)[fk as string | number] as Json);
        // An ancestor copied into its own subtree is copied by value (no cycles).
        const source = holder !== undefined && contains(from, holder) ? structuredClone(from) : from;
        if (source !== get()) set(source);
        break;
      }
      case 'nest':
        set(nested(get(), m.depth, m.kind));
        break;
      case 'repeat': {
        // Many items (shared: aliases in block YAML), unless the document would grow past MAX_EXPANDED.
        const target = get();
        const times = Math.min(m.times, Math.floor(MAX_EXPANDED / Math.max(1, expandedSize(doc))));
        if (times < 2) break;
        if (Array.isArray(target) && target.length > 0) {
          const first = target[0] as Json;
          for (let i = 1; i < times && target.length < 400; i++) target.push(first);
        } else set(Array.from({ length: times }, () => target));
        break;
      }
    }
  }
  return { doc, depth };
}

/** Largest document (values, with shared ones counted each time) the mutations make. */
const MAX_EXPANDED = 20_000;

/** Number of values in `v` with shared subtrees expanded (memoized, so shared values cost once). */
function expandedSize(v: Json, memo = new Map<object, number>()): number {
  if (v === null || typeof v !== 'object') return 1;
  const known = memo.get(v);
  if (known !== undefined) return known;
  let n = 1;
  for (const c of Array.isArray(v) ? v : Object.values(v)) n += expandedSize(c as Json, memo);
  memo.set(v, n);
  return n;
}

/** True when `needle` is `v` or inside it. */
function contains(v: Json, needle: unknown): boolean {
  if (v === needle) return true;
  if (v === null || typeof v !== 'object') return false;
  return (Array.isArray(v) ? v : Object.values(v)).some((c) => contains(c as Json, needle));
}

/** Depth of `holder` below the root (the root is 0), found by a walk (documents are small). */
function placeDepth(root: Json, holder: Holder): number {
  const seen = new Set<unknown>();
  const walk = (v: Json, d: number): number => {
    if (v === holder) return d;
    if (v === null || typeof v !== 'object' || seen.has(v)) return -1;
    seen.add(v);
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      const r = walk(c as Json, d + 1);
      if (r >= 0) return r;
    }
    return -1;
  };
  return Math.max(0, walk(root, 0));
}

// ---------------------------------------------------------------- writing documents as text

/** Block YAML as the `yaml` package writes it (shared values become &anchors and *aliases). */
export function blockYaml(v: Json): string {
  try {
    return yamlStringify(v, { aliasDuplicateObjects: true, lineWidth: 0 });
  } catch {
    return JSON.stringify(v) ?? '';
  }
}

/** One raw edit of YAML text. */
export type TextEdit = { at: number; op: 'insert' | 'replace' | 'delete' | 'dupline' | 'scalar'; text: string };

const YAML_SNIPPETS: readonly string[] = [
  '&a ', '*a', '&a [1, 2] ', '*undefined', '!!binary ', '!!js/function ', '!!python/object:os.system ', '!!str ', '!!int ', '!!float ', '!!bool ', '!!null ', '!!map ',
  '!!seq ', '!!set ', '!!omap ', '!!timestamp ', '!<tag:yaml.org,2002:str> ', '!custom ', '!', '<<: *a\n', '<<: [*a, *a]\n', '? ', ': ', '- ', '\n', '\n  ', '\t', ' ', '#', '|\n  x\n',
  '>-\n  y\n', '"', "'", '\\', '{', '}', '[', ']', ',', '---\n', '...\n', '%YAML 1.1\n', '%TAG ! tag:example.com,2000:\n', '\0', '\uFEFF', '\uD800', '\u0085', '\r', '@',
  '`', '%', 'a: 1\na: 2\n', 'x: &x {a: 1}\ny: *x\n', '? [a, b]\n: c\n', '? {a: 1}\n: b\n',
];

export function textEdits(): fc.Arbitrary<TextEdit[]> {
  const edit: fc.Arbitrary<TextEdit> = fc.record({
    at: fc.nat(),
    op: fc.constantFrom('insert' as const, 'replace' as const, 'delete' as const, 'dupline' as const, 'scalar' as const),
    text: fc.oneof({ arbitrary: fc.constantFrom(...YAML_SNIPPETS), weight: 4 }, { arbitrary: fc.constantFrom(...RAW_SCALARS), weight: 2 }, { arbitrary: fc.string({ maxLength: 4 }), weight: 1 }),
  });
  return fc.array(edit, { minLength: 1, maxLength: 3 });
}

/** Applies raw edits; `scalar` puts a raw plain scalar after a `: ` or `- ` (huge numbers, YAML 1.1 booleans). */
export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of edits) {
    const i = out.length === 0 ? 0 : e.at % (out.length + 1);
    switch (e.op) {
      case 'insert':
        out = out.slice(0, i) + e.text + out.slice(i);
        break;
      case 'replace':
        out = out.slice(0, i) + e.text + out.slice(i + e.text.length);
        break;
      case 'delete':
        out = out.slice(0, i) + out.slice(i + 1 + (e.at % 7));
        break;
      case 'dupline': {
        // A repeated line: duplicate keys in a mapping, most often.
        const start = out.lastIndexOf('\n', i - 1) + 1;
        const end = out.indexOf('\n', i);
        const line = out.slice(start, end < 0 ? out.length : end);
        out = `${out.slice(0, start)}${line}\n${out.slice(start)}`;
        break;
      }
      case 'scalar': {
        const re = /(: |- )([^\n,}\]]*)/g;
        const matches = [...out.matchAll(re)];
        if (matches.length === 0) break;
        const m = matches[e.at % matches.length] as RegExpMatchArray;
        const from = (m.index as number) + (m[1] as string).length;
        out = out.slice(0, from) + e.text + out.slice(from + (m[2] as string).length);
        break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- raw text

const SOUP: readonly string[] = [...YAML_SNIPPETS, ...RAW_SCALARS, 'a', 'b', 'key', '1', '-1', '0.5', 'true'];

/** Random text: binary strings, decoded random bytes (invalid UTF-8 becomes U+FFFD), YAML token soup. */
export function rawText(fields: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('utf8')), weight: 1 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 },
    { arbitrary: fc.array(fc.oneof(fc.constantFrom(...SOUP), fc.constantFrom(...fields.map((f) => `${f}: `))), { maxLength: 40 }).map((a) => a.join('')), weight: 4 },
  );
}

/** Billion laughs: `width` aliases of the previous level, `depth` levels, under `key` (or at the top). */
export function laughs(depth: number, width: number, key?: string, indent = ''): string {
  const lines: string[] = [`${indent}l0: &l0 [lol, lol]`];
  for (let i = 1; i <= depth; i++) lines.push(`${indent}l${i}: &l${i} [${Array.from({ length: width }, () => `*l${i - 1}`).join(', ')}]`);
  if (key !== undefined) lines.push(`${indent}${key}: *l${depth}`);
  return `${lines.join('\n')}\n`;
}

/** `depth` nested flow lists or mappings, or block lists (indentation grows). */
export function deepText(depth: number, kind: 'flow-list' | 'flow-map' | 'block-list' | 'block-map'): string {
  switch (kind) {
    case 'flow-list':
      return `${'['.repeat(depth)}${']'.repeat(depth)}`;
    case 'flow-map':
      return `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    case 'block-list': {
      const d = Math.min(depth, 1500);
      return `${Array.from({ length: d }, (_, i) => `${' '.repeat(i * 2)}-`).join('\n')} x\n`;
    }
    case 'block-map': {
      const d = Math.min(depth, 1500);
      return `${Array.from({ length: d }, (_, i) => `${' '.repeat(i * 2)}a:`).join('\n')} x\n`;
    }
  }
}

export function deepTextArbitrary(): fc.Arbitrary<string> {
  const depth = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 120 }), weight: 8 }, { arbitrary: fc.constantFrom(500, 1001, 3000, 20_000), weight: 1 });
  return fc.tuple(depth, fc.constantFrom('flow-list' as const, 'flow-map' as const, 'block-list' as const, 'block-map' as const)).map(([d, k]) => deepText(d, k));
}

/** Billion-laughs dimensions: mostly below the expansion limit (cheap), sometimes far above it (each costs ~0.5 s). */
export function laughsSize(): fc.Arbitrary<[number, number]> {
  return fc.oneof(
    { arbitrary: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 6 })), weight: 12 },
    { arbitrary: fc.tuple(fc.integer({ min: 5, max: 12 }), fc.integer({ min: 6, max: 10 })), weight: 1 },
  );
}
