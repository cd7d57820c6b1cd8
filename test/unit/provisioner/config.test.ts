import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import {
  configSkeleton,
  isLoopbackHost,
  nodeNameAllowed,
  parseProvisionerConfig,
  publicBaseUrl,
  CONFIG_INVALID,
  CONFIG_UNKNOWN_FIELD,
  CONFIG_YAML_INVALID,
  DEFAULT_TOKEN_TTL_SECONDS,
  EXAMPLE_API_KEY,
  DEFAULT_LEADER_ELECTION,
  DEFAULT_RATE_LIMIT,
} from '../../../src/provisioner/config/index.js';
import { apiKeyHash } from '../../../src/provisioner/auth/index.js';

const HASH = 'a'.repeat(64);
/** The contract shape, verbatim apart from the hash. */
const CONTRACT = `listen: 127.0.0.1:8443
tls: {insecureLoopback: true}          # or {certFile: ..., keyFile: ...}
kubeconfig: /path/to/admin.conf        # omitted in-cluster
apiKeys:
  - {name: ci, sha256: ${HASH}, scope: admin}
profiles:
  worker:
    role: worker
    format: script                      # cloud-config | ignition | script
    tokenTTL: 15m
    nodeNamePattern: "^worker-[a-z0-9-]+$"
    spec: {}                            # the bootstrap-data machine spec
`;

const parse = (text: string) => parseProvisionerConfig(text, 'joinery.yaml');
const fails = (text: string, code: string, path?: string, where?: string): JoineryError => {
  const err = throwsCode(() => parse(text), code);
  assert.equal(err.family, 'input');
  if (path !== undefined) assert.equal(err.path, path, err.message);
  if (where !== undefined) assert.ok(err.message.startsWith(`joinery.yaml:${where}: `), err.message);
  return err;
};

test('the contract shape of issue 5 parses with every field read', () => {
  const c = parse(CONTRACT);
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 8443 });
  assert.deepEqual(c.tls, { insecureLoopback: true });
  assert.equal(c.kubeconfig, '/path/to/admin.conf');
  assert.equal(c.apiKeys.length, 1);
  assert.deepEqual({ ...c.apiKeys[0], sha256: c.apiKeys[0]?.sha256.toString('hex') }, { name: 'ci', sha256: HASH, scope: 'admin', profiles: [], rateLimit: DEFAULT_RATE_LIMIT });
  assert.deepEqual(c.leaderElection, DEFAULT_LEADER_ELECTION);
  const w = c.profiles['worker'];
  assert.ok(w);
  assert.equal(w.role, 'worker');
  assert.equal(w.format, 'script');
  assert.equal(w.tokenTtlSeconds, 900);
  assert.equal(w.nodeNamePatternSource, '^worker-[a-z0-9-]+$');
  assert.deepEqual(w.spec.files, []);
  assert.equal(publicBaseUrl(c), 'http://127.0.0.1:8443');
});

test('the skeleton parses, and its example key hashes to its admin entry', () => {
  const c = parse(configSkeleton());
  assert.equal(c.apiKeys[0]?.sha256.toString('hex'), apiKeyHash(EXAMPLE_API_KEY));
  assert.deepEqual(c.apiKeys[1]?.profiles, ['worker']);
});

test('defaults: role worker, format cloud-config (or spec.format), TTL 15m, any DNS-1123 node name', () => {
  const c = parse(`listen: "[::1]:0"\ntls: {insecureLoopback: true}\napiKeys: [{name: a, sha256: ${HASH}, scope: admin}]\nprofiles:\n  w:\n  ign: {spec: {format: ignition}}\n`);
  const w = c.profiles['w'];
  assert.ok(w);
  assert.equal(w.role, 'worker');
  assert.equal(w.format, 'cloud-config');
  assert.equal(w.tokenTtlSeconds, DEFAULT_TOKEN_TTL_SECONDS);
  assert.equal(c.profiles['ign']?.format, 'ignition');
  assert.ok(nodeNameAllowed(w, 'node-1.example.com'));
  assert.ok(!nodeNameAllowed(w, 'Node_1'));
  assert.ok(!nodeNameAllowed(w, 'a'.repeat(254)));
  assert.equal(c.listen.host, '::1');
  assert.equal(publicBaseUrl(c, 40123), 'http://[::1]:40123');
});

