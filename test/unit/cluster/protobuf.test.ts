/**
 * The protobuf watch decoder: real frames of kube-apiserver v1.20.2 and v1.36.3 decode to exactly what the
 * JSON API returned for the same Secrets; generated Secrets (written with @bufbuild/protobuf's BinaryWriter
 * from the field numbers of generated.proto, with unknown fields mixed in) decode to their JSON shape; a
 * stream split anywhere gives the same frames; anything else is WATCH_UNDECODABLE, never another error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { decodeObject, decodeWatchEvent, FrameReader } from '../../../src/cluster/protobuf.js';
import { JoineryError } from '../../../src/errors/index.js';

interface Golden {
  frames: string[];
  json: { metadata: { name: string; uid: string; resourceVersion: string } }[];
}
const golden = JSON.parse(readFileSync(new URL('./protobuf-frames.json', import.meta.url), 'utf8')) as { versions: Record<string, Golden> };

const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** runtime.Unknown {typeMeta {apiVersion, kind}, raw, contentEncoding} after the magic. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array, contentEncoding = ''): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(apiVersion).tag(2, WireType.LengthDelimited).string(kind).join();
  w.tag(2, WireType.LengthDelimited).bytes(raw);
  if (contentEncoding !== '') w.tag(3, WireType.LengthDelimited).string(contentEncoding);
  w.tag(4, WireType.LengthDelimited).string('');
  const body = w.finish();
  const out = new Uint8Array(MAGIC.length + body.length);
  out.set(MAGIC);
  out.set(body, MAGIC.length);
  return out;
}

function watchEvent(type: string, object: Uint8Array): Uint8Array {
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).string(type);
  w.tag(2, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).bytes(object).join();
  return w.finish();
}

function frame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bytes.length);
  return Buffer.concat([head, bytes]);
}

function mapEntry(w: BinaryWriter, field: number, key: string, value: string | Uint8Array): void {
  w.tag(field, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(key);
  if (typeof value === 'string') w.tag(2, WireType.LengthDelimited).string(value);
  else w.tag(2, WireType.LengthDelimited).bytes(value);
  w.join();
}

/** Unknown fields kube-apiserver may send (selfLink, managedFields, a future field): the decoder skips them. */
function noise(w: BinaryWriter, extra: boolean): void {
  if (!extra) return;
  w.tag(4, WireType.LengthDelimited).string('/api/v1/ignored');
  w.tag(99, WireType.Varint).int64(12345678901234n);
  w.tag(98, WireType.Bit32).fixed32(7);
  w.tag(97, WireType.Bit64).fixed64(9n);
}

interface SecretCase {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  seconds: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Record<string, Uint8Array>;
  type: string;
  owner: boolean;
  extra: boolean;
}

