/**
 * Reading joinery.yaml, the provisioner's configuration, strictly: unknown fields are refused with the
 * closest known name, every value is checked, and every error names the file, the line and column of
 * the field (where the YAML gives one) and its path (`profiles.worker.tokenTTL`). No I/O: the caller
 * reads the file and passes its text.
 */
import { isIP } from 'node:net';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import { JoineryError } from '../../errors/index.js';
import { parseDuration, SECOND } from '../../duration/index.js';
import { closestName, goYamlDocuments, DNS1123_LABEL, DNS1123_SUBDOMAIN } from '../../kubeadm/index.js';
import { FORMATS, type Format } from '../../userdata/plan.js';
import { parseMachineSpec, type MachineSpec } from '../../userdata/spec/index.js';
import { scrubSecrets } from '../../token/index.js';
import {
  API_KEY_SCOPES,
  PROFILE_ROLES,
  type ApiKey,
  type ApiKeyScope,
  type ListenAddress,
  type Profile,
  type ProfileRole,
  type LeaderElectionConfig,
  type ProvisionerConfig,
  type RateLimit,
  type TlsConfig,
} from './model.js';

/** A value breaks a rule of the configuration. */
export const CONFIG_INVALID = 'CONFIG_INVALID';
/** A field the configuration does not have (a typo, most often). */
export const CONFIG_UNKNOWN_FIELD = 'CONFIG_UNKNOWN_FIELD';
/** The file is not valid YAML. */
export const CONFIG_YAML_INVALID = 'CONFIG_YAML_INVALID';

/** A profile's token lifetime when `tokenTTL` is not set: 15 minutes (issue 5 §1). */
export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
/**
 * The longest token lifetime a profile may set: 24 hours, kubeadm's default token TTL. Longer-lived
 * single-node credentials defeat the point of minting one per machine; slow installs (PXE, OS image
 * writes) fit well within a day.
 */
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;
/** A profile's node-name pattern when none is set: any valid node name (a DNS-1123 subdomain). */
export const DEFAULT_NODE_NAME_PATTERN = DNS1123_SUBDOMAIN.source.slice(1, -1);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Segment = string | number;

const TOP_FIELDS = ['listen', 'tls', 'kubeconfig', 'context', 'publicUrl', 'apiKeys', 'profiles', 'rateLimit', 'leaderElection'] as const;
const RATE_LIMIT_FIELDS = ['requestsPerSecond', 'burst'] as const;
const LEADER_ELECTION_FIELDS = ['namespace', 'name', 'leaseDuration', 'renewDeadline', 'retryPeriod'] as const;
/** Each API key's rate limit unless the file says otherwise: 50 requests per second, bursts of 100. */
export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 50, burst: 100 };
/** client-go's defaults for controllers: a 15 s lease, renewed within 10 s, tried every 2 s. */
export const DEFAULT_LEADER_ELECTION: LeaderElectionConfig = { name: 'joinery-provisioner', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 };
const TLS_FIELDS = ['insecureLoopback', 'certFile', 'keyFile'] as const;
const API_KEY_FIELDS = ['name', 'sha256', 'scope', 'profiles', 'rateLimit'] as const;
const PROFILE_FIELDS = ['role', 'format', 'tokenTTL', 'nodeNamePattern', 'spec'] as const;

