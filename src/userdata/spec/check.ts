/**
 * A small strict checker for the machine spec's JSON value (after YAML/JSON reading): field names and
 * value types as Cluster API's Go types decode them (strict: an unknown field is an error), with the
 * field path in every error. Value rules that belong to kubeadm are checked later by src/kubeadm.
 */
import { JoineryError } from '../../errors/index.js';
import { scrubSecrets } from '../../token/index.js';
import { closestName } from '../../kubeadm/index.js';

/** Codes of the machine spec reader. */
export const SPEC_INVALID = 'USERDATA_SPEC_INVALID';
export const SPEC_UNKNOWN_FIELD = 'USERDATA_SPEC_UNKNOWN_FIELD';
export const SPEC_UNSUPPORTED = 'USERDATA_SPEC_UNSUPPORTED';
export const SPEC_YAML_INVALID = 'USERDATA_SPEC_YAML_INVALID';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export type Rule =
  | { type: 'string'; oneOf?: readonly string[]; check?: (value: string, path: string) => void }
  | { type: 'bool' }
  | { type: 'int'; min: number; max: number }
  | { type: 'list'; items: Rule }
  | { type: 'map'; values: Rule }
  | { type: 'object'; fields: Readonly<Record<string, Rule>>; required?: readonly string[] }
  /** A field joinery knows but refuses, with the reason and what to do instead. */
  | { type: 'refused'; what: string; fix: string; code?: string }
  /** A value checked by its own function (e.g. a string or a list). */
  | { type: 'custom'; check: (value: Json, path: string) => void };

export const str = (options: { oneOf?: readonly string[]; check?: (value: string, path: string) => void } = {}): Rule => ({
  type: 'string',
  ...options,
});
export const bool: Rule = { type: 'bool' };
export const int = (min: number, max: number): Rule => ({ type: 'int', min, max });
export const list = (items: Rule): Rule => ({ type: 'list', items });
export const map = (values: Rule): Rule => ({ type: 'map', values });
export const object = (fields: Record<string, Rule>, required: readonly string[] = []): Rule => ({ type: 'object', fields, required });
export const refused = (what: string, fix: string, code = SPEC_UNSUPPORTED): Rule => ({ type: 'refused', what, fix, code });

/** `a.b`, `a[0]`, `a["x.y"]` (as src/kubeadm writes paths). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  if (parent === '') return part.startsWith('"') ? `[${part}]` : part;
  return part.startsWith('"') ? `${parent}[${part}]` : `${parent}.${part}`;
}

/**
 * A JoineryError about the field at `path`. No secret goes into it: message, fix and path are scrubbed
 * (a field name can be a token too, and the fix and path repeat field names).
 */
export function specError(code: string, path: string, what: string, fix: string): JoineryError {
  const message = scrubSecrets(path === '' ? what : `${path}: ${what}`);
  return new JoineryError(code, message, scrubSecrets(fix), path === '' ? {} : { path: scrubSecrets(path) });
}

/** A short, scrubbed quotation of a value for a message. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  if (typeof v === 'string') return 'a string';
  return `a ${typeof v}`;
}

export function wrongType(path: string, want: string, got: unknown): JoineryError {
  const fix =
    want === 'a string' && (typeof got === 'number' || typeof got === 'boolean')
      ? 'quote the value so that YAML reads it as a string (YAML 1.1 reads yes, no, on, off as booleans and 0640 as a number)'
      : `write ${want} here`;
  return specError(SPEC_INVALID, path, `must be ${want}, not ${typeName(got)}`, fix);
}

/** True for a plain JSON mapping (not null, not a list, not a Date or other class instance). */
export function isJsonObject(v: unknown): v is JsonObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}


const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Checks `value` against `rule` as Go's strict JSON decoding of Cluster API's types would (null is
 * "not set", as in Go). Throws the first problem as a JoineryError naming its path.
 */
export function checkValue(value: unknown, rule: Rule, path: string): void {
  if (value === null || value === undefined) return;
  switch (rule.type) {
    case 'string':
      if (typeof value !== 'string') throw wrongType(path, 'a string', value);
      if (rule.oneOf && !rule.oneOf.includes(value)) {
        throw specError(SPEC_INVALID, path, `${quote(value)} is not one of ${rule.oneOf.join(', ')}`, `use one of ${rule.oneOf.join(', ')}`);
      }
      rule.check?.(value, path);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw wrongType(path, 'true or false', value);
      return;
    case 'int':
      if (typeof value !== 'number') throw wrongType(path, 'an integer', value);
      if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
        throw specError(SPEC_INVALID, path, `${value} is not a whole number from ${rule.min} to ${rule.max}`, `write a whole number from ${rule.min} to ${rule.max}`);
      }
      return;
    case 'list':
      if (!Array.isArray(value)) throw wrongType(path, 'a list', value);
      value.forEach((item, i) => {
        const at = childPath(path, i);
        if (item === null || item === undefined) throw specError(SPEC_INVALID, at, 'is null', 'remove the empty list item');
        checkValue(item, rule.items, at);
      });
      return;
    case 'map':
      if (!isJsonObject(value)) throw wrongType(path, 'a mapping', value);
      for (const k of Object.keys(value)) {
        const at = childPath(path, k);
        const v = value[k];
        if (v === null || v === undefined) throw specError(SPEC_INVALID, at, 'is null', 'give the entry a value or remove it');
        checkValue(v, rule.values, at);
      }
      return;
    case 'object': {
      if (!isJsonObject(value)) throw wrongType(path, 'a mapping', value);
      const names = Object.keys(rule.fields).filter((n) => (rule.fields[n] as Rule).type !== 'refused');
      for (const k of Object.keys(value)) {
        const at = childPath(path, k);
        if (!has(rule.fields, k)) {
          const close = closestName(k, names);
          throw specError(
            SPEC_UNKNOWN_FIELD,
            at,
            `unknown field ${quote(k)}`,
            `${close ? `did you mean ${JSON.stringify(close)}? ` : `remove ${at}. `}Valid fields here: ${names.join(', ')}`,
          );
        }
        checkValue(value[k], rule.fields[k] as Rule, at);
      }
      for (const r of rule.required ?? []) {
        const v = value[r];
        if (v === undefined || v === null || v === '') {
          throw specError(SPEC_INVALID, childPath(path, r), 'is required', `set ${childPath(path, r)}`);
        }
      }
      return;
    }
    case 'refused':
      throw specError(rule.code ?? SPEC_UNSUPPORTED, path, rule.what, rule.fix);
    case 'custom':
      rule.check(value as Json, path);
      return;
  }
}