test('node-name patterns are anchored: the whole name must match', () => {
  const c = parse(CONTRACT.replace('"^worker-[a-z0-9-]+$"', '"worker-[0-9]+|gpu-[0-9]+"'));
  const p = c.profiles['worker'];
  assert.ok(p);
  assert.ok(nodeNameAllowed(p, 'worker-1'));
  assert.ok(nodeNameAllowed(p, 'gpu-2'));
  assert.ok(!nodeNameAllowed(p, 'evil-worker-1'));
  assert.ok(!nodeNameAllowed(p, 'worker-1x'));
  assert.ok(!nodeNameAllowed(p, 'gpu-2.evil'));
  assert.ok(!nodeNameAllowed(p, 'xgpu-2'));
});

test('node-name patterns that do not compile, or use lookaround or backreferences, are refused', () => {
  for (const bad of ['"(worker"', '"a)|(b"', '"(?=w)worker"', '"(?<!x)w"', '"(a)\\\\1"', '"[z-a]"']) {
    fails(CONTRACT.replace('"^worker-[a-z0-9-]+$"', bad), CONFIG_INVALID, 'profiles.worker.nodeNamePattern', '11:22');
  }
  // a lookahead inside a character class is just characters
  parse(CONTRACT.replace('"^worker-[a-z0-9-]+$"', '"w[(?=]*"'));
});

test('unknown fields name the path, the position and the closest field', () => {
  let e = fails(CONTRACT.replace('tokenTTL:', 'tokenTtl:'), CONFIG_UNKNOWN_FIELD, 'profiles.worker.tokenTtl', '10:5');
  assert.match(e.fix, /did you mean "tokenTTL"/);
  e = fails(CONTRACT.replace('kubeconfig:', 'kubeconfg:'), CONFIG_UNKNOWN_FIELD, 'kubeconfg', '3:1');
  assert.match(e.fix, /did you mean "kubeconfig"/);
  e = fails(CONTRACT.replace('scope: admin', 'scope: admin, profile: [worker]'), CONFIG_UNKNOWN_FIELD, 'apiKeys[0].profile');
  assert.match(e.fix, /did you mean "profiles"/);
  fails(CONTRACT.replace('{insecureLoopback: true}', '{insecureLoopBack: true}'), CONFIG_UNKNOWN_FIELD, 'tls.insecureLoopBack', '2:7');
});

test('insecureLoopback only with a loopback listen address', () => {
  for (const host of ['127.0.0.1', '127.8.9.1', 'localhost', '[::1]', '[0:0:0:0:0:0:0:1]']) {
    parse(CONTRACT.replace('127.0.0.1:8443', `"${host}:8443"`));
  }
  for (const host of ['10.0.0.1', '0.0.0.0', '[::]', 'example.com', '[::ffff:127.0.0.1]', '128.0.0.1']) {
    fails(CONTRACT.replace('127.0.0.1:8443', `"${host}:8443"`), CONFIG_INVALID, 'tls.insecureLoopback');
  }
  assert.ok(isLoopbackHost('::1') && isLoopbackHost('LOCALHOST') && !isLoopbackHost('127.0.0.1.nip.io'));
});

