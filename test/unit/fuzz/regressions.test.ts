/**
 * The parser bugs the fuzz tests found (issue 6 §3), one test each; every one failed before its fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JoineryError } from '../../../src/errors/index.js';
import { goYamlDocuments, parseKubeadmDocuments } from '../../../src/kubeadm/index.js';
import { parseProvisionerConfig } from '../../../src/provisioner/config/index.js';
import { parseMachineSpec } from '../../../src/userdata/spec/index.js';

const HASH = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
const TOKEN = 'abcdef.0123456789abcdef';

function thrown(fn: () => unknown): JoineryError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof JoineryError, `not a JoineryError: ${String(err)}`);
    return err;
  }
  assert.fail('no error');
}

function noSecret(err: JoineryError, ...secrets: string[]): void {
  for (const s of secrets) {
    for (const [field, text] of [['message', err.message], ['fix', err.fix], ['path', err.path ?? '']] as const) {
      assert.ok(!text.includes(s), `the ${field} echoes ${s}: ${text}`);
    }
  }
}

test('deeply nested YAML is a typed error, also the second time in one process (it aborted node: "RegExpCompiler Allocation failed")', () => {
  // In a child process: before the fix the second document made V8 abort the whole process.
  const parse = fileURLToPath(new URL('../../../src/kubeadm/index.ts', import.meta.url));
  const script = `
    import { goYamlDocuments } from ${JSON.stringify(parse)};
    for (const d of [1001, 100000]) {
      try { goYamlDocuments('['.repeat(d) + ']'.repeat(d)); console.log('parsed'); }
      catch (e) { console.log(e.name, e.code, e.message); }
    }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `the child was killed by ${r.signal}: ${r.stderr.slice(0, 500)}`);
  assert.equal(r.status, 0, r.stderr.slice(0, 500));
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  for (const line of lines) assert.match(line, /^JoineryError KUBEADM_YAML_INVALID document 1: YAML syntax error at line 1, column \d+: collections nest more than 100 levels deep$/);
});

test('nesting is limited in every parser, with the position; 100 levels still parse', () => {
  const deep = `${'{a: '.repeat(101)}1${'}'.repeat(101)}`;
  assert.match(thrown(() => goYamlDocuments(deep)).message, /^document 1: YAML syntax error at line 1, column \d+: collections nest more than 100 levels deep/);
  assert.equal(thrown(() => parseMachineSpec(`files: ${deep}`)).code, 'USERDATA_SPEC_YAML_INVALID');
  const config = thrown(() => parseProvisionerConfig(`listen: 127.0.0.1:1\nprofiles:\n${Array.from({ length: 120 }, (_, i) => `${'  '.repeat(i + 1)}a${i}:`).join('\n')} x\n`, 'joinery.yaml'));
  assert.equal(config.code, 'CONFIG_YAML_INVALID');
  assert.match(config.message, /^joinery\.yaml:\d+:\d+: YAML syntax error: collections nest more than 100 levels deep$/);
  assert.equal(thrown(() => parseKubeadmDocuments(`apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nskipPhases: ${'['.repeat(200)}${']'.repeat(200)}\n`)).code, 'KUBEADM_YAML_INVALID');
  const ok = `${'['.repeat(99)}1${']'.repeat(99)}`;
  assert.equal(goYamlDocuments(`a: ${ok}`).length, 1);
});

test('a file with many aliases parses in linear time (each alias walked the whole document: 20,000 aliases took minutes)', () => {
  const n = 20_000;
  const text = `a: &x {k: v}\nlist:\n${'  - *x\n'.repeat(n)}`;
  const t0 = performance.now();
  const docs = goYamlDocuments(text);
  const ms = performance.now() - t0;
  assert.equal(((docs[0]?.value as { list: unknown[] }).list).length, n);
  assert.ok(ms < 5000, `${n} aliases took ${Math.round(ms)} ms`);
  // Aliases still resolve to the last anchor of that name before them, as the yaml package does.
  assert.deepEqual(goYamlDocuments('a: &x 1\nb: *x\nc: &x 2\nd: *x\n')[0]?.value, { a: 1, b: 1, c: 2, d: 2 });
  assert.equal(thrown(() => goYamlDocuments('a: *nope\n')).code, 'KUBEADM_YAML_INVALID');
});

test("joinery.yaml errors do not echo an API key's SHA-256 or a token (they quoted any value as it was)", () => {
  const base = (over: Record<string, string>): string => {
    const f = { listen: '127.0.0.1:8443', scope: 'admin', ttl: '15m', key: 'profiles', ...over };
    return `listen: ${f.listen}\ntls: {insecureLoopback: true}\napiKeys: [{name: ci, sha256: ${HASH}, scope: ${f.scope}}]\n${f.key}:\n  w: {tokenTTL: ${f.ttl}}\n`;
  };
  const cases = [
    base({ listen: HASH }),
    base({ scope: HASH }),
    base({ ttl: HASH }),
    base({ scope: TOKEN }),
    base({ key: TOKEN }),
    base({ key: HASH }),
  ];
  for (const text of cases) {
    const err = thrown(() => parseProvisionerConfig(text, 'joinery.yaml'));
    assert.ok(['CONFIG_INVALID', 'CONFIG_UNKNOWN_FIELD'].includes(err.code), err.code);
    noSecret(err, HASH, TOKEN.split('.')[1] as string);
  }
  // The path of an unknown field that is a token is scrubbed too.
  assert.equal(thrown(() => parseProvisionerConfig(base({ key: TOKEN }), 'joinery.yaml')).path, '["abcdef.<redacted>"]');
});

test('machine spec and kubeadm errors do not echo a token or hash used as a field name (fix and path named it)', () => {
  for (const key of [TOKEN, HASH]) {
    const spec = thrown(() => parseMachineSpec({ [key]: 1 }));
    assert.equal(spec.code, 'USERDATA_SPEC_UNKNOWN_FIELD');
    noSecret(spec, HASH, '0123456789abcdef');
    const nested = thrown(() => parseMachineSpec({ joinConfiguration: { nodeRegistration: { [key]: 'x' } } }));
    noSecret(nested, HASH, '0123456789abcdef');
    const kubeadm = thrown(() => parseKubeadmDocuments(`apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n"${key}": 1\n`));
    assert.equal(kubeadm.code, 'KUBEADM_CONFIG_INVALID');
    noSecret(kubeadm, HASH, '0123456789abcdef');
    const config = thrown(() => parseProvisionerConfig(`listen: 127.0.0.1:1\ntls: {insecureLoopback: true}\napiKeys: [{name: a, sha256: ${'b'.repeat(64)}, scope: admin}]\nprofiles: {w: {spec: {"${key}": 1}}}\n`, 'joinery.yaml'));
    noSecret(config, HASH, '0123456789abcdef');
  }
});

test('a Kubernetes version that is a hash is not echoed by the machine spec reader (src/kubeadm quoted it)', () => {
  for (const v of [HASH, HASH.toUpperCase(), TOKEN]) {
    const err = thrown(() => parseMachineSpec({ kubernetesBinaries: { version: v, urlTemplate: 'https://e/{{version}}/{{name}}', sha256: { kubeadm: 'a'.repeat(64) } } }));
    assert.equal(err.code, 'USERDATA_SPEC_INVALID');
    assert.equal(err.path, 'kubernetesBinaries.version');
    noSecret(err, HASH, HASH.toUpperCase(), '0123456789abcdef');
  }
});
