/**
 * A small description of each versioned kubeadm document (field names as in the Go json tags, value
 * types as Go decodes them) and one strict checker used both on documents read from a user's file and
 * on documents about to be written. Unknown fields, wrong types and broken rules become JoineryErrors
 * that name the field path in the document's own versioned names.
 */
import { JoineryError } from '../errors/index.js';
import { parseDuration } from '../duration/index.js';
import { parseGoRfc3339 } from '../gotime/index.js';
import { scrubSecrets } from '../token/index.js';
import { closestName } from './rules.js';
import { kubeadmApiVersion, kubernetesRangeText, versionRank, type ConfigApiVersion } from './version.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** Where a value sits: its printable path, its path through the schema, and the document it is in. */
export interface Site {
  path: string;
  /** Field names only (no indexes; `*` for a map entry): how to find the spec in another version. */
  segments: readonly string[];
  doc: DocumentContext;
}

export interface DocumentContext {
  kind: string;
  version: ConfigApiVersion;
  /** 'parse': a user's document; 'emit': a document joinery is about to write. */
  mode: 'parse' | 'emit';
  /** 0-based position in the file, when parsing. */
  index?: number;
  /** The same kind's spec in every version, to tell which version has an unknown field. */
  specsByVersion?: ReadonlyMap<ConfigApiVersion, ObjectSpec>;
}

export type Spec =
  | { type: 'string'; check?: (value: string, site: Site) => void }
  | { type: 'bool' }
  | { type: 'int32'; check?: (value: number, site: Site) => void }
  | { type: 'duration' }
  | { type: 'time' }
  | { type: 'list'; items: Spec; check?: (value: Json[], site: Site) => void }
  | { type: 'map'; values: Spec }
  | ObjectSpec;

export interface ObjectSpec {
  type: 'object';
  fields: Readonly<Record<string, Spec>>;
  required?: readonly string[];
  check?: (value: JsonObject, site: Site) => void;
}

/** Spec builders: a Go string (with an optional rule), bool, int32, metav1.Duration, metav1.Time, slice, map and struct. */
export const str = (check?: (value: string, site: Site) => void): Spec => (check ? { type: 'string', check } : { type: 'string' });
export const bool: Spec = { type: 'bool' };
export const int32 = (check?: (value: number, site: Site) => void): Spec => (check ? { type: 'int32', check } : { type: 'int32' });
export const duration: Spec = { type: 'duration' };
export const time: Spec = { type: 'time' };
export const list = (items: Spec, check?: (value: Json[], site: Site) => void): Spec =>
  check ? { type: 'list', items, check } : { type: 'list', items };
export const map = (values: Spec): Spec => ({ type: 'map', values });
export const object = (
  fields: Record<string, Spec>,
  options: { required?: readonly string[]; check?: (value: JsonObject, site: Site) => void } = {},
): ObjectSpec => ({ type: 'object', fields, ...options });

/** `a.b`, `a[0]`, `a["x.y"]`. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return part.startsWith('"') ? `[${part}]` : part;
  return part.startsWith('"') ? `${parent}[${part}]` : `${parent}.${part}`;
}

/** The site of a field or item below `site`; `segment` is the field name (omitted for list items). */
export function child(site: Site, key: string | number, segment?: string): Site {
  return {
    path: childPath(site.path, key),
    segments: segment === undefined ? site.segments : [...site.segments, segment],
    doc: site.doc,
  };
}

/** Names the document in messages: `JoinConfiguration (document 2)` or `JoinConfiguration kubeadm.k8s.io/v1beta3`. */
function documentLabel(doc: DocumentContext): string {
  return doc.index === undefined ? `${doc.kind} ${kubeadmApiVersion(doc.version)}` : `${doc.kind} (document ${doc.index + 1})`;
}

/** A JoineryError about the value at `site` (code KUBEADM_CONFIG_INVALID unless given). */
export function problem(site: Site, what: string, fix: string, code = 'KUBEADM_CONFIG_INVALID'): JoineryError {
  const where = site.path === '' ? '' : ` ${site.path}:`;
  const message = scrubSecrets(`${documentLabel(site.doc)}${where} ${what}`);
  // The fix and the path repeat field names, which can be anything the file says (a token too).
  return new JoineryError(code, message, scrubSecrets(fix), site.path === '' ? {} : { path: scrubSecrets(site.path) });
}

function typeName(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return 'a string';
}

function wrongType(site: Site, want: string, got: Json): JoineryError {
  const hint =
    want === 'a string' && (typeof got === 'number' || typeof got === 'boolean')
      ? 'quote the value so that YAML reads it as a string (YAML 1.1 reads yes, no, on, off, y, n as booleans)'
      : `write ${want} here`;
  return problem(site, `must be ${want}, not ${typeName(got)}`, hint);
}

