import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKubeadmDocuments } from '../../../../src/kubeadm/index.js';
import {
  BOOTSTRAP_SENTINEL_PATH,
  KUBEADM_INIT_CONFIG_PATH,
  KUBEADM_JOIN_CONFIG_PATH,
  RUN_ONCE_GUARD_PATH,
  type BootPlan,
  type Role,
} from '../../../../src/userdata/plan.js';
import { bootPlan, DEFAULT_DISCOVERY_KUBECONFIG_PATH, type ClusterCas, type InitCredentials, type JoinCredentials } from '../../../../src/userdata/roles/index.js';
import { parseMachineSpec, type MachineSpec } from '../../../../src/userdata/spec/index.js';
import { kubeadmConfigMigrate, kubeadmValidateInit, kubeBinaries } from '../../../support/kube-bin.js';
import { throwsCode } from '../../../support/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string): string => readFileSync(join(here, 'fixtures', name), 'utf8');
const GOLDEN = join(here, 'golden');

const CAS: ClusterCas = {
  ca: { cert: fixture('ca.crt'), key: fixture('ca.key') },
  etcdCa: { cert: fixture('etcd-ca.crt'), key: fixture('etcd-ca.key') },
  frontProxyCa: { cert: fixture('front-proxy-ca.crt'), key: fixture('front-proxy-ca.key') },
  serviceAccount: { publicKey: fixture('sa.pub'), privateKey: fixture('sa.key') },
};
const TOKEN = 'abcdef.0123456789abcdef';
const CERT_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const PIN = 'sha256:7c5b9b0e1b5e7d1f0d4d4a0c6b8c1e2f3a4b5c6d7e8f90123456789abcdef012';
const VERSIONS = ['v1.20.2', 'v1.30.0', 'v1.33.0'] as const;

/** A KubeadmControlPlane-style spec (the Docker quick start's shape) used by every role. */
const SPEC: MachineSpec = parseMachineSpec(`
clusterConfiguration:
  apiServer:
    certSANs: [localhost, 127.0.0.1]
    extraArgs: {audit-log-maxage: "30"}
  controllerManager:
    extraArgs: {enable-hostpath-provisioner: "true"}
  networking: {podSubnet: 192.168.0.0/16}
initConfiguration:
  nodeRegistration:
    criSocket: /run/containerd/containerd.sock
    kubeletExtraArgs: {eviction-hard: "nodefs.available<0%,imagefs.available<0%"}
joinConfiguration:
  nodeRegistration:
    criSocket: /run/containerd/containerd.sock
    kubeletExtraArgs: {eviction-hard: "nodefs.available<0%,imagefs.available<0%"}
    taints: []
files:
- path: /etc/sysctl.d/k8s.conf
  content: "net.ipv4.ip_forward = 1\\n"
preKubeadmCommands: [sysctl --system]
postKubeadmCommands: [echo done]
`);

const joinCreds = (version: string, extra: Partial<JoinCredentials> = {}): JoinCredentials => ({
  nodeName: 'node-1',
  kubernetesVersion: version,
  endpoint: '10.0.0.10:6443',
  token: TOKEN,
  caPins: [PIN],
  discovery: { kind: 'token' },
  ...extra,
});
const initCreds = (version: string, extra: Partial<InitCredentials> = {}): InitCredentials => ({
  nodeName: 'cp-1',
  kubernetesVersion: version,
  endpoint: 'cp.example.internal:6443',
  cas: CAS,
  ...extra,
});

/** Golden cases: a name, the role and the credentials for a version. */
const CASES: Array<[string, Role, (v: string) => JoinCredentials | InitCredentials]> = [
  ['init', 'init', (v) => initCreds(v)],
  ['init-token-certkey', 'init', (v) => initCreds(v, { bootstrapToken: TOKEN, certificateKey: CERT_KEY, clusterName: 'prod' })],
  ['control-plane-upload-certs', 'control-plane', (v) => joinCreds(v, { controlPlane: { certificateKey: CERT_KEY, advertiseAddress: '10.0.0.11', bindPort: 6443 } })],
  ['control-plane-inline-cas', 'control-plane', (v) => joinCreds(v, { controlPlane: { inlineCas: CAS } })],
  ['worker', 'worker', (v) => joinCreds(v)],
  ['worker-file-discovery', 'worker', (v) => joinCreds(v, { discovery: { kind: 'file', kubeconfig: `apiVersion: v1\nkind: Config\nusers:\n- name: tls-bootstrap-token-user\n  user:\n    token: ${TOKEN}\n` } })],
];

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const kubeadmConfigOf = (plan: BootPlan): string => {
  const path = plan.role === 'init' ? KUBEADM_INIT_CONFIG_PATH : KUBEADM_JOIN_CONFIG_PATH;
  const f = plan.files.find((x) => x.path === path);
  assert.ok(f, `${path} in the plan`);
  return text(f.content);
};