const KEY_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : `a ${typeof v}`;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}...` : value);
}

/** `a.b`, `a[0]`, `a["x.y"]`, as src/kubeadm and src/userdata write paths. */
export function configPath(segments: readonly Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** The segments of a path written by `configPath` (or by the machine-spec reader). */
function pathSegments(path: string): Segment[] {
  const out: Segment[] = [];
  const re = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3] as string) as string);
  }
  return out;
}

/**
 * Finds line and column of the node at a path in the YAML text, for error messages. The text is parsed
 * again (with node positions) only when an error needs a position.
 */
class Locator {
  private readonly lines = new LineCounter();
  private root: YamlNode | null | undefined;

  constructor(private readonly text: string) {}

  private document(): YamlNode | null {
    if (this.root !== undefined) return this.root;
    try {
      const doc = parseDocument(this.text, { schema: 'failsafe', lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
      this.root = (doc.contents as YamlNode | null) ?? null;
    } catch {
      this.root = null;
    }
    return this.root;
  }

  /** `line:col` of the value at `segments` (of its key when `key`), or of its deepest ancestor found. */
  at(segments: readonly Segment[], key = false): string | undefined {
    let node: YamlNode | null = this.document();
    let pos: number | undefined = node?.range?.[0];
    for (let i = 0; i < segments.length && node; i++) {
      const seg = segments[i] as Segment;
      const last = i === segments.length - 1;
      let next: YamlNode | null = null;
      if (isMap(node) && typeof seg === 'string') {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
        if (!pair) break;
        const k = pair.key as YamlNode;
        if (last && key) {
          pos = k.range?.[0];
          break;
        }
        next = (pair.value as YamlNode | null) ?? null;
        pos = next?.range?.[0] ?? k.range?.[0];
      } else if (isSeq(node) && typeof seg === 'number') {
        next = (node.items[seg] as YamlNode | undefined) ?? null;
        if (next?.range) pos = next.range[0];
      } else break;
      node = next;
    }
    if (pos === undefined) return undefined;
    const p = this.lines.linePos(pos);
    return `${p.line}:${p.col}`;
  }
}

/** Reads one configuration file; holds its name and locator for the errors. */
class Reader {
  readonly locator: Locator;
  constructor(
    readonly source: string,
    text: string,
  ) {
    this.locator = new Locator(text);
  }

  /**
   * The error about the field at `segments`. Message, fix and path are scrubbed of bootstrap tokens and
   * long hex strings (an API key's SHA-256), wherever the file put them (DESIGN "Errors").
   */
  error(code: string, segments: readonly Segment[], what: string, fix: string, options: { key?: boolean; cause?: unknown } = {}): JoineryError {
    const path = scrubSecrets(configPath(segments));
    const where = segments.length === 0 ? undefined : this.locator.at(segments, options.key);
    const prefix = where === undefined ? `${this.source}: ` : `${this.source}:${where}: `;
    return new JoineryError(code, scrubSecrets(`${prefix}${path === '' ? '' : `${path}: `}${what}`), scrubSecrets(fix), {
      ...(path === '' ? {} : { path }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
  }

  invalid(segments: readonly Segment[], what: string, fix: string): JoineryError {
    return this.error(CONFIG_INVALID, segments, what, fix);
  }

  wrongType(segments: readonly Segment[], want: string, got: unknown): JoineryError {
    const fix =
      want === 'a string' && (typeof got === 'number' || typeof got === 'boolean')
        ? 'quote the value so that YAML reads it as a string'
        : `write ${want} here`;
    return this.invalid(segments, `must be ${want}, not ${typeName(got)}`, fix);
  }

  /** Refuses fields not in `known`, naming the closest known one. */
  fields(o: JsonObject, segments: readonly Segment[], known: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (known.includes(k)) continue;
      const close = closestName(k, known);
      const at = [...segments, k];
      throw this.error(
        CONFIG_UNKNOWN_FIELD,
        at,
        `unknown field ${quote(k)}`,
        `${close ? `did you mean ${JSON.stringify(close)}? ` : `remove ${configPath(at)}. `}Valid fields here: ${known.join(', ')}`,
        { key: true },
      );
    }
  }

  mapping(v: Json | undefined, segments: readonly Segment[]): JsonObject {
    if (!isObject(v)) throw this.wrongType(segments, 'a mapping', v ?? null);
    return v;
  }

  /** A string field: undefined when absent or null; '' is refused as a likely mistake. */
  optString(o: JsonObject, segments: readonly Segment[], key: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    const at = [...segments, key];
    if (typeof v !== 'string') throw this.wrongType(at, 'a string', v);
    if (v === '') throw this.invalid(at, 'is empty', `give ${configPath(at)} a value or remove it`);
    return v;
  }

  string(o: JsonObject, segments: readonly Segment[], key: string, fix: string): string {
    const v = this.optString(o, segments, key);
    if (v === undefined) throw this.invalid([...segments, key], 'is required', fix);
    return v;
  }
}

/**
 * Parses joinery.yaml (issue 5 §1, "The contract") into a validated ProvisionerConfig with defaults
 * filled. YAML is read as Kubernetes reads it (YAML 1.1 scalars, duplicate keys refused, one document).
 * `source` names the file in messages. Throws JoineryError (family `input`): CONFIG_YAML_INVALID,
 * CONFIG_UNKNOWN_FIELD, CONFIG_INVALID, or the machine spec's own codes for a profile's `spec`; each
 * message starts with `source:line:col:` where the position is known, then the field path.
 */
export function parseProvisionerConfig(text: string, source: string): ProvisionerConfig {
  let docs: { index: number; value: Json }[];
  try {
    docs = goYamlDocuments(text) as { index: number; value: Json }[];
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    const m = /^document (\d+): YAML syntax error at line (\d+), column (\d+): ([\s\S]*)$/.exec(err.message);
    const message = m ? `${source}:${m[2]}:${m[3]}: YAML syntax error: ${m[4]}` : `${source}: ${err.message.replace(/^document 1: /, '')}`;
    throw new JoineryError(CONFIG_YAML_INVALID, message, err.fix, { cause: err });
  }
  if (docs.length === 0) {
    throw new JoineryError(CONFIG_INVALID, `${source}: the configuration is empty`, `start from the example in docs: listen, tls, apiKeys and profiles`);
  }
  if (docs.length > 1) {
    throw new JoineryError(CONFIG_INVALID, `${source}: the file has ${docs.length} YAML documents; the configuration is one`, 'keep one document (remove the extra --- separators)');
  }
  const r = new Reader(source, text);
  const root = (docs[0] as { value: Json }).value;
  if (!isObject(root)) {
    throw new JoineryError(CONFIG_INVALID, `${source}: the configuration must be a mapping, not ${typeName(root)}`, 'write listen:, tls:, apiKeys: and profiles: at the top level');
  }
  r.fields(root, [], TOP_FIELDS);

  const listen = listenOf(r, root);
  const tls = tlsOf(r, root, listen);
  const config: ProvisionerConfig = { listen, tls, apiKeys: [], profiles: {}, leaderElection: leaderElectionOf(r, root) };
  const kubeconfig = r.optString(root, [], 'kubeconfig');
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  const context = r.optString(root, [], 'context');
  if (context !== undefined) config.context = context;
  const publicUrl = publicUrlOf(r, root, tls);
  if (publicUrl !== undefined) config.publicUrl = publicUrl;
  else if (isUnspecifiedHost(listen.host)) {
    throw r.invalid(
      ['publicUrl'],
      `is required when the service listens on ${listen.host} (machines cannot fetch from that address)`,
      'set publicUrl to the https:// address machines reach the service at, e.g. https://joinery.example.com:8443',
    );
  }
  config.profiles = profilesOf(r, root);
  config.apiKeys = apiKeysOf(r, root, config.profiles, rateLimitOf(r, root['rateLimit'], ['rateLimit'], DEFAULT_RATE_LIMIT));
  return config;
}

function rateLimitOf(r: Reader, v: Json | undefined, at: Segment[], fallback: RateLimit): RateLimit {
  if (v === undefined || v === null) return fallback;
  const o = r.mapping(v, at);
  r.fields(o, at, RATE_LIMIT_FIELDS);
  const number = (key: 'requestsPerSecond' | 'burst', integer: boolean): number => {
    const x = o[key];
    if (x === undefined || x === null) return fallback[key];
    const fat = [...at, key];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw r.wrongType(fat, integer ? 'a whole number' : 'a number', x);
    if (x <= 0 || x > 1_000_000 || (integer && !Number.isInteger(x))) {
      throw r.invalid(fat, `${x} is out of range`, `give ${integer ? 'a whole number' : 'a number'} above 0 and at most 1000000 (default ${fallback[key]})`);
    }
    return x;
  };
  return { requestsPerSecond: number('requestsPerSecond', false), burst: number('burst', true) };
}

function leaderElectionOf(r: Reader, root: JsonObject): LeaderElectionConfig {
  const at = ['leaderElection'];
  const v = root['leaderElection'];
  const d = DEFAULT_LEADER_ELECTION;
  if (v === undefined || v === null) return { ...d };
  const o = r.mapping(v, at);
  r.fields(o, at, LEADER_ELECTION_FIELDS);
  const seconds = (key: string, fallback: number): number => {
    const x = o[key];
    const fat = [...at, key];
    const fix = `write a whole number of seconds as a Go duration, e.g. ${fallback}s (default)`;
    if (x === undefined || x === null) return fallback;
    if (typeof x !== 'string') throw r.invalid(fat, `must be a duration such as ${fallback}s, not ${typeName(x)}`, fix);
    let ns: bigint;
    try {
      ns = parseDuration(x);
    } catch (err) {
      throw r.error(CONFIG_INVALID, fat, `${quote(x)} is not a duration`, fix, { cause: err });
    }
    if (ns <= 0n || ns % SECOND !== 0n || ns > 3600n * SECOND) throw r.invalid(fat, `${quote(x)} is not a whole number of seconds from 1s to 1h`, fix);
    return Number(ns / SECOND);
  };
  const out: LeaderElectionConfig = {
    name: r.optString(o, at, 'name') ?? d.name,
    leaseDurationSeconds: seconds('leaseDuration', d.leaseDurationSeconds),
    renewDeadlineSeconds: seconds('renewDeadline', d.renewDeadlineSeconds),
    retryPeriodSeconds: seconds('retryPeriod', d.retryPeriodSeconds),
  };
  const namespace = r.optString(o, at, 'namespace');
  if (namespace !== undefined) {
    if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) throw r.invalid([...at, 'namespace'], `${quote(namespace)} is not a namespace name`, 'use a DNS label such as joinery-system');
    out.namespace = namespace;
  }
  if (out.name.length > 253 || !DNS1123_SUBDOMAIN.test(out.name)) throw r.invalid([...at, 'name'], `${quote(out.name)} is not a Lease name`, 'use a DNS subdomain such as joinery-provisioner');
  if (out.renewDeadlineSeconds >= out.leaseDurationSeconds) {
    throw r.invalid([...at, 'renewDeadline'], `${out.renewDeadlineSeconds}s is not shorter than leaseDuration ${out.leaseDurationSeconds}s`, 'a leader must give up before its lease can be taken: renewDeadline < leaseDuration');
  }
  if (out.retryPeriodSeconds >= out.renewDeadlineSeconds) {
    throw r.invalid([...at, 'retryPeriod'], `${out.retryPeriodSeconds}s is not shorter than renewDeadline ${out.renewDeadlineSeconds}s`, 'a leader must get more than one try to renew: retryPeriod < renewDeadline');
  }
  return out;
}

function listenOf(r: Reader, root: JsonObject): ListenAddress {
  const v = root['listen'];
  const fix = 'write host:port, e.g. listen: 127.0.0.1:8443, [::1]:8443 or 0.0.0.0:8443';
  if (v === undefined || v === null || v === '') throw r.invalid(['listen'], 'is required', fix);
  if (typeof v === 'number') throw r.invalid(['listen'], `${v} has no host`, fix);
  if (typeof v !== 'string') throw r.wrongType(['listen'], 'a string host:port', v);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(v);
  const host = m ? (m[1] ?? m[2] ?? '') : '';
  const port = m ? Number(m[3]) : NaN;
  if (!m || host === '') throw r.invalid(['listen'], `${quote(v)} is not host:port`, fix);
  if (m[1] !== undefined && isIP(host) !== 6) throw r.invalid(['listen'], `${quote(host)} in brackets is not an IPv6 address`, fix);
  if (m[2] !== undefined && isIP(host) === 0 && !/^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$/.test(host)) {
    throw r.invalid(['listen'], `${quote(host)} is not an IP address or host name`, fix);
  }
  if (port > 65535) throw r.invalid(['listen'], `port ${port} is out of range`, 'use a port from 1 to 65535 (0 picks a free one)');
  return { host, port };
}

/** True for 127.0.0.0/8, ::1 (any spelling) and localhost: the addresses plain HTTP may listen on. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  if (isIP(h) === 6) return canonicalIpv6(h) === '[::1]';
  return false;
}

function isUnspecifiedHost(host: string): boolean {
  return host === '0.0.0.0' || (isIP(host) === 6 && canonicalIpv6(host) === '[::]');
}

/** WHATWG URL's canonical IPv6 text (`[::1]`), which folds every spelling of an address into one. */
function canonicalIpv6(host: string): string {
  try {
    return new URL(`http://[${host}]/`).hostname;
  } catch {
    return host;
  }
}

