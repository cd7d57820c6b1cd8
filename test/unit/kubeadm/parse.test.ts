import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoineryError } from '../../../src/errors/index.js';
import { parseKubeadmDocuments } from '../../../src/kubeadm/index.js';
import { throwsCode } from '../../support/errors.js';
import { CERT_KEY, PIN, TOKEN } from './fixtures.js';

const SECRET = TOKEN.split('.')[1] as string;

/** Asserts a JoineryError with `code` (and `path`), that leaks no secret, and returns it. */
function rejects(text: string, code: string, path?: string): JoineryError {
  const caught = throwsCode(() => parseKubeadmDocuments(text), code);
  if (path !== undefined) assert.equal(caught.path, path, caught.message);
  for (const s of [caught.message, caught.fix, caught.path ?? '']) {
    assert.ok(!s.includes(SECRET), `secret leaked: ${s}`);
    assert.ok(!s.includes(CERT_KEY), `certificate key leaked: ${s}`);
  }
  return caught;
}

const join = (version: string, body: string): string => `apiVersion: kubeadm.k8s.io/${version}\nkind: JoinConfiguration\n${body}`;
const tokenDiscovery = `discovery:
  bootstrapToken:
    token: ${TOKEN}
    apiServerEndpoint: 10.0.0.1:6443
    caCertHashes: ["${PIN}"]
`;

test('reads kubeadm 1.20 `config print join-defaults` output (taints: null, discovery.timeout)', () => {
  const r = parseKubeadmDocuments(`apiVersion: kubeadm.k8s.io/v1beta2
caCertPath: /etc/kubernetes/pki/ca.crt
discovery:
  bootstrapToken:
    apiServerEndpoint: kube-apiserver:6443
    token: abcdef.0123456789abcdef
    unsafeSkipCAVerification: true
  timeout: 5m0s
  tlsBootstrapToken: abcdef.0123456789abcdef
kind: JoinConfiguration
nodeRegistration:
  criSocket: /var/run/dockershim.sock
  name: vm
  taints: null
`);
  assert.equal(r.apiVersion, 'v1beta2');
  assert.deepEqual(r.join, {
    caCertPath: '/etc/kubernetes/pki/ca.crt',
    discovery: {
      bootstrapToken: { token: TOKEN, apiServerEndpoint: 'kube-apiserver:6443', unsafeSkipCAVerification: true },
      tlsBootstrapToken: TOKEN,
    },
    nodeRegistration: { criSocket: '/var/run/dockershim.sock', name: 'vm' },
    timeouts: { discovery: 300_000_000_000n },
  });
});