const plans = CASES.flatMap(([name, role, creds]) => VERSIONS.map((v) => ({ name, role, version: v, plan: bootPlan(SPEC, role, creds(v)) })));

for (const { name, version, plan } of plans) {
  test(`golden kubeadm config: ${name} ${version} (UPDATE_GOLDEN=1 rewrites)`, () => {
    const file = join(GOLDEN, `${name}.${version}.yaml`);
    const yaml = kubeadmConfigOf(plan);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(file, yaml);
    }
    assert.ok(existsSync(file), `${file} exists`);
    assert.equal(yaml, readFileSync(file, 'utf8'));
    // joinery reads back what it wrote, in the version that release's kubeadm reads.
    const parsed = parseKubeadmDocuments(yaml);
    assert.equal(parsed.apiVersion, version === 'v1.20.2' ? 'v1beta2' : version === 'v1.30.0' ? 'v1beta3' : 'v1beta4');
  });
}

test('every v1beta2 config a role writes is read by the real kubeadm v1.20.2 without unknown fields', (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  const dir = mkdtempSync(join(tmpdir(), 'joinery-roles-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const { name, plan } of plans.filter((p) => p.version === 'v1.20.2')) {
    let yaml = kubeadmConfigOf(plan);
    // kubeadm checks that a discovery file exists: point it at a copy of the plan's discovery kubeconfig.
    const discovery = plan.files.find((f) => f.path === DEFAULT_DISCOVERY_KUBECONFIG_PATH);
    if (discovery) {
      const copy = join(dir, 'discovery.kubeconfig');
      writeFileSync(copy, discovery.content);
      yaml = yaml.replace(DEFAULT_DISCOVERY_KUBECONFIG_PATH, copy);
    }
    const r = kubeadmConfigMigrate(bins.kubeadm, yaml);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unknown field/, name);
    if (plan.role === 'init') {
      const v = kubeadmValidateInit(bins.kubeadm, yaml);
      assert.equal(v.status, 0, `${name}: kubeadm refused the init config: ${v.stdout}${v.stderr}`);
    }
  }
});

test('the kubeadm check can fail: a field kubeadm v1.20.2 does not know is reported', (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  const yaml = kubeadmConfigOf(plans.find((p) => p.name === 'worker' && p.version === 'v1.20.2')!.plan).replace('kind: JoinConfiguration', 'kind: JoinConfiguration\nskipPhases: [preflight]');
  assert.match(kubeadmConfigMigrate(bins.kubeadm, yaml).stderr, /unknown field "skipPhases"/);
});