/** A Secret as gogo-protobuf writes it (every scalar field of ObjectMeta, empty or not) plus unknown fields. */
function secretBytes(c: SecretCase): Uint8Array {
  const meta = new BinaryWriter();
  meta.tag(1, WireType.LengthDelimited).string(c.name);
  meta.tag(2, WireType.LengthDelimited).string('');
  meta.tag(3, WireType.LengthDelimited).string(c.namespace);
  noise(meta, c.extra);
  meta.tag(5, WireType.LengthDelimited).string(c.uid);
  meta.tag(6, WireType.LengthDelimited).string(c.resourceVersion);
  meta.tag(7, WireType.Varint).int64(0);
  meta.tag(8, WireType.LengthDelimited).fork().tag(1, WireType.Varint).int64(c.seconds).tag(2, WireType.Varint).int32(0).join();
  for (const [k, v] of Object.entries(c.labels)) mapEntry(meta, 11, k, v);
  for (const [k, v] of Object.entries(c.annotations)) mapEntry(meta, 12, k, v);
  if (c.owner) {
    meta.tag(13, WireType.LengthDelimited).fork();
    meta.tag(1, WireType.LengthDelimited).string('Secret').tag(3, WireType.LengthDelimited).string('owner').tag(4, WireType.LengthDelimited).string('u-1');
    meta.tag(5, WireType.LengthDelimited).string('v1').tag(7, WireType.Varint).bool(false).join();
  }
  if (c.extra) meta.tag(17, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string('kube-controller-manager').join();
  const w = new BinaryWriter();
  w.tag(1, WireType.LengthDelimited).bytes(meta.finish());
  for (const [k, v] of Object.entries(c.data)) mapEntry(w, 2, k, v);
  w.tag(3, WireType.LengthDelimited).string(c.type);
  noise(w, c.extra);
  return w.finish();
}

/** What kube-apiserver's JSON has for the same Secret (omitempty; data in base64; time to the second). */
function jsonOf(c: SecretCase): unknown {
  const metadata: Record<string, unknown> = {};
  if (c.name !== '') metadata['name'] = c.name;
  if (c.namespace !== '') metadata['namespace'] = c.namespace;
  if (c.uid !== '') metadata['uid'] = c.uid;
  if (c.resourceVersion !== '') metadata['resourceVersion'] = c.resourceVersion;
  if (c.seconds !== 0) metadata['creationTimestamp'] = new Date(c.seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (Object.keys(c.labels).length > 0) metadata['labels'] = c.labels;
  if (Object.keys(c.annotations).length > 0) metadata['annotations'] = c.annotations;
  if (c.owner) metadata['ownerReferences'] = [{ apiVersion: 'v1', kind: 'Secret', name: 'owner', uid: 'u-1', blockOwnerDeletion: false }];
  const out: Record<string, unknown> = { apiVersion: 'v1', kind: 'Secret', metadata };
  if (Object.keys(c.data).length > 0) out['data'] = Object.fromEntries(Object.entries(c.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  if (c.type !== '') out['type'] = c.type;
  return out;
}

const key = fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('__proto__'));
const secretCase: fc.Arbitrary<SecretCase> = fc.record({
  name: fc.string({ maxLength: 40 }),
  namespace: fc.constantFrom('', 'kube-system'),
  uid: fc.uuid(),
  resourceVersion: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  seconds: fc.integer({ min: 0, max: 253402300799 }),
  labels: fc.dictionary(key, fc.string({ maxLength: 30 }), { maxKeys: 5, noNullPrototype: true }),
  annotations: fc.dictionary(key, fc.string({ unit: 'grapheme', maxLength: 60 }), { maxKeys: 5, noNullPrototype: true }),
  data: fc.dictionary(key, fc.uint8Array({ maxLength: 64 }), { maxKeys: 6, noNullPrototype: true }),
  type: fc.constantFrom('', 'bootstrap.kubernetes.io/token', 'Opaque'),
  owner: fc.boolean(),
  extra: fc.boolean(),
});

function assertUndecodable(run: () => unknown): void {
  assert.throws(run, (err: unknown) => err instanceof JoineryError && err.code === 'WATCH_UNDECODABLE' && err.family === 'cluster');
}

describe('protobuf watch frames', () => {
  for (const [version, g] of Object.entries(golden.versions)) {
    it(`decodes kube-apiserver ${version}'s real frames to what its JSON API returned`, () => {
      const events = g.frames.map((f) => decodeWatchEvent(Buffer.from(f, 'base64')));
      assert.deepEqual(
        events.map((e) => e.type),
        ['ADDED', 'ADDED', 'DELETED', 'DELETED'],
      );
      assert.deepEqual(events[0]?.object, g.json[0]);
      assert.deepEqual(events[1]?.object, g.json[1]);
      // A DELETED event carries the object as it was, at the deletion's resourceVersion.
      for (const [i, j] of [
        [2, 1],
        [3, 0],
      ] as const) {
        const deleted = events[i]?.object as { metadata: { resourceVersion: string } };
        const { resourceVersion, ...rest } = deleted.metadata;
        const { resourceVersion: createdAt, ...expected } = (g.json[j] as Golden['json'][number]).metadata;
        assert.deepEqual(rest, expected);
        assert.ok(BigInt(resourceVersion) > BigInt(createdAt));
      }
      // The owned marker's owner reference, as the one-time fetch writes it.
      assert.deepEqual((events[1]?.object as { metadata: { ownerReferences?: unknown } }).metadata.ownerReferences, [
        { apiVersion: 'v1', kind: 'Secret', name: 'bootstrap-token-abcdef', uid: g.json[0]?.metadata.uid, blockOwnerDeletion: false },
      ]);
    });
  }

  it('decodes any Secret to its JSON shape, skipping fields it does not read', () => {
    fc.assert(
      fc.property(secretCase, fc.constantFrom('ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK'), (c, type) => {
        const event = decodeWatchEvent(watchEvent(type, envelope('v1', 'Secret', secretBytes(c))));
        assert.equal(event.type, type);
        assert.deepEqual(event.object, jsonOf(c));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes a Status (an ERROR event such as 410 Gone, or an error answer)', () => {
    const w = new BinaryWriter();
    w.tag(1, WireType.LengthDelimited).fork().join();
    w.tag(2, WireType.LengthDelimited).string('Failure');
    w.tag(3, WireType.LengthDelimited).string('too old resource version: 1 (286)');
    w.tag(4, WireType.LengthDelimited).string('Expired');
    w.tag(6, WireType.Varint).int32(410);
    const status = envelope('v1', 'Status', w.finish());
    const event = decodeWatchEvent(watchEvent('ERROR', status));
    assert.deepEqual(event, { type: 'ERROR', object: { apiVersion: 'v1', kind: 'Status', status: 'Failure', message: 'too old resource version: 1 (286)', reason: 'Expired', code: 410 } });
    assert.deepEqual(decodeObject(status), event.object);
  });

  it('refuses what it cannot read with WATCH_UNDECODABLE', () => {
    const secret = envelope('v1', 'Secret', secretBytes({ name: 'a', namespace: '', uid: '', resourceVersion: '1', seconds: 1, labels: {}, annotations: {}, data: {}, type: '', owner: false, extra: false }));
    assertUndecodable(() => decodeObject(secret.subarray(1))); // no magic
    assertUndecodable(() => decodeObject(envelope('v1', 'ConfigMap', new Uint8Array(0))));
    assertUndecodable(() => decodeObject(envelope('v1', 'Secret', new Uint8Array(0), 'gzip')));
    assertUndecodable(() => decodeWatchEvent(watchEvent('ADDED', secret).subarray(0, 20))); // truncated
    assertUndecodable(() => decodeWatchEvent(new BinaryWriter().tag(1, WireType.LengthDelimited).string('ADDED').finish())); // no object
    assertUndecodable(() => decodeWatchEvent(new BinaryWriter().tag(1, WireType.Varint).int32(3).finish())); // a number for the type
    assertUndecodable(() => new FrameReader().push(Buffer.from([0xff, 0xff, 0xff, 0xff])));
    // The message names what was wrong, never the frame's bytes (a Secret's data is in them).
    const withSecret = envelope('v1', 'Secret', secretBytes({ name: 'a', namespace: '', uid: '', resourceVersion: '1', seconds: 1, labels: {}, annotations: {}, data: { 'token-secret': Buffer.from('s3cr3tvalue12345') }, type: '', owner: false, extra: false }));
    const at = Buffer.from(withSecret).indexOf('s3cr3t') + 8;
    assert.throws(
      () => decodeObject(withSecret.subarray(0, at)),
      (err: unknown) => err instanceof JoineryError && err.code === 'WATCH_UNDECODABLE' && !/s3cr3t|czNjcjN0/.test(`${err.message} ${err.fix}`),
    );
  });

  it('never fails with anything but WATCH_UNDECODABLE, whatever the bytes', () => {
    const real = Buffer.from(golden.versions['v1.36.3']?.frames[0] as string, 'base64');
    const mutated = fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(real.length)).map(([at, byte, cut]) => {
      const b = Buffer.from(real);
      b[at] = byte;
      return b.subarray(0, Math.max(cut, at + 1));
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (bytes) => {
        for (const decode of [decodeWatchEvent, decodeObject]) {
          try {
            decode(bytes);
          } catch (err) {
            assert.ok(err instanceof JoineryError && err.code === 'WATCH_UNDECODABLE', `${(err as Error).name}: ${(err as Error).message}`);
          }
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('splits a stream into the same frames however its chunks fall', () => {
    const frames = golden.versions['v1.20.2']?.frames.map((f) => Buffer.from(f, 'base64')) ?? [];
    const stream = Buffer.concat(frames.map(frame));
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const reader = new FrameReader();
        const got: Buffer[] = [];
        for (let i = 1; i < at.length; i++) for (const f of reader.push(stream.subarray(at[i - 1], at[i]))) got.push(Buffer.from(f));
        assert.deepEqual(got, frames);
        assert.equal(reader.buffered, 0);
      }),
      { numRuns: 1000 },
    );
  });
});