test('keeps other documents untouched and skips empty ones', () => {
  const r = parseKubeadmDocuments(`---
# only a comment
---
${join('v1beta3', tokenDiscovery)}---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
evictionHard: {memory.available: 100Mi}
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: ipvs
`);
  assert.equal(r.apiVersion, 'v1beta3');
  assert.ok(r.join);
  assert.deepEqual(r.others, [
    {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      document: { apiVersion: 'kubelet.config.k8s.io/v1beta1', kind: 'KubeletConfiguration', cgroupDriver: 'systemd', evictionHard: { 'memory.available': '100Mi' } },
    },
    { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', document: { apiVersion: 'kubeproxy.config.k8s.io/v1alpha1', kind: 'KubeProxyConfiguration', mode: 'ipvs' } },
  ]);
  assert.deepEqual(parseKubeadmDocuments(''), { others: [] });
  const reset = parseKubeadmDocuments('apiVersion: kubeadm.k8s.io/v1beta4\nkind: ResetConfiguration\nforce: true\n');
  assert.equal(reset.others[0]?.kind, 'ResetConfiguration');
});

test('unknown fields are errors that suggest the closest name and list the valid ones', () => {
  const e = rejects(join('v1beta3', tokenDiscovery.replace('    token:', '    tokn:')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.tokn');
  assert.match(e.fix, /Did you mean "token"\?/);
  assert.match(e.fix, /apiServerEndpoint, caCertHashes, unsafeSkipCAVerification/);
  assert.match(e.message, /JoinConfiguration \(document 1\)/);
  const top = rejects(join('v1beta3', `${tokenDiscovery}nodeRegistraton: {}\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistraton');
  assert.match(top.fix, /"nodeRegistration"/);
});

test('a field of another version names the version that has it', () => {
  const e = rejects(join('v1beta2', `${tokenDiscovery}skipPhases: [preflight]\n`), 'KUBEADM_CONFIG_INVALID', 'skipPhases');
  assert.match(e.fix, /skipPhases needs kubeadm\.k8s\.io\/v1beta3 \(Kubernetes >= 1\.22\)/);
  const t = rejects(join('v1beta4', `${tokenDiscovery}  timeout: 5m\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.timeout');
  assert.match(t.fix, /exists only in kubeadm\.k8s\.io\/v1beta2/);
  const s = rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  imagePullSerial: true\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.imagePullSerial');
  assert.match(s.fix, /v1beta4 \(Kubernetes >= 1\.31\)/);
});

test('wrong types are errors (Go does not turn numbers or booleans into strings)', () => {
  rejects(join('v1beta3', `${tokenDiscovery}controlPlane:\n  localAPIEndpoint:\n    bindPort: "6443"\n`), 'KUBEADM_CONFIG_INVALID', 'controlPlane.localAPIEndpoint.bindPort');
  const e = rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  kubeletExtraArgs:\n    v: 4\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.kubeletExtraArgs.v');
  assert.match(e.fix, /quote/);
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  kubeletExtraArgs:\n    fail-swap-on: no\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.kubeletExtraArgs.fail-swap-on');
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration: [a]\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration');
  rejects(join('v1beta3', `${tokenDiscovery}skipPhases: preflight\n`), 'KUBEADM_CONFIG_INVALID', 'skipPhases');
  rejects(join('v1beta4', `${tokenDiscovery}nodeRegistration:\n  kubeletExtraArgs:\n    v: "4"\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.kubeletExtraArgs');
  rejects(join('v1beta3', `${tokenDiscovery}skipPhases: [null]\n`), 'KUBEADM_CONFIG_INVALID', 'skipPhases[0]');
  // YAML 1.1 booleans are booleans, as in kubeadm.
  const r = parseKubeadmDocuments(join('v1beta3', `discovery:\n  bootstrapToken:\n    token: ${TOKEN}\n    apiServerEndpoint: a:1\n    unsafeSkipCAVerification: yes\n`));
  assert.equal(r.join?.discovery.bootstrapToken?.unsafeSkipCAVerification, true);
});

test('token, pin, certificate key, port, enum and duration rules', () => {
  rejects(join('v1beta3', tokenDiscovery.replace(TOKEN, 'ABCDEF.0123456789abcdef')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.token');
  rejects(join('v1beta3', tokenDiscovery.replace(TOKEN, `abcdef${SECRET}`)), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.token');
  rejects(join('v1beta3', `${tokenDiscovery}  tlsBootstrapToken: x${SECRET}\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.tlsBootstrapToken');
  rejects(join('v1beta3', tokenDiscovery.replace(PIN, 'md5:abcd')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.caCertHashes[0]');
  rejects(join('v1beta3', tokenDiscovery.replace(PIN, PIN.slice(0, -2))), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.caCertHashes[0]');
  rejects(join('v1beta3', tokenDiscovery.replace(PIN, PIN.slice(7))), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.caCertHashes[0]');
  const upper = parseKubeadmDocuments(join('v1beta3', tokenDiscovery.replace(PIN, `SHA256:${PIN.slice(7).toUpperCase()}`)));
  assert.equal(upper.join?.discovery.bootstrapToken?.caCertHashes?.length, 1);
  rejects(join('v1beta3', tokenDiscovery.replace('10.0.0.1:6443', '10.0.0.1')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.apiServerEndpoint');
  for (const port of ['0', '65536', '-1']) {
    rejects(join('v1beta3', `${tokenDiscovery}controlPlane:\n  localAPIEndpoint:\n    bindPort: ${port}\n`), 'KUBEADM_CONFIG_INVALID', 'controlPlane.localAPIEndpoint.bindPort');
  }
  rejects(join('v1beta3', `${tokenDiscovery}controlPlane:\n  certificateKey: ${CERT_KEY.slice(1)}\n`), 'KUBEADM_CONFIG_INVALID', 'controlPlane.certificateKey');
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  taints:\n  - key: a\n    effect: NoScheduel\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.taints[0].effect');
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  taints:\n  - effect: NoSchedule\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.taints[0].key');
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  imagePullPolicy: Sometimes\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.imagePullPolicy');
  rejects(join('v1beta3', `${tokenDiscovery}  timeout: 5 minutes\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.timeout');
  rejects(join('v1beta3', `${tokenDiscovery}  timeout: 300\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.timeout');
  const init = (body: string) => `apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\n${body}`;
  rejects(init(`bootstrapTokens:\n- token: ${TOKEN}\n  usages: [signing, root]\n`), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].usages[1]');
  rejects(init(`bootstrapTokens:\n- token: ${TOKEN}\n  groups: [admins]\n`), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].groups[0]');
  rejects(init(`bootstrapTokens:\n- token: ${TOKEN}\n  expires: tomorrow\n`), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].expires');
  // kubeadm defaults the groups, then refuses groups without the authentication usage.
  rejects(init(`bootstrapTokens:\n- token: ${TOKEN}\n  usages: [signing]\n`), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].usages');
  rejects(init(`bootstrapTokens:\n- token: ${TOKEN}\n  usages: [signing]\n  groups: [system:bootstrappers:x]\n`), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].usages');
  assert.deepEqual(parseKubeadmDocuments(init(`bootstrapTokens:\n- token: ${TOKEN}\n  usages: [authentication]\n`)).init?.bootstrapTokens?.[0]?.usages, ['authentication']);
  // Without a token kubeadm generates one (SetBootstrapTokensDynamicDefaults).
  const tokenless = parseKubeadmDocuments(init(`bootstrapTokens:\n- description: no token\n`));
  assert.deepEqual(tokenless.init?.bootstrapTokens, [{ description: 'no token' }]);
  // kubeadm reads a negative ttl (as a token that never expires); joinery only refuses to write one.
  assert.equal(parseKubeadmDocuments(init(`bootstrapTokens:\n- token: ${TOKEN}\n  ttl: -1h\n`)).init?.bootstrapTokens?.[0]?.ttl, -3_600_000_000_000n);
  const cluster = (body: string) => `apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\n${body}`;
  rejects(cluster('encryptionAlgorithm: RSA-1024\n'), 'KUBEADM_CONFIG_INVALID', 'encryptionAlgorithm');
  rejects(cluster('apiServer:\n  extraVolumes:\n  - name: a\n    hostPath: /a\n    mountPath: /a\n    pathType: Dir\n'), 'KUBEADM_CONFIG_INVALID', 'apiServer.extraVolumes[0].pathType');
  rejects(cluster('etcd:\n  local: {}\n  external: {endpoints: [https://e:2379]}\n'), 'KUBEADM_CONFIG_INVALID', 'etcd');
  rejects(cluster('etcd:\n  external: {caFile: /ca}\n'), 'KUBEADM_CONFIG_INVALID', 'etcd.external.endpoints');
  rejects(cluster('featureGates: {PublicKeysECDSA: "true"}\n'), 'KUBEADM_CONFIG_INVALID', 'featureGates.PublicKeysECDSA');
});

test('bootstrapTokens[].expires: a time Go\'s time.Parse reads is refused as kubeadm refuses it (ttl is always defaulted)', () => {
  const init = (expires: string) => `apiVersion: kubeadm.k8s.io/v1beta3\nkind: InitConfiguration\nbootstrapTokens:\n- token: ${TOKEN}\n  expires: "${expires}"\n`;
  // kubeadm v1.20.2 (Go 1.19) parses these (a one-digit hour, a comma before the fraction, an offset past
  // 24h), then refuses them next to the defaulted ttl: "the BootstrapToken .TTL and .Expires fields are
  // mutually exclusive".
  for (const text of ['2030-01-02T3:04:05,5+01:00', '2030-01-02T03:04:05+25:00', '2030-01-02T03:04:05.123456789123Z', '2030-01-02T03:04:05Z']) {
    const e = rejects(init(text), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].expires');
    assert.match(e.message, /mutually exclusive/, text);
    assert.match(e.fix, /set ttl instead/);
  }
  // These it cannot even parse ("cannot parse \"1-02T03:04:05Z\" as \"01\"" for the first).
  for (const text of ['2030-1-02T03:04:05Z', '2030-01-02 03:04:05Z', '2030-02-30T03:04:05Z', '2030-01-02T03:04:05', '2030-01-02T24:00:00Z']) {
    const e = rejects(init(text), 'KUBEADM_CONFIG_INVALID', 'bootstrapTokens[0].expires');
    assert.match(e.message, /is not an RFC 3339 time/, text);
  }
});

test('token, pin and certificate key problems are the token/pki modules\' own texts, at kubeadm\'s field path', () => {
  const pin = rejects(join('v1beta3', tokenDiscovery.replace(PIN, 'md5:abcd')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.caCertHashes[0]');
  assert.equal(pin.message, 'JoinConfiguration (document 1) discovery.bootstrapToken.caCertHashes[0]: is not a CA public key pin: unknown hash format "md5". Known format(s) are: sha256');
  const token = rejects(join('v1beta3', tokenDiscovery.replace(TOKEN, 'ABCDEF.0123456789abcdef')), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.token');
  assert.match(token.message, /discovery\.bootstrapToken\.token: the bootstrap token is not of the form \[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/);
  const key = rejects(join('v1beta3', `${tokenDiscovery}controlPlane:\n  certificateKey: ${CERT_KEY.slice(1)}\n`), 'KUBEADM_CONFIG_INVALID', 'controlPlane.certificateKey');
  assert.match(key.message, /controlPlane\.certificateKey: the certificate key has 63 hex digits; it must be 64 hex digits/);
});

test('discovery needs exactly one method; token discovery needs an endpoint and a pin or the explicit unsafe flag', () => {
  rejects(join('v1beta3', 'nodeRegistration: {name: a}\n'), 'KUBEADM_CONFIG_INVALID', 'discovery');
  rejects(join('v1beta3', 'discovery: {}\n'), 'KUBEADM_CONFIG_INVALID');
  rejects(join('v1beta3', `${tokenDiscovery}  file: {kubeConfigPath: /etc/kubernetes/discovery.conf}\n`), 'KUBEADM_CONFIG_INVALID', 'discovery');
  rejects(join('v1beta3', `discovery:\n  bootstrapToken:\n    token: ${TOKEN}\n    caCertHashes: ["${PIN}"]\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.apiServerEndpoint');
  const e = rejects(join('v1beta3', `discovery:\n  bootstrapToken:\n    token: ${TOKEN}\n    apiServerEndpoint: a:6443\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken');
  assert.match(e.fix, /unsafeSkipCAVerification: true/);
  rejects(join('v1beta3', `discovery:\n  bootstrapToken:\n    token: ${TOKEN}\n    apiServerEndpoint: a:6443\n    unsafeSkipCAVerification: false\n`), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken');
  rejects(join('v1beta3', 'discovery:\n  file: {}\n'), 'KUBEADM_CONFIG_INVALID', 'discovery.file.kubeConfigPath');
});

test('versions: retired ones point to kubeadm config migrate, mixing and repeating kinds are errors', () => {
  for (const v of ['v1beta1', 'v1alpha3', 'v1alpha2']) {
    const e = rejects(join(v, tokenDiscovery), 'KUBEADM_API_UNSUPPORTED', 'apiVersion');
    assert.match(e.fix, /kubeadm config migrate/);
  }
  rejects(join('v2', tokenDiscovery), 'KUBEADM_API_UNSUPPORTED', 'apiVersion');
  const mixed = `apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n---\n${join('v1beta4', tokenDiscovery)}`;
  const m = rejects(mixed, 'KUBEADM_CONFIG_INVALID', 'apiVersion');
  assert.match(m.message, /document 2/);
  rejects(`${join('v1beta3', tokenDiscovery)}---\n${join('v1beta3', tokenDiscovery)}`, 'KUBEADM_CONFIG_INVALID', 'kind');
  const k = rejects('apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfig\n', 'KUBEADM_CONFIG_INVALID', 'kind');
  assert.match(k.fix, /JoinConfiguration/);
  rejects('kind: JoinConfiguration\n', 'KUBEADM_CONFIG_INVALID', 'apiVersion');
  rejects('apiVersion: v1\n', 'KUBEADM_CONFIG_INVALID', 'kind');
  rejects('- a\n- b\n', 'KUBEADM_CONFIG_INVALID');
});

test('YAML syntax errors give line and column and never echo a secret from the text', () => {
  const e = rejects(`apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: "${TOKEN}\n`, 'KUBEADM_YAML_INVALID');
  assert.match(e.message, /line \d+, column \d+/);
  const dup = rejects(`apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\nkind: JoinConfiguration\n`, 'KUBEADM_YAML_INVALID');
  assert.match(dup.message, /line 3/);
  rejects(`a: b\n c: d: e\n`, 'KUBEADM_YAML_INVALID');
  rejects('a: !!binary aGVsbG8=\n', 'KUBEADM_YAML_INVALID');
  rejects('apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nclusterName: .inf\n', 'KUBEADM_YAML_INVALID');
});

test('aliases and merge keys work; alias bombs and __proto__ keys are refused', () => {
  const r = parseKubeadmDocuments(`apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
apiServer:
  extraArgs: &args
    v: "2"
controllerManager:
  extraArgs:
    <<: *args
    bind-address: 0.0.0.0
`);
  assert.deepEqual(r.cluster?.controllerManager?.extraArgs, [{ name: 'bind-address', value: '0.0.0.0' }, { name: 'v', value: '2' }]);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  rejects(`${bomb.join('\n')}\n`, 'KUBEADM_YAML_INVALID');
  rejects(join('v1beta3', `${tokenDiscovery}__proto__: {polluted: true}\n`), 'KUBEADM_CONFIG_INVALID', '__proto__');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('apiServer.timeoutForControlPlane becomes the InitConfiguration timeout, even without an InitConfiguration', () => {
  const r = parseKubeadmDocuments('apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  timeoutForControlPlane: 4m\n');
  assert.deepEqual(r.init, { timeouts: { controlPlaneComponentHealthCheck: 240_000_000_000n } });
  assert.equal(r.cluster?.apiServer, undefined);
});

test('a secret pasted into a field that is echoed is still redacted', () => {
  const e = rejects(join('v1beta3', tokenDiscovery.replace('10.0.0.1:6443', TOKEN)), 'KUBEADM_CONFIG_INVALID', 'discovery.bootstrapToken.apiServerEndpoint');
  assert.match(e.message, /abcdef\.<redacted>/);
  rejects(join('v1beta3', `${tokenDiscovery}nodeRegistration:\n  taints: [{key: a, effect: "${CERT_KEY}"}]\n`), 'KUBEADM_CONFIG_INVALID', 'nodeRegistration.taints[0].effect');
});

test('non-string input is a JoineryError', () => {
  assert.throws(() => parseKubeadmDocuments(42 as unknown as string), (e: unknown) => e instanceof JoineryError && e.code === 'KUBEADM_YAML_INVALID');
});