test('TLS from files; publicUrl defaults to https://<listen> and is required on 0.0.0.0', () => {
  const tls = CONTRACT.replace('{insecureLoopback: true}', '{certFile: /etc/joinery/tls.crt, keyFile: /etc/joinery/tls.key}');
  const c = parse(tls);
  assert.deepEqual(c.tls, { certFile: '/etc/joinery/tls.crt', keyFile: '/etc/joinery/tls.key' });
  assert.equal(publicBaseUrl(c), 'https://127.0.0.1:8443');
  fails(tls.replace('127.0.0.1:8443', '0.0.0.0:8443'), CONFIG_INVALID, 'publicUrl');
  const pub = parse(`${tls.replace('127.0.0.1:8443', '0.0.0.0:8443')}publicUrl: https://joinery.example.com:8443/prefix/\n`);
  assert.equal(publicBaseUrl(pub), 'https://joinery.example.com:8443/prefix');
  fails(`${tls}publicUrl: http://joinery.example.com\n`, CONFIG_INVALID, 'publicUrl');
  fails(`${tls}publicUrl: https://u:p@joinery.example.com\n`, CONFIG_INVALID, 'publicUrl');
  fails(`${tls}publicUrl: https://joinery.example.com/?x=1\n`, CONFIG_INVALID, 'publicUrl');
  fails(`${tls}publicUrl: not a url\n`, CONFIG_INVALID, 'publicUrl');
  fails(tls.replace(', keyFile: /etc/joinery/tls.key', ''), CONFIG_INVALID, 'tls.keyFile');
  fails(CONTRACT.replace('{insecureLoopback: true}', '{insecureLoopback: true, certFile: a, keyFile: b}'), CONFIG_INVALID, 'tls');
  fails(CONTRACT.replace('{insecureLoopback: true}', '{insecureLoopback: false}'), CONFIG_INVALID, 'tls.certFile');
  fails(CONTRACT.replace('tls: {insecureLoopback: true}', ''), CONFIG_INVALID, 'tls');
});

test('listen must be host:port', () => {
  for (const bad of ['8443', '":8443"', '127.0.0.1', '"127.0.0.1:65536"', '"[127.0.0.1]:80"', '"a b:80"', '"::1:80"']) {
    fails(CONTRACT.replace('127.0.0.1:8443', bad), CONFIG_INVALID, 'listen', '1:9');
  }
});