function tlsOf(r: Reader, root: JsonObject, listen: ListenAddress): TlsConfig {
  const at = ['tls'];
  const v = root['tls'];
  if (v === undefined || v === null) {
    throw r.invalid(at, 'is required', 'set tls: {certFile: server.crt, keyFile: server.key}, or tls: {insecureLoopback: true} for plain HTTP on a loopback address');
  }
  const o = r.mapping(v, at);
  r.fields(o, at, TLS_FIELDS);
  const insecure = o['insecureLoopback'];
  if (insecure !== undefined && insecure !== null && typeof insecure !== 'boolean') throw r.wrongType([...at, 'insecureLoopback'], 'true or false', insecure);
  const certFile = r.optString(o, at, 'certFile');
  const keyFile = r.optString(o, at, 'keyFile');
  if (insecure === true) {
    if (certFile !== undefined || keyFile !== undefined) {
      throw r.invalid(at, 'sets both insecureLoopback and a certificate', 'choose one: remove insecureLoopback to serve TLS, or remove certFile and keyFile');
    }
    if (!isLoopbackHost(listen.host)) {
      throw r.invalid(
        [...at, 'insecureLoopback'],
        `plain HTTP is allowed only on a loopback address (127.0.0.0/8, ::1, localhost), and listen is ${quote(listen.host)}`,
        'serve TLS with certFile and keyFile, or listen on 127.0.0.1',
      );
    }
    return { insecureLoopback: true };
  }
  if (certFile === undefined || keyFile === undefined) {
    throw r.invalid(
      [...at, certFile === undefined ? 'certFile' : 'keyFile'],
      'is required (the service serves TLS unless insecureLoopback is true)',
      'set certFile and keyFile to PEM files, or tls: {insecureLoopback: true} for plain HTTP on a loopback address',
    );
  }
  return { certFile, keyFile };
}

