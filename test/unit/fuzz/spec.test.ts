/**
 * Fuzzing the machine spec reader (parseMachineSpec, issue 6 §3): 18,000 cases by default, 100,000 with
 * JOINERY_FUZZ_RUNS=100000, most of them mutations of valid Cluster API KubeadmConfig specs (bare and
 * wrapped), given as parsed values, JSON, block YAML or edited YAML; each gives a spec or a typed
 * JoineryError that names the field's path and echoes no token or key.
 */
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parse as yamlParse } from 'yaml';
import { parseMachineSpec, SPEC_YAML_INVALID } from '../../../src/userdata/spec/index.js';
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
  SECRETS,
  TOKEN,
  TOKEN2,
  type Expectation,
  type Json,
} from './fuzz.js';
import { AZURE_WORKER_TEMPLATE as AZURE_WORKER_TEMPLATE_YAML, DOCKER_CONTROL_PLANE as DOCKER_CONTROL_PLANE_YAML } from '../userdata/spec/fixtures.js';

const PIN = `sha256:${'d'.repeat(64)}`;

/** From test/unit/userdata/spec/property.test.ts, with a token, a pin and Secret references. */
const VALID: Json = {
  clusterConfiguration: {
    apiServer: { certSANs: ['a'], extraArgs: { x: 'z' }, timeoutForControlPlane: '5m', extraVolumes: [{ name: 'v', hostPath: '/a', mountPath: '/b', pathType: 'Directory' }] },
    networking: { podSubnet: '10.0.0.0/8', serviceSubnet: '10.96.0.0/12' },
    etcd: { local: { dataDir: '/var/lib/etcd', extraArgs: { 'listen-metrics-urls': 'http://127.0.0.1:2381' } } },
    controlPlaneEndpoint: 'cp.example:6443',
    kubernetesVersion: 'v1.30.0',
    featureGates: { A: true },
    certificateValidityPeriodDays: 365,
  },
  initConfiguration: {
    bootstrapTokens: [{ token: TOKEN2, ttl: '24h', usages: ['signing', 'authentication'], groups: ['system:bootstrappers:kubeadm:default-node-token'] }],
    nodeRegistration: { kubeletExtraArgs: { a: 'b' }, taints: [] },
    localAPIEndpoint: { advertiseAddress: '10.0.0.11', bindPort: 6443 },
  },
  joinConfiguration: {
    discovery: { timeout: '5m', bootstrapToken: { token: TOKEN, apiServerEndpoint: '10.0.0.10:6443', caCertHashes: [PIN] }, tlsBootstrapToken: TOKEN },
    nodeRegistration: { name: 'worker-1', criSocket: '/run/containerd/containerd.sock', taints: [{ key: 'gpu', effect: 'NoSchedule' }], ignorePreflightErrors: ['Swap'] },
    controlPlane: { localAPIEndpoint: { advertiseAddress: '10.0.0.12', bindPort: 6443 } },
  },
  files: [
    { path: '/etc/a', content: 'aGk=', encoding: 'base64', permissions: '0600', owner: 'root:root' },
    { path: '/etc/b', contentFrom: { secret: { name: 's', key: 'k' } }, append: true },
    { path: '/etc/c', content: gzipSync('hello\n').toString('base64'), encoding: 'gzip+base64' },
  ],
  users: [
    { name: 'ops', groups: 'a,b', sshAuthorizedKeys: ['k'], sudo: 'ALL=(ALL) NOPASSWD:ALL', shell: '/bin/bash', lockPassword: false },
    { name: 'svc', groups: ['wheel'], passwdFrom: { secret: { name: 'p', key: 'hash' } }, homeDir: '/home/svc' },
  ],
  ntp: { servers: ['pool'], enabled: true },
  diskSetup: { partitions: [{ device: '/dev/sdb', layout: true, tableType: 'gpt' }], filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4', label: 'data', extraOpts: ['-F'] }] },
  mounts: [['/dev/sdb1', '/data']],
  bootCommands: ['echo boot'],
  preKubeadmCommands: ['true'],
  postKubeadmCommands: ['echo done'],
  verbosity: 2,
  useExperimentalRetryJoin: true,
  kubernetesBinaries: { version: 'v1.30.0', urlTemplate: 'https://e/{{version}}/{{name}}', sha256: { kubeadm: 'a'.repeat(64) }, kubelet: { url: 'https://e/kubelet', sha256: CERT_KEY } },
};

/** The Cluster API templates the parser tests use (test/unit/userdata/spec/fixtures.ts). */
const AZURE_WORKER_TEMPLATE = yamlParse(AZURE_WORKER_TEMPLATE_YAML) as Json;

const DOCKER_CONTROL_PLANE = yamlParse(DOCKER_CONTROL_PLANE_YAML) as Json;

const IGNITION: Json = {
  apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1',
  kind: 'KubeadmConfig',
  spec: { format: 'ignition', ignition: { containerLinuxConfig: { additionalConfig: '', strict: true } }, joinConfiguration: { discovery: { file: { kubeConfigPath: '/etc/k.conf' } } } },
};

const BASES: Json[] = [VALID, AZURE_WORKER_TEMPLATE, DOCKER_CONTROL_PLANE, IGNITION, { files: [{ path: '/a', content: 'x' }] }];
const FIELDS = [
  ...fieldNames(...BASES),
  'template', 'kubeadmConfigSpec', 'status', 'certificateKey', 'timeouts', 'valueFrom', 'timeAdded', 'kubeConfig', 'file', 'imagePullPolicy', 'imagePullSerial', 'skipPhases', 'patches',
  'encryptionAlgorithm', 'dns', 'scheduler', 'controllerManager', 'external', 'endpoints', 'passwd', 'gecos', 'inactive', 'primaryGroup', 'overwrite', 'replaceFS', 'partition', 'installDir', 'kubectl',
  'unsafeSkipCAVerification', 'caCertPath', 'extraEnvs', 'caCertificateValidityPeriodDays', 'certificatesDir', 'imageRepository', 'clusterName', 'description', 'expires', 'additionalConfig',
];

const expect: Expectation = {
  secrets: SECRETS,
  pathRequiredUnless: (err) => err.code === SPEC_YAML_INVALID,
};

const RUNS = fuzzRuns(18_000);
const WEIGHTS = { value: 40, json: 20, yaml: 15, edited: 13, raw: 10, bombs: 2 };
const TOTAL = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);