test('init: Cluster API defaults, CA files with their modes, the command', () => {
  const plan = bootPlan(SPEC, 'init', initCreds('v1.30.0', { certificateKey: CERT_KEY }));
  const docs = parseKubeadmDocuments(kubeadmConfigOf(plan));
  assert.equal(docs.cluster?.controlPlaneEndpoint, 'cp.example.internal:6443');
  assert.equal(docs.cluster?.clusterName, 'kubernetes');
  assert.equal(docs.cluster?.kubernetesVersion, 'v1.30.0');
  assert.deepEqual(docs.cluster?.networking, { serviceSubnet: '10.96.0.0/12', podSubnet: '192.168.0.0/16', dnsDomain: 'cluster.local' });
  assert.equal(docs.init?.nodeRegistration?.name, 'cp-1');
  assert.equal(docs.init?.certificateKey, CERT_KEY);
  assert.deepEqual(
    plan.files.slice(0, 8).map((f) => [f.path, f.mode, f.secret]),
    [
      ['/etc/kubernetes/pki/ca.crt', 0o640, false],
      ['/etc/kubernetes/pki/ca.key', 0o600, true],
      ['/etc/kubernetes/pki/etcd/ca.crt', 0o640, false],
      ['/etc/kubernetes/pki/etcd/ca.key', 0o600, true],
      ['/etc/kubernetes/pki/front-proxy-ca.crt', 0o640, false],
      ['/etc/kubernetes/pki/front-proxy-ca.key', 0o600, true],
      ['/etc/kubernetes/pki/sa.pub', 0o640, false],
      ['/etc/kubernetes/pki/sa.key', 0o600, true],
    ],
  );
  assert.equal(text(plan.files[1]!.content), CAS.ca.key);
  assert.equal(plan.kubeadmCommand, 'kubeadm init --config /run/kubeadm/kubeadm.yaml --upload-certs');
  assert.equal(plan.runOnceGuard, RUN_ONCE_GUARD_PATH);
  assert.equal(plan.sentinel, BOOTSTRAP_SENTINEL_PATH);
  assert.deepEqual(plan.preKubeadmCommands, ['sysctl --system']);
  assert.deepEqual(plan.postKubeadmCommands, ['echo done']);
  // Without a token or certificate key the config holds no secret: 0640 as Cluster API writes it.
  const plain = bootPlan(SPEC, 'init', initCreds('v1.30.0'));
  const config = plain.files.find((f) => f.path === KUBEADM_INIT_CONFIG_PATH)!;
  assert.deepEqual([config.mode, config.secret], [0o640, false]);
  assert.equal(plain.kubeadmCommand, 'kubeadm init --config /run/kubeadm/kubeadm.yaml');
});

test('the spec wins over the credentials for clusterName, endpoint and networking; certificatesDir moves the CA files', () => {
  const spec = parseMachineSpec({
    clusterConfiguration: { clusterName: 'mine', controlPlaneEndpoint: 'lb:443', certificatesDir: '/srv/pki', networking: { serviceSubnet: '10.128.0.0/12' } },
    verbosity: 3,
  });
  const plan = bootPlan(spec, 'init', initCreds('v1.33.0', { clusterName: 'theirs' }));
  const docs = parseKubeadmDocuments(kubeadmConfigOf(plan));
  assert.equal(docs.cluster?.clusterName, 'mine');
  assert.equal(docs.cluster?.controlPlaneEndpoint, 'lb:443');
  assert.equal(docs.cluster?.networking?.serviceSubnet, '10.128.0.0/12');
  assert.equal(plan.files[0]?.path, '/srv/pki/ca.crt');
  assert.equal(plan.kubeadmCommand, 'kubeadm init --config /run/kubeadm/kubeadm.yaml --v=3');
  assert.equal(plan.verbosity, 3);
  assert.equal(parseKubeadmDocuments(kubeadmConfigOf(bootPlan(parseMachineSpec({}), 'init', initCreds('v1.33.0', { clusterName: 'theirs' })))).cluster?.clusterName, 'theirs');
});

test('joins: token discovery, file discovery, control plane both ways', () => {
  const worker = parseKubeadmDocuments(kubeadmConfigOf(bootPlan(SPEC, 'worker', joinCreds('v1.33.0')))).join!;
  assert.deepEqual(worker.discovery, { bootstrapToken: { token: TOKEN, apiServerEndpoint: '10.0.0.10:6443', caCertHashes: [PIN] } });
  assert.equal(worker.controlPlane, undefined);
  assert.deepEqual(worker.nodeRegistration?.taints, []);

  const filePlan = bootPlan(SPEC, 'worker', joinCreds('v1.30.0', { discovery: { kind: 'file', kubeconfig: 'apiVersion: v1\n', path: '/etc/kubernetes/d.conf' } }));
  const file = parseKubeadmDocuments(kubeadmConfigOf(filePlan)).join!;
  assert.deepEqual(file.discovery, { file: { kubeConfigPath: '/etc/kubernetes/d.conf' }, tlsBootstrapToken: TOKEN });
  assert.deepEqual(filePlan.files.find((f) => f.path === '/etc/kubernetes/d.conf'), {
    path: '/etc/kubernetes/d.conf',
    content: new TextEncoder().encode('apiVersion: v1\n'),
    mode: 0o600,
    owner: 'root:root',
    secret: true,
  });

  const upload = bootPlan(SPEC, 'control-plane', joinCreds('v1.30.0', { controlPlane: { certificateKey: CERT_KEY } }));
  assert.deepEqual(parseKubeadmDocuments(kubeadmConfigOf(upload)).join?.controlPlane, { certificateKey: CERT_KEY });
  assert.equal(upload.kubeadmCommand, 'kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml');

  const inline = bootPlan(SPEC, 'control-plane', joinCreds('v1.30.0', { controlPlane: { inlineCas: CAS } }));
  assert.deepEqual(parseKubeadmDocuments(kubeadmConfigOf(inline)).join?.controlPlane, {});
  assert.deepEqual(
    inline.files.filter((f) => f.path.startsWith('/etc/kubernetes/pki/')).map((f) => f.path),
    ['ca.crt', 'ca.key', 'etcd/ca.crt', 'etcd/ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.pub', 'sa.key'].map((n) => `/etc/kubernetes/pki/${n}`),
  );
});

