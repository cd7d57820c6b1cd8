/**
 * Reading a user's kubeadm config file (one or more YAML documents) strictly, the way kubeadm decodes it
 * (YAML 1.1 scalars as gopkg.in/yaml.v2 reads them, then Go's typed JSON decoding and kubeadm's
 * validation), into the neutral model. Documents of other APIs (KubeletConfiguration,
 * KubeProxyConfiguration...) are handed back untouched.
 */
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, Scalar, visit, type Alias, type CST, type Document, type Node } from 'yaml';
import { JoineryError } from '../errors/index.js';
import { KUBEADM_KINDS, type KubeadmKind } from './common.js';
import { clusterFromSuperset, initFromSuperset, joinFromSuperset } from './convert.js';
import { CONVERTERS, specsByVersion } from './emit.js';
import { resolveGoYamlPlain } from '../goyaml/index.js';
import type { ClusterConfiguration, InitConfiguration, JoinConfiguration } from './model.js';
import { scrubSecrets } from '../token/index.js';
import { closestName } from './rules.js';
import { checkDocument, isObject, type Json, type JsonObject } from './schema.js';
import { CONFIG_API_VERSIONS, KUBEADM_GROUP, configApiVersionOf, kubeadmApiVersion, type ConfigApiVersion } from './version.js';

/** A document of another API (or a kubeadm kind joinery does not model), as read. */
export interface OtherDocument {
  apiVersion: string;
  kind: string;
  document: JsonObject;
}

/** What a kubeadm config file holds. `apiVersion` is the kubeadm.k8s.io version of its kubeadm documents. */
export interface KubeadmDocuments {
  apiVersion?: ConfigApiVersion;
  init?: InitConfiguration;
  cluster?: ClusterConfiguration;
  join?: JoinConfiguration;
  others: OtherDocument[];
}

/** Kinds of kubeadm.k8s.io that joinery keeps as they are (versions where kubeadm has them). */
const OTHER_KUBEADM_KINDS = ['ResetConfiguration', 'UpgradeConfiguration', 'ClusterStatus'];
const RETIRED_VERSIONS = ['v1alpha1', 'v1alpha2', 'v1alpha3', 'v1beta1'];

/** Limit on values produced from one file, so that aliases cannot blow up ("billion laughs"). */
const MAX_NODES = 100_000;
/**
 * Limit on how deep collections nest in the text. The `yaml` package composes recursively: a few
 * hundred levels overflow the stack, and a second such document in the same process can abort it
 * (V8 then fails compiling a regular expression: "FATAL ERROR: RegExpCompiler Allocation failed").
 * Real configs nest about 10 levels.
 */
export const MAX_YAML_DEPTH = 100;

/** The deepest collection of a CST token and where it starts, found without recursion. */
function nesting(token: CST.Token): { depth: number; offset: number } {
  let depth = 0;
  let offset = token.offset;
  const stack: [CST.Token, number][] = [[token, 0]];
  while (stack.length > 0 && depth <= MAX_YAML_DEPTH) {
    const [t, d] = stack.pop() as [CST.Token, number];
    if (d > depth) {
      depth = d;
      offset = t.offset;
    }
    if (t.type === 'document') {
      if (t.value) stack.push([t.value, d]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      for (const item of t.items) {
        if (item.key) stack.push([item.key, d + 1]);
        if (item.value) stack.push([item.value, d + 1]);
      }
    }
  }
  return { depth, offset };
}

function docError(index: number, what: string, fix: string, code = 'KUBEADM_CONFIG_INVALID', path?: string): JoineryError {
  return new JoineryError(code, scrubSecrets(`document ${index + 1}: ${what}`), scrubSecrets(fix), path === undefined ? {} : { path: scrubSecrets(path) });
}

interface Converting {
  doc: Document.Parsed;
  index: number;
  lines: LineCounter;
  nodes: number;
  /** What each alias of the document refers to, found in one walk (made at the first alias). */
  aliases?: Map<Alias, Node | undefined>;
}

/**
 * The node each alias refers to: the last node before it (in document order) with that anchor, as the
 * `yaml` package's Alias.resolve finds it. That method walks the whole document for every alias, which
 * makes a file with n aliases cost n² (20,000 aliases: minutes); one walk does it for all.
 */
function aliasTargets(doc: Document.Parsed): Map<Alias, Node | undefined> {
  const out = new Map<Alias, Node | undefined>();
  const anchors = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) out.set(node, anchors.get(node.source));
      else if (node.anchor !== undefined) anchors.set(node.anchor, node);
    },
  });
  return out;
}