function publicUrlOf(r: Reader, root: JsonObject, tls: TlsConfig): string | undefined {
  const text = r.optString(root, [], 'publicUrl');
  if (text === undefined) return undefined;
  const at = ['publicUrl'];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw r.invalid(at, `${quote(text)} is not an absolute URL`, 'write the base URL machines reach the service at, e.g. https://joinery.example.com:8443');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw r.invalid(at, `${quote(text)} is not an http(s) URL`, 'use an https:// URL');
  if (url.protocol === 'http:' && !('insecureLoopback' in tls)) {
    throw r.invalid(at, `${quote(text)} is plain HTTP, so machines would fetch their bootstrap tokens unencrypted`, 'use an https:// URL (plain HTTP is for tls.insecureLoopback only)');
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw r.invalid(at, `${quote(text)} has user info, a query or a fragment`, 'give scheme, host, port and optionally a path prefix only');
  }
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The base URL machines fetch one-time documents from: `publicUrl` when set, else http(s)://<listen
 * host>:<port>, where `port` is the port actually bound (pass it when `listen` asked for port 0).
 */
export function publicBaseUrl(config: ProvisionerConfig, port: number = config.listen.port): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const scheme = 'insecureLoopback' in config.tls ? 'http' : 'https';
  const host = isIP(config.listen.host) === 6 ? `[${config.listen.host}]` : config.listen.host;
  return `${scheme}://${host}:${port}`;
}