test('the spec may add pins and its own endpoint; a discovery that contradicts the credentials is refused', () => {
  const other = `sha256:${'1'.repeat(64)}`;
  const spec = parseMachineSpec({ joinConfiguration: { discovery: { bootstrapToken: { apiServerEndpoint: 'lb.example:6443', caCertHashes: [other, PIN] } } } });
  const join = parseKubeadmDocuments(kubeadmConfigOf(bootPlan(spec, 'worker', joinCreds('v1.33.0')))).join!;
  assert.deepEqual(join.discovery.bootstrapToken, { token: TOKEN, apiServerEndpoint: 'lb.example:6443', caCertHashes: [PIN, other] });

  const otherToken = parseMachineSpec({ joinConfiguration: { discovery: { bootstrapToken: { token: 'zzzzzz.0123456789abcdef' } } } });
  const err = throwsCode(() => bootPlan(otherToken, 'worker', joinCreds('v1.33.0')), 'USERDATA_SPEC_CONFLICT');
  assert.equal(err.path, 'joinConfiguration.discovery.bootstrapToken.token');
  assert.doesNotMatch(err.message + err.fix, /0123456789abcdef/);
  const fileSpec = parseMachineSpec({ joinConfiguration: { discovery: { file: { kubeConfigPath: '/k' } } } });
  assert.equal(throwsCode(() => bootPlan(fileSpec, 'worker', joinCreds('v1.33.0')), 'USERDATA_SPEC_CONFLICT').path, 'joinConfiguration.discovery.file');
});

test('nodeRegistration.name: always the credentials\' node name; a different one in the spec is refused', () => {
  for (const [role, section, creds] of [
    ['init', 'initConfiguration', initCreds('v1.30.0')],
    ['worker', 'joinConfiguration', joinCreds('v1.30.0')],
    ['control-plane', 'joinConfiguration', joinCreds('v1.30.0', { controlPlane: { certificateKey: CERT_KEY } })],
  ] as const) {
    const spec = parseMachineSpec({ [section]: { nodeRegistration: { name: '{{ ds.meta_data.local_hostname }}' } } });
    const err = throwsCode(() => bootPlan(spec, role, creds), 'USERDATA_SPEC_CONFLICT');
    assert.equal(err.path, `${section}.nodeRegistration.name`);
    const same = parseMachineSpec({ [section]: { nodeRegistration: { name: creds.nodeName } } });
    assert.equal(bootPlan(same, role, creds).nodeName, creds.nodeName);
  }
});

/** Every secret of a plan: the token, the certificate key and the private keys. */
function secretsOf(creds: JoinCredentials | InitCredentials): string[] {
  const keys = (cas: ClusterCas | undefined) => (cas ? [cas.ca.key, cas.etcdCa.key, cas.frontProxyCa.key, cas.serviceAccount.privateKey] : []);
  if ('cas' in creds) return [creds.bootstrapToken as string, creds.certificateKey as string, ...keys(creds.cas)].filter(Boolean);
  return [creds.token as string, creds.controlPlane?.certificateKey as string, ...keys(creds.controlPlane?.inlineCas)].filter(Boolean);
}

