/**
 * Property tests: arbitrary file contents (any bytes: NUL, CR, invalid UTF-8, quotes, `$`, backticks,
 * here-document delimiters, YAML markers, Unicode line breaks, very long runs) and modes come out of every
 * format byte for byte: cloud-config as PyYAML reads it and cloud-init's own write_files decodes it (and
 * cloud-init's schema validator accepts it); Ignition by decoding its data URLs (and the official schema
 * accepting it, ignition-validate for 3.3.0); the script by really running it under a temporary root and
 * reading back the files and their modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { renderCloudConfig, renderIgnition, renderScript } from '../../../../src/userdata/render/index.js';
import type { BootPlan, PlanFile } from '../../../../src/userdata/plan.js';
import { decodeResource, ignitionValidate, missing, pythonCloudInitAvailable, tempDir, underRoot, type IgnitionDoc } from './support.js';

const te = new TextEncoder();
const TRICKY = [
  'JOINERY_EOF', 'JOINERY_EOF_1', "'", '"', '$HOME', '${x}', '`id`', '$(id)', '\\', '\n', '\r\n', '\r', '\t', '\0', ' ', '   ',
  '---', '...', '# c', ': ', '- ', '? ', '|', '>', '{{ ds.x }}', '%', '%%', '\u2028', '\u2029', '\u0085', '\ufeff', '\u007f',
  'é', '😀', '\ud800', 'EOF', '#cloud-config', '*a', '&a', '!!binary', 'true', '0644', '~', '@', ',', '[', '{',
];
const textContent = fc
  .array(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 24 })
  .map((parts) => te.encode(parts.join('')));
const longContent = fc
  .tuple(fc.oneof(fc.constantFrom(...TRICKY), fc.string({ minLength: 1, maxLength: 16 })), fc.integer({ min: 200, max: 6000 }))
  .map(([s, n]) => te.encode(s.repeat(n)));
const content = fc.oneof(
  { arbitrary: textContent, weight: 5 },
  { arbitrary: fc.uint8Array({ maxLength: 1500 }), weight: 3 },
  { arbitrary: longContent, weight: 1 },
  { arbitrary: fc.constant(new Uint8Array(0)), weight: 1 },
);

const filesArb = fc.array(
  fc.record({ content, mode: fc.integer({ min: 0, max: 0o777 }), append: fc.boolean(), secret: fc.boolean() }),
  { minLength: 1, maxLength: 4 },
);

function planOf(files: { content: Uint8Array; mode: number; append: boolean; secret: boolean }[]): BootPlan {
  return {
    role: 'worker',
    nodeName: 'prop',
    files: files.map((f, i): PlanFile => ({ path: `/prop/d${i % 2}/file-${i}`, content: f.content, mode: f.mode, append: f.append, secret: f.secret })),
    bootCommands: [],
    preKubeadmCommands: [],
    kubeadmCommand: 'true',
    postKubeadmCommands: [],
    users: [],
    binaries: [],
    runOnceGuard: '/etc/kubernetes/kubelet.conf',
    sentinel: '/run/cluster-api/bootstrap-success.complete',
  };
}

const expectedMode = (f: PlanFile): number => (f.secret ? 0o600 : f.mode);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('cloud-config: contents survive PyYAML + cloud-init write_files decoding; cloud-init schema accepts every document', (t) => {
  const why = pythonCloudInitAvailable();
  if (why !== undefined) return t.skip(why);
  // Commands, paths and user fields are arbitrary strings too: every scalar must read back as itself.
  const stringArb = fc.oneof(fc.constantFrom(...TRICKY), fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 12 }));
  const extrasArb = fc.record({ commands: fc.array(stringArb, { maxLength: 4 }), suffix: stringArb, gecos: stringArb });
  const withExtras = (files: Parameters<typeof planOf>[0], x: { commands: string[]; suffix: string; gecos: string }): BootPlan => {
    const plan = planOf(files);
    plan.files[0]!.path += x.suffix;
    return { ...plan, preKubeadmCommands: x.commands, users: [{ name: 'u', gecos: x.gecos }] };
  };
  const samples = fc.sample(fc.tuple(filesArb, extrasArb), { numRuns: 150, seed: 4242 });
  const extra = fc.sample(fc.tuple(filesArb, extrasArb), 100);
  const plans = [...samples, ...extra].map(([f, x]) => withExtras(f, x));
  const docs = plans.map((p) => renderCloudConfig(p));
  const dir = tempDir();
  const names = docs.map((d, i) => {
    const f = join(dir, `d${i}.yaml`);
    writeFileSync(f, d);
    return f;
  });
  const py = `
import json, sys, yaml
from cloudinit.config.cc_write_files import canonicalize_extraction, extract_contents
from cloudinit.config.schema import get_schema, validate_cloudconfig_schema
schema = get_schema()
out = []
for name in sys.argv[1:]:
    raw = open(name, 'rb').read()
    doc = yaml.safe_load(raw)
    err = None
    if not raw.startswith(b'#cloud-config\\n'):
        err = 'header'
    else:
        try:
            validate_cloudconfig_schema(doc, schema, strict=True)
        except Exception as e:
            err = str(e)
    files = []
    for e in doc['write_files']:
        c = extract_contents(e.get('content', ''), canonicalize_extraction(e.get('encoding')))
        if isinstance(c, str):
            c = c.encode('utf-8')
        files.append([e['path'], e.get('permissions'), bool(e.get('append', False)), c.hex()])
    out.append([err, files, doc['runcmd'], doc['users'][0]['gecos']])
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, ...names], { encoding: 'utf8', maxBuffer: 512 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as [string | null, [string, string, boolean, string][], string[], string][];
  results.forEach(([err, files, runcmd, gecos], i) => {
    const plan = plans[i] as BootPlan;
    assert.equal(err, null, `document ${i}: ${err}`);
    assert.deepEqual(runcmd.slice(0, plan.preKubeadmCommands.length), plan.preKubeadmCommands);
    assert.equal(gecos, plan.users[0]!.gecos);
    plan.files.forEach((f, j) => {
      const got = files[j];
      assert.ok(got !== undefined);
      assert.equal(got[0], f.path);
      assert.equal(parseInt(got[1], 8), expectedMode(f), `mode of ${f.path} in document ${i}`);
      assert.equal(got[2], f.append);
      assert.equal(got[3], hex(f.content), `content of ${f.path} in document ${i}`);
    });
  });
});

test('ignition: contents survive the data URLs (every spec version)', () => {
  fc.assert(
    fc.property(filesArb, fc.constantFrom('3.3.0', '3.4.0', '3.5.0' as const), (files, version) => {
      const plan = planOf(files);
      const doc = JSON.parse(renderIgnition(plan, { version })) as IgnitionDoc;
      for (const f of plan.files) {
        const entry = doc.storage.files.find((e) => e.path === f.path);
        assert.ok(entry !== undefined, f.path);
        assert.equal(entry.mode, expectedMode(f));
        if (f.append) {
          assert.equal(entry.contents, undefined);
          assert.equal(entry.overwrite, undefined);
          assert.equal(entry.append?.length, 1);
          assert.equal(hex(decodeResource(entry.append![0]!)), hex(f.content));
        } else {
          assert.equal(entry.overwrite, true);
          assert.equal(hex(decodeResource(entry.contents!)), hex(f.content));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('ignition 3.3.0: ignition-validate accepts documents with arbitrary contents', (t) => {
  const why = missing('ignition-validate');
  if (why !== undefined) return t.skip(why);
  for (const files of fc.sample(filesArb, { numRuns: 40, seed: 7 })) {
    const r = ignitionValidate(renderIgnition(planOf(files), { version: '3.3.0' }));
    assert.equal(r.status, 0, r.out);
  }
});

test('script: run for real under a temporary root, every file is written byte for byte with its mode', (t) => {
  const why = missing('sh', 'base64', 'mktemp');
  if (why !== undefined) return t.skip(why);
  fc.assert(
    fc.property(filesArb, fc.uint8Array({ maxLength: 40 }), (files, old) => {
      const root = tempDir('joinery-script-');
      const plan = underRoot(planOf(files), root);
      // Append files may find an old file: its content stays in front.
      const before = new Map<string, Uint8Array>();
      plan.files.forEach((f, i) => {
        if (f.append && i % 2 === 0) {
          mkdirSync(dirname(f.path), { recursive: true });
          writeFileSync(f.path, old);
          before.set(f.path, old);
        }
      });
      // From a file, not `sh -c`: one argument may not exceed 128 KiB (MAX_ARG_STRLEN), and large files do.
      const scriptFile = join(root, 'bootstrap.sh');
      writeFileSync(scriptFile, renderScript(plan));
      const r = spawnSync('sh', [scriptFile], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.error === undefined ? r.stderr : String(r.error));
      const expected = new Map<string, { bytes: Uint8Array; mode: number }>();
      for (const f of plan.files) {
        const prev = f.append ? (expected.get(f.path)?.bytes ?? before.get(f.path) ?? new Uint8Array()) : new Uint8Array();
        expected.set(f.path, { bytes: Buffer.concat([prev, f.content]), mode: expectedMode(f) });
      }
      for (const [path, want] of expected) {
        assert.equal(hex(readFileSync(path)), hex(want.bytes), path);
        assert.equal(statSync(path).mode & 0o7777, want.mode, `mode of ${path}`);
      }
      assert.equal(readFileSync(plan.sentinel, 'utf8'), 'success\n');
      spawnSync('rm', ['-rf', root]);
    }),
    { numRuns: 60 },
  );
});
