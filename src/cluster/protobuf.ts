/**
 * Kubernetes' protobuf encoding, read-only and only as far as the token informer needs it: the frames of a
 * watch of Secrets (`Accept: application/vnd.kubernetes.protobuf;stream=watch`).
 *
 * Why: kube-apiserver encodes each watch event once per encoding and shares it among the watchers that ask
 * for that encoding. kube-controller-manager's Secret informers ask for protobuf, so a JSON watch of
 * joinery's tokens makes kube-apiserver encode every minted Secret a second time, in JSON, just for joinery.
 * In CPU profiles of kube-apiserver over 12 s of bench:serve's serve phase, its watch handler took 0.31 s
 * of 4.93 s with joinery's watch in JSON and 0.13 s of 4.88 s with this one (README, Benchmarks).
 *
 * The wire format (varints, length-delimited fields) is read with @bufbuild/protobuf's BinaryReader; the
 * field numbers are those of k8s.io/api and k8s.io/apimachinery's generated.proto. The objects built here
 * have the shape kube-apiserver's JSON has for the same fields (omitted when empty, `data` in base64,
 * times in RFC 3339 to the second), so the informer's store cannot tell which encoding a Secret came in.
 * Fields nobody reads (managedFields, selfLink, ...) are skipped.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { JoineryError } from '../errors/index.js';

/** The media type of a protobuf watch stream: 4-byte big-endian length, then a metav1.WatchEvent. */
export const PROTOBUF_WATCH = 'application/vnd.kubernetes.protobuf;stream=watch';

/** Every protobuf object (not the stream's WatchEvent) starts with this magic, then a runtime.Unknown. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

/** A frame kube-apiserver sent that this module cannot read (a bug here, or a kind it does not know). */
function undecodable(what: string): JoineryError {
  return new JoineryError(
    'WATCH_UNDECODABLE',
    `kube-apiserver sent a protobuf watch frame joinery cannot read: ${what}`,
    'nothing to do: joinery falls back to a JSON watch; please report this with the Kubernetes version',
    { family: 'cluster' },
  );
}

/** A message's field readers by field number; a field without one is skipped. */
type Fields = Record<number, (reader: BinaryReader, wire: WireType) => unknown>;

/** Reads the message `bytes`, handing each field to its reader in `fields`. */
function message(bytes: Uint8Array, fields: Fields): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    const read = fields[field];
    if (read === undefined) reader.skip(wire, field);
    else read(reader, wire);
  }
  if (reader.pos !== reader.len) throw undecodable('a field runs past the end of its message');
}

/** The bytes of a length-delimited field (after checking the wire type). */
function delimited(reader: BinaryReader, wire: WireType): Uint8Array {
  if (wire !== WireType.LengthDelimited) throw undecodable(`wire type ${wire} where a length-delimited field belongs`);
  return reader.bytes();
}

function text(reader: BinaryReader, wire: WireType): string {
  if (wire !== WireType.LengthDelimited) throw undecodable(`wire type ${wire} where a string belongs`);
  return reader.string();
}

function varint(reader: BinaryReader, wire: WireType): number {
  if (wire !== WireType.Varint) throw undecodable(`wire type ${wire} where a number belongs`);
  return Number(reader.int64());
}

/** A map entry (key 1, value 2) of a map<string, string> or map<string, bytes>. */
function entry(bytes: Uint8Array): { key: string; value: Uint8Array } {
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  message(bytes, { 1: (r, w) => (key = text(r, w)), 2: (r, w) => (value = delimited(r, w)) });
  return { key, value };
}

/** Sets an own property as JSON.parse does (a key such as `__proto__` is a key, not the prototype). */
function put<V>(record: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Map values as strings: bytes that are not UTF-8 become U+FFFD, as Go's JSON encoder writes them. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

function decodeText(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/** Runs a decoder: the wire reader's own errors (a truncated varint, an illegal tag) become WATCH_UNDECODABLE. */
function guarded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof JoineryError) throw err;
    throw undecodable((err as Error).message.slice(0, 120));
  }
}

