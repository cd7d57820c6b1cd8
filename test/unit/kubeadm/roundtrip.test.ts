import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import {
  CONFIG_API_VERSIONS,
  emitKubeadmYaml,
  kubeadmDocuments,
  parseKubeadmDocuments,
  type Arg,
  type ClusterConfiguration,
  type ConfigApiVersion,
  type InitConfiguration,
  type JoinConfiguration,
  type KubeadmConfig,
} from '../../../src/kubeadm/index.js';
import { marshalGoYaml } from '../../../src/goyaml/index.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const rank = (v: ConfigApiVersion): number => CONFIG_API_VERSIONS.indexOf(v);

// ---- canonical models: what parse() gives back (no empty strings, lists or value structs; no `false` flags)

const NOT_ROUND_TRIPPABLE = /[\u0085\u2028\u2029]/; // libyaml writes these line breaks raw (true of kubeadm as well)
const str = fc.string({ minLength: 1, maxLength: 16, unit: fc.oneof(fc.constantFrom(' ', ':', '#', '\n', "'", '"', '-', '0', '\t'), fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' })) })
  .filter((s) => !NOT_ROUND_TRIPPABLE.test(s));
const strs = fc.array(str, { minLength: 1, maxLength: 3 });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const token = fc.stringMatching(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
const duration = fc.bigInt({ min: 0n, max: 10n ** 15n });
const port = fc.integer({ min: 1, max: 65535 });
const hostPort = fc.tuple(fc.domain(), port).map(([h, p]) => `${h}:${p}`);
const some = <T extends object>(a: fc.Arbitrary<T>): fc.Arbitrary<T> => a.filter((o) => Object.keys(o).length > 0);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rec: typeof fc.record = ((r: any, o?: any) => fc.record(r, { ...(o ?? {}), noNullPrototype: true })) as typeof fc.record;
const optional = <T extends Record<string, fc.Arbitrary<unknown>>>(r: T) => rec(r, { requiredKeys: [] });

function codePointCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  return x.length - y.length;
}

/** v1beta4 lists keep any order and repeats; a map-based version needs unique names in kubeadm's sorted order. */
function args(v: ConfigApiVersion): fc.Arbitrary<Arg[]> {
  const arg = rec({ name: str, value: fc.oneof(str, fc.constant('')) });
  if (rank(v) >= 2) return fc.array(arg, { minLength: 1, maxLength: 3 });
  return fc
    .uniqueArray(arg, { minLength: 1, maxLength: 3, selector: (a) => a.name })
    .map((a) => a.sort((x, y) => codePointCompare(x.name, y.name)));
}

function nodeRegistration(v: ConfigApiVersion) {
  return some(
    optional({
      name: str,
      criSocket: str,
      taints: fc.array(
        rec({ key: str, value: str, effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute' as const) }, { requiredKeys: ['key', 'effect'] }),
        { maxLength: 2 },
      ),
      kubeletExtraArgs: args(v),
      ignorePreflightErrors: strs,
      ...(rank(v) >= 1 ? { imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent', 'Never' as const) } : {}),
      ...(rank(v) >= 2 ? { imagePullSerial: fc.boolean() } : {}),
    }),
  );
}

const apiEndpoint = some(optional({ advertiseAddress: str, bindPort: port }));
const timeoutsV4 = optional({
  controlPlaneComponentHealthCheck: duration,
  kubeletHealthCheck: duration,
  kubernetesAPICall: duration,
  etcdAPICall: duration,
  tlsBootstrap: duration,
  discovery: duration,
  upgradeManifests: duration,
});

function joinModel(v: ConfigApiVersion): fc.Arbitrary<JoinConfiguration> {
  const tokenDiscovery = fc.oneof(
    rec({ token, apiServerEndpoint: hostPort, caCertHashes: fc.array(hex64.map((h) => `sha256:${h}`), { minLength: 1, maxLength: 2 }), unsafeSkipCAVerification: fc.constant(true as const) }, { requiredKeys: ['token', 'apiServerEndpoint', 'caCertHashes'] }),
    rec({ token, apiServerEndpoint: hostPort, unsafeSkipCAVerification: fc.constant(true as const) }),
  );
  const discovery = fc.oneof(
    rec({ bootstrapToken: tokenDiscovery, tlsBootstrapToken: token }, { requiredKeys: ['bootstrapToken'] }),
    rec({ file: rec({ kubeConfigPath: str }), tlsBootstrapToken: token }, { requiredKeys: ['file'] }),
  );
  const fields: Record<string, fc.Arbitrary<unknown>> = {
    discovery,
    nodeRegistration: nodeRegistration(v),
    caCertPath: str,
    controlPlane: optional({ localAPIEndpoint: apiEndpoint, certificateKey: hex64 }),
    ...(rank(v) >= 1 ? { skipPhases: strs, patches: optional({ directory: str }) } : {}),
    ...(rank(v) >= 2 ? { dryRun: fc.constant(true), timeouts: timeoutsV4 } : { timeouts: rec({ discovery: duration }) }),
  };
  return rec(fields, { requiredKeys: ['discovery'] }) as unknown as fc.Arbitrary<JoinConfiguration>;
}

function initModel(v: ConfigApiVersion, withCluster: boolean): fc.Arbitrary<InitConfiguration> {
  const bootstrapToken = rec(
    {
      token,
      description: str,
      ttl: duration,
      usages: fc.constantFrom(['authentication'], ['signing', 'authentication'], ['authentication', 'signing']),
      groups: fc.array(fc.stringMatching(/^system:bootstrappers:[a-z0-9:-]{0,8}[a-z0-9]$/), { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: ['token'] },
  );
  const timeouts = rank(v) >= 2 ? timeoutsV4 : rec({ controlPlaneComponentHealthCheck: duration });
  return rec(
    {
      bootstrapTokens: fc.array(bootstrapToken, { minLength: 1, maxLength: 2 }),
      nodeRegistration: nodeRegistration(v),
      localAPIEndpoint: apiEndpoint,
      certificateKey: hex64,
      ...(rank(v) >= 1 ? { skipPhases: strs, patches: optional({ directory: str }) } : {}),
      ...(rank(v) >= 2 ? { dryRun: fc.constant(true) } : {}),
      ...(rank(v) >= 2 || withCluster ? { timeouts } : {}),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<InitConfiguration>;
}

function clusterModel(v: ConfigApiVersion, crossVersion = false): fc.Arbitrary<ClusterConfiguration> {
  const v4 = rank(v) >= 2;
  const volume = rec(
    { name: str, hostPath: str, mountPath: str, readOnly: fc.constant(true), pathType: fc.constantFrom('DirectoryOrCreate', 'File', 'Socket' as const) },
    { requiredKeys: ['name', 'hostPath', 'mountPath'] },
  );
  const envs = fc.array(rec({ name: str, value: fc.oneof(str, fc.constant('')) }), { minLength: 1, maxLength: 2 });
  const component = some(optional({ extraArgs: args(v), extraVolumes: fc.array(volume, { minLength: 1, maxLength: 2 }), ...(v4 ? { extraEnvs: envs } : {}) }));
  const etcd = fc.oneof(
    rec({
      local: optional({ imageRepository: str, imageTag: str, dataDir: str, extraArgs: args(v), serverCertSANs: strs, peerCertSANs: strs, ...(v4 ? { extraEnvs: envs } : {}) }),
    }),
    rec({ external: rec({ endpoints: strs, caFile: str, certFile: str, keyFile: str }, { requiredKeys: ['endpoints'] }) }),
  );
  const dns = some(
    optional({
      ...(v === 'v1beta2' && !crossVersion ? { type: fc.constantFrom('CoreDNS', 'kube-dns' as const) } : {}),
      imageRepository: str,
      imageTag: str,
      ...(v4 ? { disabled: fc.constant(true) } : {}),
    }),
  );
  return rec(
    {
      etcd,
      networking: some(optional({ serviceSubnet: str, podSubnet: str, dnsDomain: str })),
      kubernetesVersion: str,
      controlPlaneEndpoint: str,
      apiServer: some(optional({ extraArgs: args(v), extraVolumes: fc.array(volume, { minLength: 1, maxLength: 1 }), certSANs: strs, ...(v4 ? { extraEnvs: envs } : {}) })),
      controllerManager: component,
      scheduler: component,
      dns,
      certificatesDir: str,
      imageRepository: str,
      featureGates: some(fc.dictionary(str.filter((k) => k !== '__proto__'), fc.boolean(), { maxKeys: 3, noNullPrototype: true })),
      clusterName: str,
      ...(v === 'v1beta2' && !crossVersion ? { useHyperKubeImage: fc.constant(true) } : {}),
      ...(v4
        ? {
            proxy: fc.constant({ disabled: true }),
            encryptionAlgorithm: fc.constantFrom('RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384' as const),
            certificateValidityPeriod: duration,
            caCertificateValidityPeriod: duration,
          }
        : {}),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<ClusterConfiguration>;
}

function configModel(v: ConfigApiVersion, crossVersion = false): fc.Arbitrary<KubeadmConfig> {
  return fc.oneof(
    rec({ join: joinModel(v) }),
    rec({ init: initModel(v, true), cluster: clusterModel(v, crossVersion) }),
    rec({ init: initModel(v, false) }),
    rec({ cluster: clusterModel(v, crossVersion), join: joinModel(v) }),
  );
}

function roundTrip(config: KubeadmConfig, v: ConfigApiVersion): KubeadmConfig {
  const parsed = parseKubeadmDocuments(emitKubeadmYaml(kubeadmDocuments(config, v)));
  assert.equal(parsed.apiVersion, v);
  assert.deepEqual(parsed.others, []);
  const out: KubeadmConfig = {};
  if (parsed.init) out.init = parsed.init;
  if (parsed.cluster) out.cluster = parsed.cluster;
  if (parsed.join) out.join = parsed.join;
  return out;
}

for (const v of CONFIG_API_VERSIONS) {
  test(`parse(emit(m)) == m for ${v} (property)`, () => {
    fc.assert(fc.property(configModel(v), (m) => assert.deepEqual(roundTrip(m, v), m)), { numRuns: 150 });
  });
}

test('models every version can express survive v1beta2 → v1beta3 → v1beta4 → v1beta2 (property)', () => {
  fc.assert(
    fc.property(configModel('v1beta2', true), (m) => {
      let current = m;
      for (const v of ['v1beta2', 'v1beta3', 'v1beta4', 'v1beta3', 'v1beta2'] as const) {
        current = roundTrip(current, v);
        assert.deepEqual(current, m);
      }
    }),
    { numRuns: 100 },
  );
});

// ---- parseKubeadmDocuments never fails with anything but a JoineryError

function valueOrJoineryError(input: unknown): void {
  try {
    parseKubeadmDocuments(input as string);
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
  }
}

test('arbitrary text gives a value or a JoineryError (property)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 300 }), valueOrJoineryError), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), valueOrJoineryError), { numRuns: 300 });
  fc.assert(fc.property(fc.anything(), valueOrJoineryError), { numRuns: 200 });
});

test('mutated golden files give a value or a JoineryError (property)', () => {
  const texts = readdirSync(GOLDEN).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(join(GOLDEN, f), 'utf8'));
  const mutation = rec({
    text: fc.constantFrom(...texts),
    at: fc.nat(),
    cut: fc.nat({ max: 12 }),
    insert: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(': ', '\n  ', '- ', '"', "'", '&a ', '*a', '<<: ', 'null', '[', '{', '0x10', 'yes', '\t', '---\n')),
  });
  fc.assert(
    fc.property(mutation, ({ text, at, cut, insert }) => {
      const i = at % (text.length + 1);
      valueOrJoineryError(text.slice(0, i) + insert + text.slice(i + cut));
    }),
    { numRuns: 1500 },
  );
});

test('random documents of kubeadm kinds give a value or a JoineryError (property)', () => {
  const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constantFrom('abcdef.0123456789abcdef', '5m', 'NoSchedule', 'sha256:00'));
  const fieldNames = fc.constantFrom('discovery', 'bootstrapToken', 'token', 'file', 'kubeConfigPath', 'apiServerEndpoint', 'caCertHashes', 'timeout', 'timeouts',
    'nodeRegistration', 'taints', 'kubeletExtraArgs', 'name', 'value', 'effect', 'key', 'controlPlane', 'localAPIEndpoint', 'bindPort', 'etcd', 'local',
    'external', 'endpoints', 'apiServer', 'extraArgs', 'bootstrapTokens', 'ttl', 'expires', 'dns', 'type', 'x');
  const tree = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fieldNames, tie('node'), { maxKeys: 4, noNullPrototype: true })),
  })).node;
  const doc = rec({
    apiVersion: fc.constantFrom('kubeadm.k8s.io/v1beta2', 'kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta1', 'v1'),
    kind: fc.constantFrom('InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration', 'Other'),
    body: fc.dictionary(fieldNames, tree, { maxKeys: 5, noNullPrototype: true }),
  });
  fc.assert(
    fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
      valueOrJoineryError(docs.map((d) => marshalGoYaml({ ...d.body, apiVersion: d.apiVersion, kind: d.kind } as never)).join('---\n'));
    }),
    { numRuns: 800 },
  );
});
