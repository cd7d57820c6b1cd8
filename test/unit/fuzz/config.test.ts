/**
 * Fuzzing joinery.yaml's reader (parseProvisionerConfig, issue 6 §3): 10,000 cases by default, 100,000 with
 * JOINERY_FUZZ_RUNS=100000, most of them mutations of valid configurations, each giving a config or a typed
 * JoineryError that names the field's path and echoes no secret (an API key's SHA-256, a token).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as yamlParse } from 'yaml';
import { configSkeleton, parseProvisionerConfig, CONFIG_YAML_INVALID } from '../../../src/provisioner/config/index.js';
import {
  applyMutations,
  applyTextEdits,
  blockYaml,
  checkOutcome,
  deepTextArbitrary,
  fcParams,
  fieldNames,
  fuzzRuns,
  laughs,
  laughsSize,
  mutation,
  rawText,
  share,
  textEdits,
  CERT_KEY,
  HASH,
  SECRETS,
  type Expectation,
  type Json,
} from './fuzz.js';

const parse = (text: string) => parseProvisionerConfig(text, 'joinery.yaml');

const SPEC: Json = {
  clusterConfiguration: { apiServer: { certSANs: ['a'], extraArgs: { x: 'z' }, timeoutForControlPlane: '5m' }, networking: { podSubnet: '10.0.0.0/8' } },
  joinConfiguration: {
    discovery: { timeout: '5m', bootstrapToken: { caCertHashes: [`sha256:${'d'.repeat(64)}`] } },
    nodeRegistration: { criSocket: 'unix:///run/containerd/containerd.sock', taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }], kubeletExtraArgs: { v: '2' } },
  },
  files: [
    { path: '/etc/a', content: 'aGk=', encoding: 'base64', permissions: '0600', owner: 'root:root' },
    { path: '/etc/b', contentFrom: { secret: { name: 's', key: 'k' } } },
  ],
  users: [{ name: 'ops', groups: 'a,b', sshAuthorizedKeys: ['k'], passwd: '$6$x' }],
  ntp: { servers: ['pool'], enabled: true },
  diskSetup: { partitions: [{ device: '/dev/sdb', layout: true, tableType: 'gpt' }], filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4', label: 'data' }] },
  mounts: [['/dev/sdb1', '/data']],
  preKubeadmCommands: ['true'],
  verbosity: 2,
  kubernetesBinaries: { version: 'v1.30.0', urlTemplate: 'https://e/{{version}}/{{name}}', sha256: { kubeadm: 'a'.repeat(64), kubelet: 'b'.repeat(64) } },
};

const TEMPLATE: Json = {
  apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
  kind: 'KubeadmConfigTemplate',
  metadata: { name: 'md-0' },
  spec: { template: { spec: { joinConfiguration: { nodeRegistration: { kubeletExtraArgs: { 'cloud-provider': 'azure' } } }, format: 'ignition', ignition: { containerLinuxConfig: { strict: true } } } } },
};

/** The valid configurations the mutations start from: the contract, the skeleton, a rich one. */
const BASES: Json[] = [
  {
    listen: '127.0.0.1:8443',
    tls: { insecureLoopback: true },
    kubeconfig: '/path/to/admin.conf',
    apiKeys: [{ name: 'ci', sha256: HASH, scope: 'admin' }],
    profiles: { worker: { role: 'worker', format: 'script', tokenTTL: '15m', nodeNamePattern: '^worker-[a-z0-9-]+$', spec: {} } },
  },
  yamlParse(configSkeleton()) as Json,
  {
    listen: '0.0.0.0:8443',
    tls: { certFile: '/etc/joinery/tls.crt', keyFile: '/etc/joinery/tls.key' },
    kubeconfig: '/etc/kubernetes/admin.conf',
    context: 'kubernetes-admin@kubernetes',
    rateLimit: { requestsPerSecond: 20, burst: 40 },
    leaderElection: { namespace: 'joinery', name: 'joinery-leader', leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' },
    publicUrl: 'https://joinery.example.com:8443/base/',
    apiKeys: [
      { name: 'ci', sha256: HASH, scope: 'admin' },
      { name: 'terraform.prod', sha256: CERT_KEY, scope: 'provisioner', profiles: ['worker', 'gpu', 'worker'], rateLimit: { requestsPerSecond: 0.5, burst: 1 } },
    ],
    profiles: {
      worker: { role: 'worker', format: 'cloud-config', tokenTTL: '2h30m', nodeNamePattern: 'worker-[a-z0-9-]+(\\.example\\.com)?', spec: SPEC },
      gpu: { role: 'worker', tokenTTL: '1s', spec: TEMPLATE },
      cp: { role: 'control-plane', format: 'ignition', nodeNamePattern: '(?:cp|control)-\\d{1,3}', spec: { format: 'ignition' } },
      empty: null,
    },
  },
];
const SKELETON_HASHES = (BASES[1] as { apiKeys: { sha256: string }[] }).apiKeys.map((k) => k.sha256);
const FIELDS = [...fieldNames(...BASES), 'insecureLoopback', 'certFile', 'keyFile', 'publicUrl', 'context', 'rateLimit', 'leaderElection', 'requestsPerSecond', 'burst'];

const expect: Expectation = {
  secrets: [...SECRETS, ...SKELETON_HASHES],
  pathRequiredUnless: (err) => err.code === CONFIG_YAML_INVALID,
};

const RUNS = fuzzRuns(10_000);
const WEIGHTS = { json: 35, yaml: 30, edited: 20, raw: 10, bombs: 5 };
const TOTAL = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

test('every base configuration is valid', () => {
  for (const b of BASES) {
    parse(JSON.stringify(b));
    parse(blockYaml(b));
  }
});

const base = fc.nat(BASES.length - 1).map((i) => BASES[i] as Json);
const mutations = fc.array(mutation(FIELDS), { minLength: 1, maxLength: 3 });

test(`fuzz: a valid configuration with fields replaced, deleted, added, copied, nested, as JSON (${share(RUNS, WEIGHTS.json, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations, (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parse, JSON.stringify(doc) ?? '', expect, depth > 0);
    }),
    fcParams(share(RUNS, WEIGHTS.json, TOTAL)),
  );
});

test(`fuzz: the same mutations as block YAML with anchors and aliases (${share(RUNS, WEIGHTS.yaml, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations, (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parse, blockYaml(doc), expect, depth > 0);
    }),
    fcParams(share(RUNS, WEIGHTS.yaml, TOTAL)),
  );
});