test('secrets: only in secret 0600 files, never in commands; no private key in worker or upload-certs plans', () => {
  for (const [name, role, credsOf] of CASES) {
    for (const v of VERSIONS) {
      const creds = credsOf(v);
      const plan = bootPlan(SPEC, role, creds);
      const secrets = secretsOf(creds);
      assert.ok(secrets.length > 0 || name === 'init', name);
      const keyBodies = secrets.map((s) => s.replace(/-----[A-Z ]+-----/g, '').trim().split('\n')[0] ?? s);
      for (const f of plan.files) {
        const body = text(f.content);
        const holds = secrets.some((s) => body.includes(s)) || keyBodies.some((k) => k.length > 20 && body.includes(k)) || /PRIVATE KEY-----/.test(body);
        if (holds) assert.deepEqual([f.secret, f.mode], [true, 0o600], `${name} ${v}: ${f.path} holds a secret`);
        if (f.secret) assert.equal(f.mode, 0o600, `${name} ${v}: ${f.path}`);
      }
      const commands = [plan.kubeadmCommand, ...plan.bootCommands, ...plan.preKubeadmCommands, ...plan.postKubeadmCommands].join('\n');
      for (const s of secrets) assert.ok(!commands.includes(s), `${name}: a secret in a command`);
      if (name === 'worker' || name === 'worker-file-discovery' || name === 'control-plane-upload-certs') {
        assert.ok(!plan.files.some((f) => /PRIVATE KEY/.test(text(f.content))), `${name} ${v}: a private key in the plan`);
        assert.ok(!plan.files.some((f) => f.path.startsWith('/etc/kubernetes/pki/')), `${name} ${v}: a pki file in the plan`);
      }
    }
  }
});

test('a user file that holds a private key or the token is made secret and 0600', () => {
  const spec = parseMachineSpec({
    files: [
      { path: '/etc/keys/x.key', content: CAS.ca.key, permissions: '0644' },
      { path: '/etc/notes', content: `token ${TOKEN}`, permissions: '0644' },
      { path: '/etc/motd', content: 'hello', permissions: '0644', owner: 'root:adm', append: true },
    ],
  });
  const plan = bootPlan(spec, 'worker', joinCreds('v1.30.0'));
  const byPath = new Map(plan.files.map((f) => [f.path, f]));
  assert.deepEqual([byPath.get('/etc/keys/x.key')?.mode, byPath.get('/etc/keys/x.key')?.secret], [0o600, true]);
  assert.deepEqual([byPath.get('/etc/notes')?.mode, byPath.get('/etc/notes')?.secret], [0o600, true]);
  assert.deepEqual(byPath.get('/etc/motd'), { path: '/etc/motd', content: new TextEncoder().encode('hello'), mode: 0o644, owner: 'root:adm', append: true, secret: false });
});

test('refusals: secrets in commands, unresolved Secrets, files joinery writes, controlPlane on a worker', () => {
  const inCommand = parseMachineSpec({ preKubeadmCommands: [`echo ${TOKEN}`] });
  const err = throwsCode(() => bootPlan(inCommand, 'worker', joinCreds('v1.30.0')), 'USERDATA_SECRET_IN_COMMAND');
  assert.equal(err.path, 'preKubeadmCommands[0]');
  assert.doesNotMatch(err.message, /0123456789abcdef/);
  const unresolved = parseMachineSpec({ files: [{ path: '/a', contentFrom: { secret: { name: 's', key: 'k' } } }] });
  assert.equal(throwsCode(() => bootPlan(unresolved, 'worker', joinCreds('v1.30.0')), 'USERDATA_SECRET_UNRESOLVED').path, 'files[0].contentFrom');
  const pw = parseMachineSpec({ users: [{ name: 'a', passwdFrom: { secret: { name: 's', key: 'k' } } }] });
  assert.equal(throwsCode(() => bootPlan(pw, 'worker', joinCreds('v1.30.0')), 'USERDATA_SECRET_UNRESOLVED').path, 'users[0].passwdFrom');
  const clash = parseMachineSpec({ files: [{ path: KUBEADM_JOIN_CONFIG_PATH, content: 'x' }] });
  assert.equal(throwsCode(() => bootPlan(clash, 'worker', joinCreds('v1.30.0')), 'USERDATA_SPEC_CONFLICT').path, 'files[0].path');
  const pkiClash = parseMachineSpec({ files: [{ path: '/etc/kubernetes/pki/ca.crt', content: 'x' }] });
  assert.equal(throwsCode(() => bootPlan(pkiClash, 'init', initCreds('v1.30.0')), 'USERDATA_SPEC_CONFLICT').path, 'files[0].path');
  const cp = parseMachineSpec({ joinConfiguration: { controlPlane: {} } });
  assert.equal(throwsCode(() => bootPlan(cp, 'worker', joinCreds('v1.30.0')), 'USERDATA_SPEC_CONFLICT').path, 'joinConfiguration.controlPlane');
  const version = parseMachineSpec({ clusterConfiguration: { kubernetesVersion: 'v1.29.0' } });
  assert.equal(throwsCode(() => bootPlan(version, 'init', initCreds('v1.30.0')), 'USERDATA_SPEC_CONFLICT').path, 'clusterConfiguration.kubernetesVersion');
});