function profilesOf(r: Reader, root: JsonObject): Record<string, Profile> {
  const at = ['profiles'];
  const v = root['profiles'];
  if (v === undefined || v === null) throw r.invalid(at, 'is required', 'add at least one profile, e.g. profiles: {worker: {role: worker, format: script}}');
  const o = r.mapping(v, at);
  const names = Object.keys(o);
  if (names.length === 0) throw r.invalid(at, 'has no profile', 'add at least one profile, e.g. profiles: {worker: {role: worker, format: script}}');
  const out: Record<string, Profile> = Object.create(null) as Record<string, Profile>;
  for (const name of names) {
    const pat = [...at, name];
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      throw r.error(
        CONFIG_INVALID,
        pat,
        `${quote(name)} is not a valid profile name (a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)`,
        'rename the profile, e.g. worker or gpu-worker',
        { key: true },
      );
    }
    out[name] = profileOf(r, name, o[name] ?? null, pat);
  }
  return out;
}

function profileOf(r: Reader, name: string, v: Json, at: Segment[]): Profile {
  const o = v === null ? {} : r.mapping(v, at);
  r.fields(o, at, PROFILE_FIELDS);
  const role = (r.optString(o, at, 'role') ?? 'worker') as ProfileRole;
  if (!PROFILE_ROLES.includes(role)) {
    throw r.invalid([...at, 'role'], `${quote(role)} is not one of ${PROFILE_ROLES.join(', ')}`, `use one of ${PROFILE_ROLES.join(', ')} (joinery serve does not initialise clusters)`);
  }
  const spec = specOf(r, o['spec'] ?? null, [...at, 'spec']);
  const formatText = r.optString(o, at, 'format');
  if (formatText !== undefined && !(FORMATS as readonly string[]).includes(formatText)) {
    throw r.invalid([...at, 'format'], `${quote(formatText)} is not one of ${FORMATS.join(', ')}`, `use one of ${FORMATS.join(', ')}`);
  }
  if (formatText !== undefined && spec.format !== undefined && spec.format !== formatText) {
    throw r.invalid([...at, 'format'], `is ${formatText} but spec.format is ${spec.format}`, 'set one of them, or make them agree');
  }
  const format: Format = (formatText as Format | undefined) ?? spec.format ?? 'cloud-config';
  const ttl = tokenTtlOf(r, o['tokenTTL'], [...at, 'tokenTTL']);
  const patternAt = [...at, 'nodeNamePattern'];
  const source = r.optString(o, at, 'nodeNamePattern') ?? DEFAULT_NODE_NAME_PATTERN;
  return { name, role, format, tokenTtlSeconds: ttl, nodeNamePattern: nodeNamePatternOf(r, source, patternAt), nodeNamePatternSource: source, spec };
}