test(`fuzz: mutated YAML with raw text edits: tags, anchors, merge keys, duplicate keys, huge numbers (${share(RUNS, WEIGHTS.edited, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, fc.array(mutation(FIELDS), { maxLength: 2 }), textEdits(), (b, ms, edits) => {
      checkOutcome(parse, applyTextEdits(blockYaml(applyMutations(b, ms).doc), edits), expect);
    }),
    fcParams(share(RUNS, WEIGHTS.edited, TOTAL)),
  );
});

test(`fuzz: raw text: binary strings, decoded random bytes, YAML token soup (${share(RUNS, WEIGHTS.raw, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(rawText(FIELDS), (text) => void checkOutcome(parse, text, expect)),
    fcParams(share(RUNS, WEIGHTS.raw, TOTAL)),
  );
});

test(`fuzz: billion laughs and deep nesting, alone and inside a valid configuration (${share(RUNS, WEIGHTS.bombs, TOTAL)} cases)`, () => {
  const bomb = fc.oneof(
    fc.tuple(laughsSize(), fc.constantFrom('profiles', 'apiKeys', 'listen', 'tls', undefined)).map(([[d, w], k]) => laughs(d, w, k)),
    laughsSize().map(([d, w]) => blockYaml(BASES[0] as Json).replace('spec: {}', `spec:\n${laughs(d, w, 'files', '      ')}`)),
    deepTextArbitrary(),
    deepTextArbitrary().map((t) => blockYaml(BASES[0] as Json).replace('spec: {}', `spec: ${t.startsWith('[') || t.startsWith('{') ? t : '\n' + t}`)),
  );
  fc.assert(
    fc.property(bomb, (text) => void checkOutcome(parse, text, expect)),
    fcParams(share(RUNS, WEIGHTS.bombs, TOTAL)),
  );
});

test('the fuzz property itself: a non-JoineryError or an echoed secret fails it', () => {
  assert.throws(() => checkOutcome(() => { throw new TypeError('x'); }, 'a', expect), /not a JoineryError/);
});