test('a field the node\'s kubeadm cannot read is reported at its path in the spec', () => {
  const spec = parseMachineSpec({ clusterConfiguration: { scheduler: { extraEnvs: [{ name: 'A', value: 'b' }] } }, joinConfiguration: { skipPhases: ['preflight'] } });
  const err = throwsCode(() => bootPlan(spec, 'init', initCreds('v1.20.2')), 'KUBEADM_FIELD_UNSUPPORTED');
  assert.equal(err.path, 'clusterConfiguration.scheduler.extraEnvs');
  assert.match(err.message, /^clusterConfiguration\.scheduler\.extraEnvs: .*v1\.20\.2/);
  const join = throwsCode(() => bootPlan(spec, 'worker', joinCreds('v1.20.2')), 'KUBEADM_FIELD_UNSUPPORTED');
  assert.equal(join.path, 'joinConfiguration.skipPhases');
  assert.ok(bootPlan(spec, 'worker', joinCreds('v1.30.0')));
});

test('bad credentials are USERDATA_CREDENTIALS_INVALID with their path and never quote the secret', () => {
  const cases: Array<[Role, JoinCredentials | InitCredentials, string]> = [
    ['worker', joinCreds('v1.30.0', { nodeName: 'Node_1' }), 'nodeName'],
    ['worker', joinCreds('v1.30.0', { endpoint: '10.0.0.1' }), 'endpoint'],
    ['worker', joinCreds('v1.30.0', { token: 'abcdef.0123456789ABCDEF' }), 'token'],
    ['worker', joinCreds('v1.30.0', { caPins: [] }), 'caPins'],
    ['worker', joinCreds('v1.30.0', { caPins: ['sha256:00'] }), 'caPins[0]'],
    ['worker', joinCreds('latest'), 'kubernetesVersion'],
    ['worker', joinCreds('v1.30.0', { controlPlane: { certificateKey: CERT_KEY } }), 'controlPlane'],
    ['control-plane', joinCreds('v1.30.0'), 'controlPlane'],
    ['control-plane', joinCreds('v1.30.0', { controlPlane: { certificateKey: CERT_KEY, inlineCas: CAS } }), 'controlPlane'],
    ['control-plane', joinCreds('v1.30.0', { controlPlane: { certificateKey: 'abc' } }), 'controlPlane.certificateKey'],
    ['worker', joinCreds('v1.30.0', { discovery: { kind: 'file', kubeconfig: 'x', path: 'relative' } }), 'discovery.path'],
    ['init', initCreds('v1.30.0', { cas: { ...CAS, ca: { cert: CAS.ca.cert, key: CAS.etcdCa.key } } }), 'cas.ca.key'],
    ['init', initCreds('v1.30.0', { cas: { ...CAS, etcdCa: { cert: 'x', key: CAS.etcdCa.key } } }), 'cas.etcdCa.cert'],
    ['init', initCreds('v1.30.0', { cas: { ...CAS, serviceAccount: { publicKey: CAS.serviceAccount.publicKey, privateKey: CAS.ca.key } } }), 'cas.serviceAccount.publicKey'],
    ['init', initCreds('v1.30.0', { bootstrapToken: 'abcdef.x' }), 'bootstrapToken'],
    ['init', joinCreds('v1.30.0'), 'cas'],
    ['worker', initCreds('v1.30.0'), 'token'],
  ];
  for (const [role, creds, path] of cases) {
    const err = throwsCode(() => bootPlan(parseMachineSpec({}), role, creds), 'USERDATA_CREDENTIALS_INVALID');
    assert.equal(err.path, path, err.message);
    assert.doesNotMatch(err.message + err.fix, /0123456789|PRIVATE KEY|0f1e2d3c/, path);
  }
  throwsCode(() => bootPlan(parseMachineSpec({}), 'master' as Role, joinCreds('v1.30.0')), 'USERDATA_ROLE_INVALID');
});