function at(c: Converting, node: Node | null | undefined): string {
  const offset = node?.range?.[0];
  if (offset === undefined) return '';
  const p = c.lines.linePos(offset);
  return ` (line ${p.line}, column ${p.col})`;
}

function yamlValueError(c: Converting, node: Node, what: string): JoineryError {
  return docError(c.index, `${what}${at(c, node)}`, 'write plain YAML mappings, lists, strings, numbers and booleans', 'KUBEADM_YAML_INVALID');
}

const CORE_TAG = 'tag:yaml.org,2002:';

function scalarValue(c: Converting, node: Scalar): Json {
  const raw = node.value;
  const source = typeof raw === 'string' ? raw : String(raw);
  const tag = node.tag;
  if (tag === undefined || tag === '!') {
    if (node.type !== Scalar.PLAIN || tag === '!') return source;
  } else if (tag === `${CORE_TAG}str`) {
    return source;
  } else if (![`${CORE_TAG}int`, `${CORE_TAG}float`, `${CORE_TAG}bool`, `${CORE_TAG}null`].includes(tag)) {
    throw yamlValueError(c, node, `the YAML tag ${JSON.stringify(tag.replace(CORE_TAG, '!!'))} is not supported`);
  }
  const r = resolveGoYamlPlain(source);
  if (tag !== undefined && `${CORE_TAG}${r.tag === 'timestamp' ? 'str' : r.tag}` !== tag) {
    throw yamlValueError(c, node, `the value does not match its tag ${tag.replace(CORE_TAG, '!!')}`);
  }
  switch (r.tag) {
    case 'int':
      return Number(r.value);
    case 'float':
      if (!Number.isFinite(r.value)) throw yamlValueError(c, node, `${source} (a non-finite number) cannot be used in a kubeadm document`);
      return r.value;
    default:
      return r.value;
  }
}

function keyText(c: Converting, node: unknown): string {
  if (isScalar(node)) {
    const v = scalarValue(c, node);
    if (v === null) throw yamlValueError(c, node, 'a mapping key is null');
    return typeof v === 'string' ? v : String(v);
  }
  throw yamlValueError(c, node as Node, 'a mapping key must be a plain value, not a mapping or a list');
}

/** Sets a key as an own property, so that a key named __proto__ stays data. */
function defineField(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function toJson(c: Converting, node: unknown, depth: number): Json {
  if (++c.nodes > MAX_NODES || depth > 1000) {
    throw docError(c.index, 'the document is too large once its aliases are expanded', 'write the document without aliases', 'KUBEADM_YAML_INVALID');
  }
  if (node === null || node === undefined) return null;
  if (isAlias(node)) {
    c.aliases ??= aliasTargets(c.doc);
    const target = c.aliases.get(node);
    if (!target) throw yamlValueError(c, node, `the alias *${node.source} has no anchor`);
    return toJson(c, target, depth + 1);
  }
  if (isScalar(node)) return scalarValue(c, node);
  if (isSeq(node)) return node.items.map((item) => toJson(c, item, depth + 1));
  if (isMap(node)) {
    const out: JsonObject = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = pair.key;
      if (isScalar(key) && key.type === Scalar.PLAIN && key.tag === undefined && key.value === '<<') {
        const merged = toJson(c, pair.value, depth + 1);
        const sources = Array.isArray(merged) ? merged : [merged];
        for (const s of sources) {
          if (!isObject(s)) throw yamlValueError(c, pair.value as Node, 'a merge key (<<) must refer to mappings');
          for (const [k, v] of Object.entries(s)) defineField(out, k, v);
        }
        continue;
      }
      const name = keyText(c, key);
      defineField(out, name, toJson(c, pair.value, depth + 1));
    }
    return out;
  }
  throw yamlValueError(c, node as Node, 'unsupported YAML node');
}