function tokenTtlOf(r: Reader, v: Json | undefined, at: Segment[]): number {
  if (v === undefined || v === null) return DEFAULT_TOKEN_TTL_SECONDS;
  const fix = `write a Go duration from 1s to 24h, e.g. 15m or 2h (default ${DEFAULT_TOKEN_TTL_SECONDS / 60}m)`;
  if (typeof v !== 'string') throw r.invalid(at, `must be a duration such as 15m, not ${typeName(v)}`, fix);
  let ns: bigint;
  try {
    ns = parseDuration(v);
  } catch (err) {
    throw r.error(CONFIG_INVALID, at, `${quote(v)} is not a duration`, fix, { cause: err });
  }
  if (ns <= 0n) throw r.invalid(at, `${quote(v)} is not positive: a machine's token must live long enough to join`, fix);
  if (ns % SECOND !== 0n) throw r.invalid(at, `${quote(v)} is not a whole number of seconds (token expirations are RFC 3339 times in seconds)`, fix);
  if (ns > BigInt(MAX_TOKEN_TTL_SECONDS) * SECOND) throw r.invalid(at, `${quote(v)} is longer than 24h`, fix);
  return Number(ns / SECOND);
}

/**
 * Compiles a node-name pattern (JavaScript syntax with the `u` flag) anchored at both ends, so the
 * whole name must match. Lookaround and backreferences are refused: Go's RE2 has neither, so a pattern
 * that joinery accepts means the same in Go-based tools.
 */