/** metav1.Time as JSON has it: RFC 3339 in UTC, to the second. */
function time(bytes: Uint8Array): string | undefined {
  let seconds = 0;
  message(bytes, { 1: (r, w) => (seconds = varint(r, w)) });
  if (seconds === 0) return undefined; // the zero time: JSON has null, i.e. not set
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw undecodable(`a time of ${seconds} seconds`);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

function ownerReference(bytes: Uint8Array): OwnerReference {
  const o: OwnerReference = { apiVersion: '', kind: '', name: '', uid: '' };
  message(bytes, {
    1: (r, w) => (o.kind = text(r, w)),
    3: (r, w) => (o.name = text(r, w)),
    4: (r, w) => (o.uid = text(r, w)),
    5: (r, w) => (o.apiVersion = text(r, w)),
    6: (r, w) => (o.controller = varint(r, w) !== 0),
    7: (r, w) => (o.blockOwnerDeletion = varint(r, w) !== 0),
  });
  return o;
}

export interface DecodedObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** metav1.ObjectMeta, with JSON's omitempty: empty strings, zero numbers and empty maps are left out. */
function objectMeta(bytes: Uint8Array): DecodedObjectMeta {
  const m: DecodedObjectMeta = {};
  const set = <K extends keyof DecodedObjectMeta>(key: K, value: DecodedObjectMeta[K] | '' | 0 | undefined): void => {
    if (value !== '' && value !== 0 && value !== undefined) m[key] = value as DecodedObjectMeta[K];
  };
  const map = (key: 'labels' | 'annotations', b: Uint8Array): void => {
    const { key: k, value } = entry(b);
    put((m[key] ??= {}), k, decodeText(value));
  };
  message(bytes, {
    1: (r, w) => set('name', text(r, w)),
    2: (r, w) => set('generateName', text(r, w)),
    3: (r, w) => set('namespace', text(r, w)),
    5: (r, w) => set('uid', text(r, w)),
    6: (r, w) => set('resourceVersion', text(r, w)),
    7: (r, w) => set('generation', varint(r, w)),
    8: (r, w) => set('creationTimestamp', time(delimited(r, w))),
    9: (r, w) => set('deletionTimestamp', time(delimited(r, w))),
    10: (r, w) => set('deletionGracePeriodSeconds', varint(r, w)),
    11: (r, w) => map('labels', delimited(r, w)),
    12: (r, w) => map('annotations', delimited(r, w)),
    13: (r, w) => (m.ownerReferences ??= []).push(ownerReference(delimited(r, w))),
    14: (r, w) => (m.finalizers ??= []).push(text(r, w)),
    // 4 selfLink, 17 managedFields: skipped
  });
  return m;
}

export interface DecodedSecret {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: DecodedObjectMeta;
  data?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

/** core/v1 Secret (the bytes after the runtime.Unknown envelope); `data` in base64 as in JSON. */
function decodeSecret(bytes: Uint8Array): DecodedSecret {
  const s: DecodedSecret = { apiVersion: 'v1', kind: 'Secret', metadata: {} };
  message(bytes, {
    1: (r, w) => (s.metadata = objectMeta(delimited(r, w))),
    2: (r, w) => {
      const { key, value } = entry(delimited(r, w));
      put((s.data ??= {}), key, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
    },
    3: (r, w) => {
      const t = text(r, w);
      if (t !== '') s.type = t;
    },
    5: (r, w) => (s.immutable = varint(r, w) !== 0),
    // 4 stringData is write-only
  });
  return s;
}

export interface DecodedStatus {
  apiVersion: 'v1';
  kind: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
}

/** metav1.Status: what an ERROR event (e.g. 410 Gone) and an error answer carry. */
function decodeStatus(bytes: Uint8Array): DecodedStatus {
  const s: DecodedStatus = { apiVersion: 'v1', kind: 'Status' };
  message(bytes, {
    2: (r, w) => (s.status = text(r, w)),
    3: (r, w) => (s.message = text(r, w)),
    4: (r, w) => (s.reason = text(r, w)),
    6: (r, w) => (s.code = varint(r, w)),
  });
  return s;
}

/**
 * An object as kube-apiserver encodes it in protobuf: the magic "k8s\0", then a runtime.Unknown whose
 * typeMeta names the kind and whose raw field is the object. Secrets and Statuses are read; any other kind
 * is WATCH_UNDECODABLE.
 */
export function decodeObject(bytes: Uint8Array): DecodedSecret | DecodedStatus {
  return guarded(() => unwrap(bytes));
}

function unwrap(bytes: Uint8Array): DecodedSecret | DecodedStatus {
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) throw undecodable('an object without the "k8s\\0" prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array | undefined;
  let contentEncoding = '';
  message(bytes.subarray(MAGIC.length), {
    // typeMeta {apiVersion = 1, kind = 2}
    1: (r, w) => message(delimited(r, w), { 1: (rr, ww) => (apiVersion = text(rr, ww)), 2: (rr, ww) => (kind = text(rr, ww)) }),
    2: (r, w) => (raw = delimited(r, w)),
    3: (r, w) => (contentEncoding = text(r, w)),
  });
  if (contentEncoding !== '') throw undecodable(`content encoding ${JSON.stringify(contentEncoding.slice(0, 40))}`);
  const body = raw ?? new Uint8Array(0);
  if (kind === 'Secret' && apiVersion === 'v1') return decodeSecret(body);
  if (kind === 'Status') return decodeStatus(body);
  throw undecodable(`an object of kind ${JSON.stringify(`${apiVersion}/${kind}`.slice(0, 80))}`);
}

/** One frame of a protobuf watch stream (without its length prefix): metav1.WatchEvent {type, object}. */
export function decodeWatchEvent(frame: Uint8Array): { type: string; object: DecodedSecret | DecodedStatus } {
  return guarded(() => watchEvent(frame));
}

function watchEvent(frame: Uint8Array): { type: string; object: DecodedSecret | DecodedStatus } {
  let type = '';
  let object: Uint8Array | undefined;
  message(frame, {
    1: (r, w) => (type = text(r, w)),
    // runtime.RawExtension {raw = 1}
    2: (r, w) => message(delimited(r, w), { 1: (rr, ww) => (object = delimited(rr, ww)) }),
  });
  if (type === '' || object === undefined) throw undecodable('a watch event without a type or an object');
  return { type, object: unwrap(object) };
}

/**
 * Splits a protobuf watch stream into frames: each is a 4-byte big-endian length and that many bytes.
 * push() takes the chunks as they arrive and returns the complete frames.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Largest frame accepted (kube-apiserver's objects are at most ~1.5 MB; etcd's default request limit). */
  static readonly MAX_FRAME = 16 * 1024 * 1024;

  push(chunk: Buffer): Uint8Array[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (this.pending.length - at >= 4) {
      const n = this.pending.readUInt32BE(at);
      if (n > FrameReader.MAX_FRAME) throw undecodable(`a frame of ${n} bytes`);
      if (this.pending.length - at - 4 < n) break;
      frames.push(this.pending.subarray(at + 4, at + 4 + n));
      at += 4 + n;
    }
    this.pending = this.pending.subarray(at);
    return frames;
  }

  /** Bytes received that do not make a whole frame yet. */
  get buffered(): number {
    return this.pending.length;
  }
}
