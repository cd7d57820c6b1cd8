/**
 * Every document the fixtures render passes the real validators: `cloud-init schema -c`, ajv (draft-04)
 * against the official Ignition schema of its version plus a walk that refuses keys the schema does not
 * know, `ignition-validate` for spec 3.3.0, and `sh -n` + `shellcheck -s sh` for the script, for the
 * Ignition boot script and for cloud-config's runcmd as cloud-init runs it. Each validator is first shown
 * to reject a bad document, so these tests can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse as parseYaml } from 'yaml';
import { renderCloudConfig, renderIgnition, renderScript, IGNITION_VERSIONS, BOOTSTRAP_SCRIPT_PATH } from '../../../../src/userdata/render/index.js';
import type { BootPlan } from '../../../../src/userdata/plan.js';
import { FIXTURES, initWithEtcdDiskPlan } from './fixtures.js';
import {
  cloudInitSchema,
  cloudInitValid,
  decodeResource,
  ignitionValidate,
  missing,
  shSyntax,
  shellcheck,
  type IgnitionDoc,
} from './support.js';

const plans: [string, () => BootPlan][] = [...Object.entries(FIXTURES), ['init-etcd-disk', initWithEtcdDiskPlan]];
const scriptPlans = Object.entries(FIXTURES);

type Schema = Record<string, unknown>;
const schemas = Object.fromEntries(
  IGNITION_VERSIONS.map((v) => [v, JSON.parse(readFileSync(`/work/shared/schemas/ignition-${v}.schema.json`, 'utf8')) as Schema]),
);
// ajv-draft-04 is CommonJS with `exports.default = Ajv`: required, its class is `.default`.
type ValidateFn = ((doc: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
type AjvClass = new (options: Record<string, unknown>) => { compile(schema: object): ValidateFn };
const Ajv = (createRequire(import.meta.url)('ajv-draft-04') as { default: AjvClass }).default;

function validator(version: string): (doc: unknown) => string[] {
  const schema = schemas[version] as Schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return (doc) => {
    const errors = validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
    return [...errors, ...unknownKeys(schema, schema, doc, '')];
  };
}

/** Keys of `doc` that the (loose, additionalProperties-free) official schema does not define. */
function unknownKeys(root: Schema, schema: Schema, doc: unknown, path: string): string[] {
  const resolve = (s: Schema): Schema => {
    const ref = s['$ref'];
    if (typeof ref !== 'string') return s;
    let node: unknown = root;
    for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Record<string, unknown>)[part];
    return resolve(node as Schema);
  };
  const s = resolve(schema);
  const parts = [s, ...((s['allOf'] as Schema[] | undefined) ?? []).map(resolve)];
  if (Array.isArray(doc)) {
    const items = parts.map((p) => p['items'] as Schema | undefined).find((x) => x !== undefined);
    return items === undefined ? [] : doc.flatMap((d, i) => unknownKeys(root, items, d, `${path}[${i}]`));
  }
  if (doc === null || typeof doc !== 'object') return [];
  const props: Record<string, Schema> = {};
  for (const p of parts) Object.assign(props, (p['properties'] as Record<string, Schema> | undefined) ?? {});
  const out: string[] = [];
  for (const [k, v] of Object.entries(doc)) {
    const sub = props[k];
    if (sub === undefined) out.push(`${path}.${k}: not in the schema`);
    else out.push(...unknownKeys(root, sub, v, `${path}.${k}`));
  }
  return out;
}

const CLOUD_CONFIG_KEYS = new Set(['bootcmd', 'write_files', 'runcmd', 'ntp', 'users', 'disk_setup', 'fs_setup', 'mounts']);

test('cloud-init schema rejects a bad document (the check can fail)', (t) => {
  const why = missing('cloud-init');
  if (why !== undefined) return t.skip(why);
  const bad = cloudInitSchema("#cloud-config\nwrite_files:\n-   path: /x\n    permissions: 0600\n    content: x\nruncmd: 5\n");
  assert.equal(cloudInitValid(bad), false, bad.out);
});