function nodeNamePatternOf(r: Reader, source: string, at: Segment[]): RegExp {
  const fix = 'write a regular expression the whole node name must match, e.g. worker-[a-z0-9-]+ (^ and $ are implied)';
  try {
    new RegExp(source, 'u');
  } catch (err) {
    throw r.error(CONFIG_INVALID, at, `${quote(source)} is not a regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, fix, { cause: err });
  }
  const unsupported = unsupportedRegexFeature(source);
  if (unsupported !== undefined) throw r.invalid(at, `${quote(source)} uses ${unsupported}, which RE2 (Go) does not have`, fix);
  // The source compiled on its own, so its groups are balanced and the wrapper cannot be escaped.
  return new RegExp(`^(?:${source})$`, 'u');
}

function unsupportedRegexFeature(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(n) || n === 'k')) return 'a backreference';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] === '?') {
      const a = source[i + 2];
      const b = source[i + 3];
      if (a === '=' || a === '!' || (a === '<' && (b === '=' || b === '!'))) return 'a lookaround';
    }
  }
  return undefined;
}

/** The machine spec of a profile, with the spec reader's errors re-pathed under `at`. */
function specOf(r: Reader, v: Json, at: Segment[]): MachineSpec {
  let spec: MachineSpec;
  try {
    spec = parseMachineSpec(v ?? {});
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    const inner = err.path === undefined ? [] : pathSegments(err.path);
    const what = err.path !== undefined && err.message.startsWith(`${err.path}: `) ? err.message.slice(err.path.length + 2) : err.message;
    throw r.error(err.code, [...at, ...inner], what, err.fix, { cause: err, key: err.code.endsWith('UNKNOWN_FIELD') });
  }
  const join = spec.joinConfiguration;
  const fixed: [Segment[], unknown, string][] = [
    [['joinConfiguration', 'nodeRegistration', 'name'], join?.nodeRegistration?.name, 'the node name comes from each request (POST /v1/machines {name})'],
    [['joinConfiguration', 'discovery', 'bootstrapToken', 'token'], join?.discovery?.bootstrapToken?.token, 'joinery mints a single-use token per machine'],
    [['joinConfiguration', 'discovery', 'tlsBootstrapToken'], join?.discovery?.tlsBootstrapToken, 'joinery mints a single-use token per machine'],
  ];
  for (const [sub, value, why] of fixed) {
    if (value !== undefined && value !== '') throw r.invalid([...at, ...sub], `must not be set in a profile: ${why}`, `remove ${configPath([...at, ...sub])}`);
  }
  return spec;
}

function apiKeysOf(r: Reader, root: JsonObject, profiles: Record<string, Profile>, defaultRateLimit: RateLimit): ApiKey[] {
  const at = ['apiKeys'];
  const v = root['apiKeys'];
  const fix = 'add a key: apiKeys: [{name: ci, sha256: <hex SHA-256 of the key>, scope: admin}] (`joinery serve` docs show how to make one)';
  if (v === undefined || v === null) throw r.invalid(at, 'is required', fix);
  if (!Array.isArray(v)) throw r.wrongType(at, 'a list', v);
  if (v.length === 0) throw r.invalid(at, 'is empty: nobody could use the API', fix);
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  return v.map((item, i) => {
    const iat = [...at, i];
    const o = r.mapping(item, iat);
    r.fields(o, iat, API_KEY_FIELDS);
    const name = r.string(o, iat, 'name', 'name the key (it appears in logs and metrics, never the key itself)');
    if (name.length > 63 || !KEY_NAME.test(name)) {
      throw r.invalid([...iat, 'name'], `${quote(name)} is not a valid key name (at most 63 letters, digits, '.', '_' and '-', starting and ending with a letter or digit)`, 'use a name such as ci or terraform-prod');
    }
    const dupName = names.get(name);
    if (dupName !== undefined) throw r.invalid([...iat, 'name'], `${quote(name)} is also the name of apiKeys[${dupName}]`, 'give each key its own name');
    names.set(name, i);
    const hex = r.string(o, iat, 'sha256', 'set sha256 to the hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`)');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      throw r.invalid([...iat, 'sha256'], `is not 64 hexadecimal digits (${hex.length} characters)`, 'write the hex SHA-256 of the key, as `printf %s "$KEY" | sha256sum` prints it; never the key itself');
    }
    const lower = hex.toLowerCase();
    const dupHash = hashes.get(lower);
    if (dupHash !== undefined) throw r.invalid([...iat, 'sha256'], `is the same key as apiKeys[${dupHash}]`, 'give each client its own key');
    hashes.set(lower, i);
    const scope = r.string(o, iat, 'scope', `set scope to one of ${API_KEY_SCOPES.join(', ')}`) as ApiKeyScope;
    if (!API_KEY_SCOPES.includes(scope)) throw r.invalid([...iat, 'scope'], `${quote(scope)} is not one of ${API_KEY_SCOPES.join(', ')}`, `use one of ${API_KEY_SCOPES.join(', ')}`);
    const pv = o['profiles'];
    const pat = [...iat, 'profiles'];
    let allowed: string[] = [];
    if (scope === 'admin') {
      if (pv !== undefined && pv !== null) throw r.invalid(pat, 'is only for provisioner keys: an admin key may use every profile', `remove ${configPath(pat)}, or set scope: provisioner`);
    } else {
      if (pv === undefined || pv === null) throw r.invalid(pat, 'is required for a provisioner key', `list the profiles this key may use, e.g. profiles: [${Object.keys(profiles)[0] ?? 'worker'}]`);
      if (!Array.isArray(pv)) throw r.wrongType(pat, 'a list of profile names', pv);
      if (pv.length === 0) throw r.invalid(pat, 'is empty: the key could use no profile', 'list at least one profile, or remove the key');
      allowed = pv.map((p, j) => {
        if (typeof p !== 'string') throw r.wrongType([...pat, j], 'a profile name', p);
        if (!Object.prototype.hasOwnProperty.call(profiles, p)) {
          const close = closestName(p, Object.keys(profiles));
          throw r.invalid([...pat, j], `${quote(p)} is not a profile`, `${close ? `did you mean ${JSON.stringify(close)}? ` : ''}profiles: ${Object.keys(profiles).join(', ')}`);
        }
        return p;
      });
      allowed = [...new Set(allowed)];
    }
    return { name, sha256: Buffer.from(lower, 'hex'), scope, profiles: allowed, rateLimit: rateLimitOf(r, o['rateLimit'], [...iat, 'rateLimit'], defaultRateLimit) };
  });
}