/** The spec found by following field names (`*` for a map entry) from `spec`, or undefined. */
function specAt(spec: Spec, segments: readonly string[]): Spec | undefined {
  let s: Spec | undefined = spec;
  for (const seg of segments) {
    while (s && s.type === 'list') s = s.items;
    if (!s) return undefined;
    if (s.type === 'map') {
      s = seg === '*' ? s.values : undefined;
    } else if (s.type === 'object') {
      s = Object.prototype.hasOwnProperty.call(s.fields, seg) ? s.fields[seg] : undefined;
    } else {
      return undefined;
    }
  }
  return s;
}

function unknownField(site: Site, key: string, spec: ObjectSpec): JoineryError {
  const at = child(site, key, key);
  const doc = site.doc;
  const haveIt = [...(doc.specsByVersion ?? new Map()).entries()]
    .filter(([v, s]) => v !== doc.version && specAt(s, at.segments) !== undefined)
    .map(([v]) => v);
  const newer = haveIt.filter((v) => versionRank(v) > versionRank(doc.version));
  let versionHint: string | undefined;
  if (newer.length > 0) {
    const v = newer[0] as ConfigApiVersion;
    versionHint = `${at.path} needs ${kubeadmApiVersion(v)} (${kubernetesRangeText(v)})`;
  } else if (haveIt.length > 0) {
    versionHint = `${at.path} exists only in ${haveIt.map((v) => `${kubeadmApiVersion(v)} (${kubernetesRangeText(v)})`).join(', ')}`;
  }
  const names = Object.keys(spec.fields);
  if (doc.mode === 'emit') {
    return problem(
      at,
      `cannot be written in ${kubeadmApiVersion(doc.version)}`,
      versionHint ?? `remove ${at.path}`,
      'KUBEADM_FIELD_UNSUPPORTED',
    );
  }
  const close = closestName(key, names);
  const first = versionHint
    ? `${versionHint}: change apiVersion or remove the field.`
    : close
      ? `Did you mean ${JSON.stringify(close)}?`
      : `Remove ${at.path}.`;
  return problem(
    at,
    `unknown field ${JSON.stringify(key)} in ${kubeadmApiVersion(doc.version)} ${doc.kind}`,
    `${first} Valid fields here: ${names.join(', ')}`,
  );
}

/**
 * Checks `value` against `spec` as Go's strict JSON decoding plus kubeadm's validation would. null means
 * "not set" (as in Go). Throws the first problem found.
 */
function checkValue(value: Json, spec: Spec, site: Site): void {
  if (value === null) return;
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw wrongType(site, 'a string', value);
      spec.check?.(value, site);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw wrongType(site, 'true or false', value);
      return;
    case 'int32':
      if (typeof value !== 'number') throw wrongType(site, 'an integer', value);
      if (!Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 31 - 1) {
        throw problem(site, `${value} is not a 32-bit integer`, 'write a whole number');
      }
      spec.check?.(value, site);
      return;
    case 'duration':
      if (typeof value !== 'string') throw wrongType(site, 'a duration string such as "5m0s"', value);
      try {
        parseDuration(value, site.path);
      } catch (err) {
        const e = err as JoineryError;
        throw new JoineryError('KUBEADM_CONFIG_INVALID', scrubSecrets(`${documentLabel(site.doc)} ${e.message}`), scrubSecrets(e.fix), { path: scrubSecrets(site.path) });
      }
      return;
    case 'time': {
      if (typeof value !== 'string') throw wrongType(site, 'an RFC 3339 time string', value);
      if (parseGoRfc3339(value) === undefined) {
        throw problem(
          site,
          `${JSON.stringify(value.slice(0, 64))} is not an RFC 3339 time as Go's time.Parse reads it (metav1.Time)`,
          'write a time such as 2024-05-01T12:00:00Z',
        );
      }
      return;
    }
    case 'list':
      if (!Array.isArray(value)) throw wrongType(site, 'a list', value);
      value.forEach((item, i) => {
        const at = child(site, i);
        if (item === null) throw problem(at, 'is null', 'remove the empty list item');
        checkValue(item, spec.items, at);
      });
      spec.check?.(value, site);
      return;
    case 'map':
      if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(site, 'a mapping', value);
      for (const [k, v] of Object.entries(value)) {
        const at = child(site, k, '*');
        if (v === null) throw problem(at, 'is null', 'give the entry a value or remove it');
        checkValue(v, spec.values, at);
      }
      return;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(site, 'a mapping', value);
      for (const [k, v] of Object.entries(value)) {
        const fieldSpec = Object.prototype.hasOwnProperty.call(spec.fields, k) ? spec.fields[k] : undefined;
        if (fieldSpec === undefined) throw unknownField(site, k, spec);
        checkValue(v, fieldSpec, child(site, k, k));
      }
      for (const r of spec.required ?? []) {
        const v = value[r];
        if (v === undefined || v === null || v === '') {
          throw problem(child(site, r, r), 'is required', `set ${childPath(site.path, r)}`);
        }
      }
      spec.check?.(value, site);
      return;
    }
  }
}

/** Checks a whole versioned document body (without apiVersion and kind). */
export function checkDocument(body: JsonObject, spec: ObjectSpec, doc: DocumentContext): void {
  checkValue(body, spec, { path: '', segments: [], doc });
}

/** True for a JSON mapping (not null, not a list). */
export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