interface Parsed {
  index: number;
  apiVersion: string;
  kind: string;
  body: JsonObject;
  document: JsonObject;
}

/**
 * The documents of a YAML stream as the JSON values sigs.k8s.io/yaml would make of them (YAML 1.1
 * scalars as gopkg.in/yaml.v2 resolves them, merge keys, aliases expanded, duplicate keys refused),
 * with their 0-based position in the file; empty documents are skipped as kubeadm skips them.
 * Syntax errors are KUBEADM_YAML_INVALID with line and column.
 */
export function goYamlDocuments(text: string): { index: number; value: Json }[] {
  const lines = new LineCounter();
  // parseAllDocuments, in two steps so that the nesting is checked before the recursive composer runs.
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  let index = 0;
  for (const token of tokens) {
    if (token.type !== 'document') continue;
    const deep = nesting(token);
    if (deep.depth > MAX_YAML_DEPTH) {
      const p = lines.linePos(deep.offset);
      throw new JoineryError(
        'KUBEADM_YAML_INVALID',
        `document ${index + 1}: YAML syntax error at line ${p.line}, column ${p.col}: collections nest more than ${MAX_YAML_DEPTH} levels deep`,
        'write the document with fewer nested lists and mappings',
      );
    }
    index++;
  }
  const list = Array.from(new Composer({ schema: 'failsafe', prettyErrors: false, uniqueKeys: true }).compose(tokens));
  const out: { index: number; value: Json }[] = [];
  list.forEach((doc, index) => {
    const err = doc.errors[0];
    if (err) {
      const p = lines.linePos(err.pos[0]);
      const what = scrubSecrets(err.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      throw new JoineryError(
        'KUBEADM_YAML_INVALID',
        `document ${index + 1}: YAML syntax error at line ${p.line}, column ${p.col}: ${what}`,
        'fix the YAML at that position (check indentation, quotes and the ": " after each key)',
      );
    }
    const value = toJson({ doc, index, lines, nodes: 0 }, doc.contents, 0);
    if (value !== null) out.push({ index, value });
  });
  return out;
}

function readDocuments(text: string): Parsed[] {
  return goYamlDocuments(text).map(({ index, value }) => {
    if (!isObject(value)) {
      throw docError(index, 'is not a mapping', 'each document must be a mapping with apiVersion, kind and fields');
    }
    const apiVersion = value['apiVersion'];
    const kind = value['kind'];
    if (typeof apiVersion !== 'string' || apiVersion === '') {
      throw docError(index, 'has no apiVersion', 'add apiVersion, e.g. apiVersion: kubeadm.k8s.io/v1beta3', undefined, 'apiVersion');
    }
    if (typeof kind !== 'string' || kind === '') {
      throw docError(index, 'has no kind', 'add kind, e.g. kind: JoinConfiguration', undefined, 'kind');
    }
    const { apiVersion: _a, kind: _k, ...body } = value;
    return { index, apiVersion, kind, body, document: value };
  });
}

/** The version of a document whose apiVersion is in the kubeadm.k8s.io group. */
function kubeadmVersionOf(d: Parsed): ConfigApiVersion {
  const known = configApiVersionOf(d.apiVersion);
  if (known !== undefined) return known;
  const version = d.apiVersion.slice(KUBEADM_GROUP.length + 1);
  if (RETIRED_VERSIONS.includes(version)) {
    throw docError(
      d.index,
      `${d.apiVersion} is no longer read by current kubeadm releases, and joinery reads ${CONFIG_API_VERSIONS.map(kubeadmApiVersion).join(', ')}`,
      `convert the file with \`kubeadm config migrate --old-config OLD.yaml --new-config NEW.yaml\` (using a kubeadm release that still reads ${version})`,
      'KUBEADM_API_UNSUPPORTED',
      'apiVersion',
    );
  }
  throw docError(
    d.index,
    `${JSON.stringify(d.apiVersion)} is not a kubeadm config API version joinery knows`,
    `use one of ${CONFIG_API_VERSIONS.map(kubeadmApiVersion).join(', ')}`,
    'KUBEADM_API_UNSUPPORTED',
    'apiVersion',
  );
}

/**
 * Reads a kubeadm config file (multi-document YAML) into the neutral model. Strict like kubeadm
 * (unknown fields, wrong types, invalid values, mixed kubeadm.k8s.io versions, a kind given twice) and
 * with kubeadm's validation (discovery needs exactly one of bootstrapToken or file; token discovery needs
 * apiServerEndpoint and caCertHashes or unsafeSkipCAVerification: true). Errors are JoineryErrors with
 * code KUBEADM_YAML_INVALID, KUBEADM_API_UNSUPPORTED or KUBEADM_CONFIG_INVALID and the field's path.
 * A v1beta2/v1beta3 apiServer.timeoutForControlPlane lands in `init.timeouts.controlPlaneComponentHealthCheck`
 * (creating `init` if the file has none), where kubeadm itself keeps it since v1beta4.
 */
export function parseKubeadmDocuments(text: string): KubeadmDocuments {
  if (typeof text !== 'string') {
    throw new JoineryError('KUBEADM_YAML_INVALID', 'the kubeadm config is not text', 'pass the file contents as a string');
  }
  const result: KubeadmDocuments = { others: [] };
  const seen = new Map<string, number>();
  let versionSource: Parsed | undefined;
  let timeoutForControlPlane: bigint | undefined;
  for (const d of readDocuments(text)) {
    if (!d.apiVersion.startsWith(`${KUBEADM_GROUP}/`)) {
      result.others.push({ apiVersion: d.apiVersion, kind: d.kind, document: d.document });
      continue;
    }
    const version = kubeadmVersionOf(d);
    if (!(KUBEADM_KINDS as readonly string[]).includes(d.kind)) {
      if (OTHER_KUBEADM_KINDS.includes(d.kind)) {
        result.others.push({ apiVersion: d.apiVersion, kind: d.kind, document: d.document });
        continue;
      }
      const close = closestName(d.kind, [...KUBEADM_KINDS, ...OTHER_KUBEADM_KINDS]);
      throw docError(
        d.index,
        `${JSON.stringify(d.kind)} is not a kind of ${d.apiVersion}`,
        `${close ? `did you mean ${close}? ` : ''}kubeadm kinds: ${KUBEADM_KINDS.join(', ')}`,
        'KUBEADM_CONFIG_INVALID',
        'kind',
      );
    }
    if (versionSource && result.apiVersion !== version) {
      throw docError(
        d.index,
        `${d.kind} is ${d.apiVersion} but ${versionSource.kind} (document ${versionSource.index + 1}) is ${kubeadmApiVersion(result.apiVersion as ConfigApiVersion)}`,
        'write every kubeadm.k8s.io document of one file in the same version (kubeadm config migrate converts them)',
        'KUBEADM_CONFIG_INVALID',
        'apiVersion',
      );
    }
    versionSource ??= d;
    result.apiVersion = version;
    const earlier = seen.get(d.kind);
    if (earlier !== undefined) {
      throw docError(d.index, `a second ${d.kind} (the first is document ${earlier + 1})`, `keep one ${d.kind} per file`, 'KUBEADM_CONFIG_INVALID', 'kind');
    }
    seen.set(d.kind, d.index);
    const kind = d.kind as KubeadmKind;
    const conv = CONVERTERS[version];
    checkDocument(d.body, conv.schemas[kind], { kind, version, mode: 'parse', index: d.index, specsByVersion: specsByVersion(kind) });
    const superset = conv.fromVersioned(kind, d.body);
    if (kind === 'JoinConfiguration') result.join = joinFromSuperset(superset);
    else if (kind === 'InitConfiguration') result.init = initFromSuperset(superset);
    else {
      const c = clusterFromSuperset(superset);
      result.cluster = c.cluster;
      timeoutForControlPlane = c.timeoutForControlPlane;
    }
  }
  if (timeoutForControlPlane !== undefined) {
    const init = (result.init ??= {});
    init.timeouts = { ...init.timeouts, controlPlaneComponentHealthCheck: timeoutForControlPlane };
  }
  return result;
}