/** True when `nodeName` is a valid Node name (a DNS-1123 subdomain) that the profile's pattern matches. */
export function nodeNameAllowed(profile: Profile, nodeName: string): boolean {
  if (nodeName.length === 0 || nodeName.length > 253) return false;
  if (!DNS1123_SUBDOMAIN.test(nodeName)) return false;
  return profile.nodeNamePattern.test(nodeName);
}

/** SHA-256 of `example-key-do-not-use`, the admin key of `configSkeleton()`. */
export const EXAMPLE_API_KEY = 'example-key-do-not-use';
const EXAMPLE_KEY_SHA256 = '239d610c3cb3891b136e406ed6352e180f4764d2aa4e6b7753b18985d93b1636';

/**
 * An example joinery.yaml with every field and the defaults, for docs and tests. `sha256` is the hash of
 * the key `example-key-do-not-use`.
 */
export function configSkeleton(): string {
  return `# joinery serve --config joinery.yaml
listen: 127.0.0.1:8443                 # host:port; [::1]:8443 for IPv6; port 0 picks a free one
tls: {insecureLoopback: true}          # plain HTTP, loopback only; else {certFile: server.crt, keyFile: server.key}
# kubeconfig: /etc/kubernetes/admin.conf   # omitted: the in-cluster service account
# context: kubernetes-admin@kubernetes
# publicUrl: https://joinery.example.com:8443   # what machines fetch from; default: the listen address
# rateLimit: {requestsPerSecond: 50, burst: 100}   # per API key (each key may set its own); over it: 429
# leaderElection: {namespace: joinery-system, name: joinery-provisioner, leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 2s}
apiKeys:
  # sha256: the hex SHA-256 of the key (printf %s "$KEY" | sha256sum); the key itself is never stored
  - {name: ci, sha256: ${EXAMPLE_KEY_SHA256}, scope: admin}
  - {name: terraform, sha256: fdeb1503d72820a136fd0798b938eb77b16f3dea2946005880e7c677d4bf9109, scope: provisioner, profiles: [worker]}
profiles:
  worker:
    role: worker                       # worker | control-plane
    format: script                     # cloud-config | ignition | script
    tokenTTL: 15m                      # 1s to 24h; default 15m
    nodeNamePattern: "worker-[a-z0-9-]+"   # the whole name must match (^ and $ are implied)
    spec: {}                           # Cluster API KubeadmConfig.spec (docs/machine-spec.md)
`;
}