for (const [name, build] of plans) {
  for (const jinja of [false, true]) {
    test(`${name}: cloud-config${jinja ? ' (jinja)' : ''} passes cloud-init schema`, (t) => {
      const why = missing('cloud-init');
      if (why !== undefined) return t.skip(why);
      const doc = renderCloudConfig(build(), { jinja });
      const r = cloudInitSchema(doc);
      assert.ok(cloudInitValid(r), r.out);
      const parsed = parseYaml(doc.replace(/^## template: jinja\n/, '')) as Record<string, unknown>;
      for (const k of Object.keys(parsed)) assert.ok(CLOUD_CONFIG_KEYS.has(k), `unexpected top-level key ${k}`);
    });
  }
}

for (const [name, build] of scriptPlans) {
  test(`${name}: cloud-config runcmd and bootcmd, as cloud-init runs them, pass sh -n and shellcheck`, (t) => {
    const why = missing('shellcheck', 'sh');
    if (why !== undefined) return t.skip(why);
    const doc = parseYaml(renderCloudConfig(build())) as { runcmd: string[]; bootcmd: string[] };
    for (const cmds of [doc.runcmd, doc.bootcmd]) {
      // cloud-init's shellify: a #!/bin/sh line, then each string item on its own line.
      const script = `#!/bin/sh\n${cmds.join('\n')}\n`;
      assert.equal(shSyntax(script).status, 0, shSyntax(script).out);
      const sc = shellcheck(script);
      assert.equal(sc.status, 0, sc.out);
    }
  });
}

test('ajv + schema walk reject a bad Ignition document (the check can fail)', () => {
  for (const v of IGNITION_VERSIONS) {
    const check = validator(v);
    assert.notDeepEqual(check({ ignition: { version: v }, storage: { files: [{ path: '/x', mode: '0644' }] } }), []);
    assert.notDeepEqual(check({ ignition: { version: v }, storage: { files: [{ path: '/x', permissions: 420 }] } }), []);
  }
});

test('ignition-validate rejects a bad 3.3.0 document (the check can fail)', (t) => {
  const why = missing('ignition-validate');
  if (why !== undefined) return t.skip(why);
  const r = ignitionValidate('{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"relative/path"}]}}');
  assert.notEqual(r.status, 0, r.out);
});

for (const [name, build] of plans) {
  for (const version of IGNITION_VERSIONS) {
    test(`${name}: ignition ${version} validates against the official schema${version === '3.3.0' ? ' and ignition-validate' : ''}`, (t) => {
      const text = renderIgnition(build(), { version });
      const doc = JSON.parse(text) as IgnitionDoc;
      assert.equal(doc.ignition.version, version);
      assert.deepEqual(validator(version)(doc), []);
      if (version === '3.3.0') {
        const why = missing('ignition-validate');
        if (why !== undefined) return t.skip(why);
        const r = ignitionValidate(text);
        assert.equal(r.status, 0, r.out);
        assert.doesNotMatch(r.out, /warning|error/i);
      }
    });
  }
  test(`${name}: the Ignition boot script passes sh -n and shellcheck`, (t) => {
    const why = missing('shellcheck', 'sh');
    if (why !== undefined) return t.skip(why);
    const doc = JSON.parse(renderIgnition(build())) as IgnitionDoc;
    const file = doc.storage.files.find((f) => f.path === BOOTSTRAP_SCRIPT_PATH);
    assert.ok(file?.contents !== undefined);
    assert.equal(file.mode, 0o700);
    const script = Buffer.from(decodeResource(file.contents)).toString('utf8');
    assert.equal(shSyntax(script).status, 0);
    const sc = shellcheck(script);
    assert.equal(sc.status, 0, sc.out);
  });
}

test('sh -n and shellcheck reject a bad script (the check can fail)', (t) => {
  const why = missing('shellcheck', 'sh');
  if (why !== undefined) return t.skip(why);
  assert.notEqual(shSyntax('#!/bin/sh\nif true; then\n').status, 0);
  assert.notEqual(shellcheck('#!/bin/sh\nx=$1\necho $x\n').status, 0);
});

for (const [name, build] of scriptPlans) {
  test(`${name}: script passes sh -n and shellcheck -s sh`, (t) => {
    const why = missing('shellcheck', 'sh');
    if (why !== undefined) return t.skip(why);
    const script = renderScript(build());
    assert.ok(script.startsWith('#!/bin/sh\n'));
    assert.match(script, /^set -eu$/m);
    const syntax = shSyntax(script);
    assert.equal(syntax.status, 0, syntax.out);
    const sc = shellcheck(script);
    assert.equal(sc.status, 0, sc.out);
  });
}