test('every base spec is valid', () => {
  for (const b of BASES) {
    parseMachineSpec(structuredClone(b));
    parseMachineSpec(JSON.stringify(b));
    parseMachineSpec(blockYaml(b));
  }
});

const base = fc.nat(BASES.length - 1).map((i) => BASES[i] as Json);
const mutations = (nonFinite = false) => fc.array(mutation(FIELDS, { nonFinite }), { minLength: 1, maxLength: 3 });

test(`fuzz: a valid spec with fields replaced, deleted, added, copied, nested, as a parsed value (NaN, -0, Infinity too) (${share(RUNS, WEIGHTS.value, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations(true), (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parseMachineSpec, doc, expect, depth > 0);
    }),
    fcParams(share(RUNS, WEIGHTS.value, TOTAL)),
  );
});

test(`fuzz: the same mutations as JSON text (${share(RUNS, WEIGHTS.json, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations(), (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parseMachineSpec, JSON.stringify(doc) ?? '', expect, depth > 0);
    }),
    fcParams(share(RUNS, WEIGHTS.json, TOTAL)),
  );
});

test(`fuzz: the same mutations as block YAML with anchors and aliases (${share(RUNS, WEIGHTS.yaml, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, mutations(), (b, ms) => {
      const { doc, depth } = applyMutations(b, ms);
      checkOutcome(parseMachineSpec, blockYaml(doc), expect, depth > 0);
    }),
    fcParams(share(RUNS, WEIGHTS.yaml, TOTAL)),
  );
});

test(`fuzz: mutated YAML with raw text edits: tags, anchors, merge keys, duplicate keys, huge numbers (${share(RUNS, WEIGHTS.edited, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(base, fc.array(mutation(FIELDS), { maxLength: 2 }), textEdits(), (b, ms, edits) => {
      checkOutcome(parseMachineSpec, applyTextEdits(blockYaml(applyMutations(b, ms).doc), edits), expect);
    }),
    fcParams(share(RUNS, WEIGHTS.edited, TOTAL)),
  );
});

test(`fuzz: raw text and arbitrary values (${share(RUNS, WEIGHTS.raw, TOTAL)} cases)`, () => {
  fc.assert(
    fc.property(fc.oneof(rawText(FIELDS), fc.anything({ maxDepth: 3 })), (input) => void checkOutcome(parseMachineSpec, input, expect)),
    fcParams(share(RUNS, WEIGHTS.raw, TOTAL)),
  );
});

test(`fuzz: billion laughs and deep nesting (${share(RUNS, WEIGHTS.bombs, TOTAL)} cases)`, () => {
  const bomb = fc.oneof(
    fc.tuple(laughsSize(), fc.constantFrom('files', 'users', 'preKubeadmCommands', 'joinConfiguration', undefined)).map(([[d, w], k]) => laughs(d, w, k)),
    deepTextArbitrary(),
    deepTextArbitrary().map((t) => `joinConfiguration:\n  nodeRegistration:\n    kubeletExtraArgs: ${t.startsWith('[') || t.startsWith('{') ? t : '\n' + t.replace(/^/gm, '      ')}`),
  );
  fc.assert(
    fc.property(bomb, (text) => void checkOutcome(parseMachineSpec, text, expect)),
    fcParams(share(RUNS, WEIGHTS.bombs, TOTAL)),
  );
});