test('kubernetesBinaries become plan binaries with placeholders filled', () => {
  const spec = parseMachineSpec({
    kubernetesBinaries: {
      installDir: '/opt/bin',
      urlTemplate: 'https://dl.k8s.io/release/{{version}}/bin/linux/amd64/{{name}}',
      sha256: { kubeadm: 'A'.repeat(64), kubelet: 'b'.repeat(64) },
    },
  });
  assert.deepEqual(bootPlan(spec, 'worker', joinCreds('1.30.0')).binaries, [
    { name: 'kubeadm', url: 'https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubeadm', sha256: 'a'.repeat(64), path: '/opt/bin/kubeadm' },
    { name: 'kubelet', url: 'https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubelet', sha256: 'b'.repeat(64), path: '/opt/bin/kubelet' },
  ]);
  const pinned = parseMachineSpec({ kubernetesBinaries: { version: 'v1.29.9', kubectl: { url: 'https://e/{{version}}/{{name}}', sha256: 'c'.repeat(64) } } });
  assert.deepEqual(bootPlan(pinned, 'worker', joinCreds('v1.30.0')).binaries.map((b) => b.url), ['https://e/v1.29.9/kubectl']);
  assert.deepEqual(bootPlan(parseMachineSpec({}), 'worker', joinCreds('v1.30.0')).binaries, []);
});

test('the plan carries users, ntp, disk setup and mounts from the spec', () => {
  const spec = parseMachineSpec({
    users: [{ name: 'ops', groups: 'wheel,docker', sudo: 'ALL=(ALL) NOPASSWD:ALL', lockPassword: true }],
    ntp: { servers: ['time.example'], enabled: true },
    diskSetup: { filesystems: [{ device: '/dev/sdb', filesystem: 'ext4', label: 'data' }] },
    mounts: [['LABEL=data', '/data']],
    bootCommands: ['echo early'],
  });
  const plan = bootPlan(spec, 'worker', joinCreds('v1.30.0'));
  assert.deepEqual(plan.users, [{ name: 'ops', groups: ['wheel', 'docker'], sudo: 'ALL=(ALL) NOPASSWD:ALL', lockPassword: true }]);
  assert.deepEqual(plan.ntp, { servers: ['time.example'], enabled: true });
  assert.deepEqual(plan.diskSetup, { filesystems: [{ device: '/dev/sdb', filesystem: 'ext4', label: 'data' }] });
  assert.deepEqual(plan.mounts, [['LABEL=data', '/data']]);
  assert.deepEqual(plan.bootCommands, ['echo early']);
  assert.equal(plan.role, 'worker');
  assert.equal(plan.nodeName, 'node-1');
});

test('file discovery: the spec\'s kubeConfigPath is used when the credentials give none, and must be a file path', () => {
  const fileCreds = joinCreds('v1.30.0', { discovery: { kind: 'file', kubeconfig: 'apiVersion: v1\n' } });
  const spec = parseMachineSpec({ joinConfiguration: { discovery: { file: { kubeConfigPath: '/etc/kubernetes/bootstrap-discovery.conf' } } } });
  const plan = bootPlan(spec, 'worker', fileCreds);
  assert.ok(plan.files.some((f) => f.path === '/etc/kubernetes/bootstrap-discovery.conf' && f.secret && f.mode === 0o600));
  assert.equal(parseKubeadmDocuments(kubeadmConfigOf(plan)).join?.discovery.file?.kubeConfigPath, '/etc/kubernetes/bootstrap-discovery.conf');
  const url = parseMachineSpec({ joinConfiguration: { discovery: { file: { kubeConfigPath: 'https://example.com/cluster-info' } } } });
  assert.equal(throwsCode(() => bootPlan(url, 'worker', fileCreds), 'USERDATA_SPEC_CONFLICT').path, 'joinConfiguration.discovery.file.kubeConfigPath');
});