test('API keys: hex SHA-256, unique names and hashes, scopes and profiles', () => {
  const key = (extra: string) => CONTRACT.replace(`  - {name: ci, sha256: ${HASH}, scope: admin}`, extra);
  fails(key(`  - {name: ci, sha256: ${HASH.slice(1)}, scope: admin}`), CONFIG_INVALID, 'apiKeys[0].sha256', '5:24');
  fails(key(`  - {name: ci, sha256: ${'g'.repeat(64)}, scope: admin}`), CONFIG_INVALID, 'apiKeys[0].sha256');
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: admin}\n  - {name: ci, sha256: ${'b'.repeat(64)}, scope: admin}`), CONFIG_INVALID, 'apiKeys[1].name');
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: admin}\n  - {name: cd, sha256: ${HASH.toUpperCase()}, scope: admin}`), CONFIG_INVALID, 'apiKeys[1].sha256');
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: root}`), CONFIG_INVALID, 'apiKeys[0].scope');
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: provisioner}`), CONFIG_INVALID, 'apiKeys[0].profiles');
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: provisioner, profiles: []}`), CONFIG_INVALID, 'apiKeys[0].profiles');
  const e = fails(key(`  - {name: ci, sha256: ${HASH}, scope: provisioner, profiles: [worker, wroker]}`), CONFIG_INVALID, 'apiKeys[0].profiles[1]');
  assert.match(e.fix, /did you mean "worker"/);
  fails(key(`  - {name: ci, sha256: ${HASH}, scope: admin, profiles: [worker]}`), CONFIG_INVALID, 'apiKeys[0].profiles');
  fails(key(`  - {name: "c i", sha256: ${HASH}, scope: admin}`), CONFIG_INVALID, 'apiKeys[0].name');
  fails(key('  - {name: ci, sha256: 1234, scope: admin}'), CONFIG_INVALID, 'apiKeys[0].sha256');
  fails(CONTRACT.replace(/apiKeys:\n.*\n/, 'apiKeys: []\n'), CONFIG_INVALID, 'apiKeys');
  const ok = parse(key(`  - {name: tf, sha256: ${HASH.toUpperCase()}, scope: provisioner, profiles: [worker, worker]}`));
  assert.deepEqual(ok.apiKeys[0]?.profiles, ['worker']);
  assert.equal(ok.apiKeys[0]?.sha256.length, 32);
});

test('profiles: DNS-label names, roles, formats, TTL bounds', () => {
  fails(CONTRACT.replace('  worker:', '  Worker_1:'), CONFIG_INVALID, 'profiles.Worker_1', '7:3');
  fails(CONTRACT.replace('role: worker', 'role: init'), CONFIG_INVALID, 'profiles.worker.role');
  fails(CONTRACT.replace('format: script', 'format: bash'), CONFIG_INVALID, 'profiles.worker.format');
  fails(CONTRACT.replace('spec: {}', 'spec: {format: ignition}'), CONFIG_INVALID, 'profiles.worker.format');
  const ttl = (t: string) => CONTRACT.replace('tokenTTL: 15m', `tokenTTL: ${t}`);
  assert.equal(parse(ttl('1s')).profiles['worker']?.tokenTtlSeconds, 1);
  assert.equal(parse(ttl('24h')).profiles['worker']?.tokenTtlSeconds, 86400);
  assert.equal(parse(ttl('1h30m')).profiles['worker']?.tokenTtlSeconds, 5400);
  for (const bad of ['0', '-5m', '24h0m1s', '1.5s', '900', 'fifteen', '500ms']) {
    fails(ttl(bad), CONFIG_INVALID, 'profiles.worker.tokenTTL', '10:15');
  }
  fails(CONTRACT.replace(/profiles:[\s\S]*$/, 'profiles: {}\n'), CONFIG_INVALID, 'profiles');
  assert.equal(parse(CONTRACT.replace('role: worker', 'role: control-plane')).profiles['worker']?.role, 'control-plane');
});

test('a profile spec is read by the machine-spec reader, its errors re-pathed under the profile', () => {
  const e = fails(CONTRACT.replace('spec: {}', 'spec: {files: [{path: relative, content: x}]}'), 'USERDATA_SPEC_INVALID', 'profiles.worker.spec.files[0].path', '12:27');
  assert.ok(e.message.startsWith('joinery.yaml:12:27: profiles.worker.spec.files[0].path: '), e.message);
  fails(CONTRACT.replace('spec: {}', 'spec: {fils: []}'), 'USERDATA_SPEC_UNKNOWN_FIELD', 'profiles.worker.spec.fils', '12:12');
  const ok = parse(CONTRACT.replace('spec: {}', 'spec:\n      files: [{path: /etc/x, content: hi}]\n      preKubeadmCommands: [echo hi]'));
  assert.equal(ok.profiles['worker']?.spec.files[0]?.path, '/etc/x');
  assert.deepEqual(ok.profiles['worker']?.spec.preKubeadmCommands, ['echo hi']);
});

test('a profile spec may not fix the node name or carry a token', () => {
  fails(CONTRACT.replace('spec: {}', 'spec: {joinConfiguration: {nodeRegistration: {name: n1}}}'), CONFIG_INVALID, 'profiles.worker.spec.joinConfiguration.nodeRegistration.name');
  fails(
    CONTRACT.replace('spec: {}', 'spec: {joinConfiguration: {discovery: {bootstrapToken: {token: abcdef.0123456789abcdef, apiServerEndpoint: "10.0.0.1:6443", unsafeSkipCAVerification: true}}}}'),
    CONFIG_INVALID,
    'profiles.worker.spec.joinConfiguration.discovery.bootstrapToken.token',
  );
});

test('a token in a profile spec never appears in the error', () => {
  const err = throwsCode(() => parse(CONTRACT.replace('spec: {}', 'spec: {joinConfiguration: {discovery: {tlsBootstrapToken: abcdef.0123456789abcdef}}}')), CONFIG_INVALID);
  assert.ok(!err.message.includes('0123456789abcdef') && !err.fix.includes('0123456789abcdef'), err.message);
});

test('YAML errors: syntax with line and column, duplicate keys, several documents, empty, not a mapping', () => {
  let e = fails('listen: [a\ntls: x\n', CONFIG_YAML_INVALID);
  assert.match(e.message, /^joinery\.yaml:\d+:\d+: YAML syntax error: /);
  e = fails(`${CONTRACT}listen: 127.0.0.1:1\n`, CONFIG_YAML_INVALID);
  assert.match(e.message, /^joinery\.yaml:13:1: .*unique/);
  fails(`${CONTRACT}---\n${CONTRACT}`, CONFIG_INVALID);
  fails('', CONFIG_INVALID);
  fails('# only a comment\n', CONFIG_INVALID);
  fails('- a\n', CONFIG_INVALID);
});

test('property: arbitrary text and arbitrary YAML values give a config or a JoineryError, nothing else', () => {
  const check = (text: string) => {
    try {
      parse(text);
    } catch (err) {
      assert.ok(err instanceof JoineryError, `not a JoineryError: ${String(err)}`);
    }
  };
  fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: 400 });
  const leaf = fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('15m', HASH, 'admin', 'worker', '127.0.0.1:1'));
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('listen', 'tls', 'apiKeys', 'profiles', 'spec', 'name', 'sha256', 'scope', 'role', 'x'), tie('node'), { maxKeys: 4 })),
  })).node;
  fc.assert(fc.property(value, (v) => check(JSON.stringify(v))), { numRuns: 400 });
  // mutations of a valid file
  fc.assert(
    fc.property(fc.nat(CONTRACT.length - 1), fc.string({ maxLength: 4 }), (at, s) => check(CONTRACT.slice(0, at) + s + CONTRACT.slice(at + 1))),
    { numRuns: 400 },
  );
});

test('rateLimit: a top-level default for every key, a key may set its own; bad values name the field', () => {
  const text = CONTRACT.replace('apiKeys:\n  - {name: ci, sha256: ${HASH}, scope: admin}'.replace('${HASH}', HASH), `rateLimit: {requestsPerSecond: 5}\napiKeys:\n  - {name: ci, sha256: ${HASH}, scope: admin}\n  - {name: slow, sha256: ${'b'.repeat(64)}, scope: admin, rateLimit: {requestsPerSecond: 0.5, burst: 2}}`);
  const c = parse(text);
  assert.deepEqual(c.apiKeys.map((k) => [k.name, k.rateLimit]), [
    ['ci', { requestsPerSecond: 5, burst: DEFAULT_RATE_LIMIT.burst }],
    ['slow', { requestsPerSecond: 0.5, burst: 2 }],
  ]);
  fails(text.replace('burst: 2', 'burst: 2.5'), CONFIG_INVALID, 'apiKeys[1].rateLimit.burst');
  fails(text.replace('requestsPerSecond: 5', 'requestsPerSecond: 0'), CONFIG_INVALID, 'rateLimit.requestsPerSecond');
  fails(text.replace('requestsPerSecond: 5', 'requestsPerSecond: "5"'), CONFIG_INVALID, 'rateLimit.requestsPerSecond');
  fails(text.replace('requestsPerSecond: 5', 'requestPerSecond: 5'), CONFIG_UNKNOWN_FIELD, 'rateLimit.requestPerSecond');
});

test('leaderElection: durations in whole seconds, renewDeadline < leaseDuration, retryPeriod < renewDeadline', () => {
  const c = parse(`${CONTRACT}leaderElection: {namespace: joinery-system, leaseDuration: 4s, renewDeadline: 3s, retryPeriod: 1s}\n`);
  assert.deepEqual(c.leaderElection, { name: 'joinery-provisioner', namespace: 'joinery-system', leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 1 });
  fails(`${CONTRACT}leaderElection: {leaseDuration: 10s, renewDeadline: 10s}\n`, CONFIG_INVALID, 'leaderElection.renewDeadline');
  fails(`${CONTRACT}leaderElection: {renewDeadline: 2s, retryPeriod: 2s}\n`, CONFIG_INVALID, 'leaderElection.retryPeriod');
  fails(`${CONTRACT}leaderElection: {leaseDuration: 1500ms}\n`, CONFIG_INVALID, 'leaderElection.leaseDuration');
  fails(`${CONTRACT}leaderElection: {namespace: Joinery}\n`, CONFIG_INVALID, 'leaderElection.namespace');
  fails(`${CONTRACT}leaderElection: {lease: x}\n`, CONFIG_UNKNOWN_FIELD, 'leaderElection.lease');
  // The Lease name is a DNS-1123 subdomain, as kube-apiserver checks it.
  assert.equal(parse(`${CONTRACT}leaderElection: {name: joinery.leader-1}\n`).leaderElection.name, 'joinery.leader-1');
  fails(`${CONTRACT}leaderElection: {name: joinery..leader}\n`, CONFIG_INVALID, 'leaderElection.name');
  fails(`${CONTRACT}leaderElection: {name: joinery.-leader}\n`, CONFIG_INVALID, 'leaderElection.name');
});
