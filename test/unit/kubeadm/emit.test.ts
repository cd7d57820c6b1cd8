import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JoineryError } from '../../../src/errors/index.js';
import {
  clusterConfigurationDocument,
  emitKubeadmYaml,
  initConfigurationDocument,
  joinConfigurationDocument,
  kubeadmDocuments,
  parseKubeadmDocuments,
  type ClusterConfiguration,
  type JoinConfiguration,
} from '../../../src/kubeadm/index.js';
import { MINUTE, SECOND } from '../../../src/duration/index.js';
import { throwsCode } from '../../support/errors.js';
import { cluster, init, joinTokenDiscovery, TOKEN } from './fixtures.js';

function unsupported(fn: () => unknown, path: string, fix: RegExp): JoineryError {
  const caught = throwsCode(fn, 'KUBEADM_FIELD_UNSUPPORTED');
  assert.equal(caught.path, path);
  assert.match(caught.fix, fix);
  return caught;
}

const join = (extra: Partial<JoinConfiguration>): JoinConfiguration => ({ ...joinTokenDiscovery, ...extra });

test('joinConfigurationDocument returns the versioned plain object', () => {
  const doc = joinConfigurationDocument(joinTokenDiscovery, 'kubeadm.k8s.io/v1beta3');
  assert.equal(doc.apiVersion, 'kubeadm.k8s.io/v1beta3');
  assert.equal(doc.kind, 'JoinConfiguration');
  assert.deepEqual(doc['discovery'], {
    bootstrapToken: joinTokenDiscovery.discovery.bootstrapToken,
    timeout: '5m0s',
  });
  assert.deepEqual((doc['nodeRegistration'] as Record<string, unknown>)['kubeletExtraArgs'], { 'node-labels': 'joinery.io/pool=default', v: '2' });
  const v4 = joinConfigurationDocument(joinTokenDiscovery, 'v1beta4');
  assert.deepEqual(v4['timeouts'], { discovery: '5m0s' });
  assert.equal((v4['discovery'] as Record<string, unknown>)['timeout'], undefined);
});

test('fields a version cannot express are KUBEADM_FIELD_UNSUPPORTED naming the field, the version and the fix', () => {
  const e = unsupported(() => joinConfigurationDocument(join({ skipPhases: ['preflight'] }), 'v1beta2'), 'skipPhases', /^skipPhases needs kubeadm\.k8s\.io\/v1beta3 \(Kubernetes >= 1\.22\)$/);
  assert.match(e.message, /kubeadm\.k8s\.io\/v1beta2/);
  unsupported(() => joinConfigurationDocument(join({ patches: { directory: '/p' } }), 'v1beta2'), 'patches', /v1beta3/);
  unsupported(() => joinConfigurationDocument(join({ nodeRegistration: { imagePullPolicy: 'Never' } }), 'v1beta2'), 'nodeRegistration.imagePullPolicy', /v1beta3/);
  unsupported(() => joinConfigurationDocument(join({ nodeRegistration: { imagePullSerial: false } }), 'v1beta3'), 'nodeRegistration.imagePullSerial', /v1beta4 \(Kubernetes >= 1\.31\)/);
  unsupported(() => joinConfigurationDocument(join({ dryRun: true }), 'v1beta3'), 'dryRun', /v1beta4/);
  unsupported(() => joinConfigurationDocument(join({ timeouts: { tlsBootstrap: MINUTE } }), 'v1beta3'), 'timeouts.tlsBootstrap', /v1beta4.*discovery\.timeout/);
  unsupported(() => initConfigurationDocument({ timeouts: { controlPlaneComponentHealthCheck: MINUTE } }, 'v1beta3'), 'timeouts.controlPlaneComponentHealthCheck', /ClusterConfiguration/);
  unsupported(() => initConfigurationDocument({ timeouts: { kubeletHealthCheck: MINUTE } }, 'v1beta2'), 'timeouts.kubeletHealthCheck', /v1beta4/);
  const c = (m: ClusterConfiguration, v: string) => () => clusterConfigurationDocument(m, v);
  unsupported(c({ dns: { type: 'kube-dns' } }, 'v1beta3'), 'dns.type', /exists only in kubeadm\.k8s\.io\/v1beta2/);
  unsupported(c({ useHyperKubeImage: true }, 'v1beta4'), 'useHyperKubeImage', /v1beta2/);
  unsupported(c({ encryptionAlgorithm: 'ECDSA-P256' }, 'v1beta3'), 'encryptionAlgorithm', /v1beta4/);
  unsupported(c({ certificateValidityPeriod: 24n * 3600n * SECOND }, 'v1beta3'), 'certificateValidityPeriod', /v1beta4/);
  unsupported(c({ apiServer: { extraEnvs: [{ name: 'A', value: 'b' }] } }, 'v1beta3'), 'apiServer.extraEnvs', /v1beta4/);
  unsupported(c({ dns: { disabled: true } }, 'v1beta2'), 'dns.disabled', /v1beta4/);
  unsupported(c({ proxy: { disabled: true } }, 'v1beta3'), 'proxy', /v1beta4/);
});

test('dns.type CoreDNS is dropped from v1beta3 and later (they always use CoreDNS)', () => {
  assert.deepEqual(clusterConfigurationDocument({ dns: { type: 'CoreDNS' }, clusterName: 'c' }, 'v1beta3'), {
    apiVersion: 'kubeadm.k8s.io/v1beta3',
    kind: 'ClusterConfiguration',
    clusterName: 'c',
  });
  assert.deepEqual(clusterConfigurationDocument({ dns: { type: 'CoreDNS' } }, 'v1beta2')['dns'], { type: 'CoreDNS' });
});

test('a repeated extra argument is fine in v1beta4 lists and an error in v1beta2/v1beta3 maps', () => {
  const repeated = join({ nodeRegistration: { kubeletExtraArgs: [{ name: 'node-labels', value: 'a=b' }, { name: 'node-labels', value: 'c=d' }] } });
  const doc = joinConfigurationDocument(repeated, 'v1beta4');
  assert.equal(((doc['nodeRegistration'] as Record<string, unknown>)['kubeletExtraArgs'] as unknown[]).length, 2);
  for (const v of ['v1beta2', 'v1beta3']) {
    const e = unsupported(() => joinConfigurationDocument(repeated, v), 'nodeRegistration.kubeletExtraArgs[1]', /v1beta4/);
    assert.match(e.message, /"node-labels" is given twice/);
  }
  unsupported(
    () => clusterConfigurationDocument({ apiServer: { extraArgs: [{ name: 'v', value: '1' }, { name: 'v', value: '2' }] } }, 'v1beta3'),
    'apiServer.extraArgs[1]',
    /once/,
  );
});

test('map arguments come back as lists sorted by name, as kubeadm converts them', () => {
  const text = 'apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\napiServer:\n  extraArgs:\n    z: "1"\n    a: "2"\n    M: "3"\n';
  assert.deepEqual(parseKubeadmDocuments(text).cluster?.apiServer?.extraArgs, [
    { name: 'M', value: '3' },
    { name: 'a', value: '2' },
    { name: 'z', value: '1' },
  ]);
});

test('before v1beta4 the init timeout is written as apiServer.timeoutForControlPlane when both documents are written', () => {
  const docs = kubeadmDocuments({ init, cluster }, 'v1beta3');
  assert.equal(docs.length, 2);
  assert.equal(docs[0]?.['timeouts'], undefined);
  assert.equal((docs[1]?.['apiServer'] as Record<string, unknown>)['timeoutForControlPlane'], '4m0s');
  assert.equal((clusterConfigurationDocument(cluster, 'v1beta2', init)['apiServer'] as Record<string, unknown>)['timeoutForControlPlane'], '4m0s');
  const v4 = kubeadmDocuments({ init, cluster }, 'v1beta4');
  assert.deepEqual(v4[0]?.['timeouts'], { controlPlaneComponentHealthCheck: '4m0s' });
  assert.equal((v4[1]?.['apiServer'] as Record<string, unknown>)['timeoutForControlPlane'], undefined);
  unsupported(() => kubeadmDocuments({ init }, 'v1beta3'), 'timeouts.controlPlaneComponentHealthCheck', /together/);
});

test('emitting checks the values too: a bad token is refused without echoing it', () => {
  const bad = join({ discovery: { bootstrapToken: { token: 'abcdef.SECRETSECRETSECRE', apiServerEndpoint: 'a:6443', unsafeSkipCAVerification: true } } });
  assert.throws(() => joinConfigurationDocument(bad, 'v1beta3'), (e: unknown) => {
    assert.ok(e instanceof JoineryError);
    assert.equal(e.code, 'KUBEADM_CONFIG_INVALID');
    assert.equal(e.path, 'discovery.bootstrapToken.token');
    assert.ok(!`${e.message}${e.fix}`.includes('SECRET'));
    return true;
  });
  assert.throws(() => joinConfigurationDocument({ discovery: {} }, 'v1beta4'), (e: unknown) => e instanceof JoineryError && e.path === 'discovery');
  assert.throws(() => joinConfigurationDocument(joinTokenDiscovery, 'v1beta1'), (e: unknown) => e instanceof JoineryError && e.code === 'KUBEADM_API_UNSUPPORTED');
});

test('durations use Go format; a negative ttl is refused when writing (kubeadm would make it eternal)', () => {
  const doc = initConfigurationDocument({ bootstrapTokens: [{ token: TOKEN, ttl: 90n * SECOND }] }, 'v1beta4');
  assert.deepEqual(doc['bootstrapTokens'], [{ token: TOKEN, ttl: '1m30s' }]);
  assert.deepEqual(initConfigurationDocument({ bootstrapTokens: [{ ttl: 0n }] }, 'v1beta2')['bootstrapTokens'], [{ ttl: '0s' }]);
  assert.throws(
    () => initConfigurationDocument({ bootstrapTokens: [{ token: TOKEN, ttl: -SECOND }] }, 'v1beta3'),
    (e: unknown) => e instanceof JoineryError && e.code === 'KUBEADM_CONFIG_INVALID' && e.path === 'bootstrapTokens[0].ttl' && /never expires/.test(e.message),
  );
});

test('emitKubeadmYaml joins documents with --- and sorts keys', () => {
  const text = emitKubeadmYaml([
    { kind: 'InitConfiguration', apiVersion: 'kubeadm.k8s.io/v1beta4' },
    { kind: 'ClusterConfiguration', apiVersion: 'kubeadm.k8s.io/v1beta4', clusterName: 'x' },
  ]);
  assert.equal(text, 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n---\napiVersion: kubeadm.k8s.io/v1beta4\nclusterName: x\nkind: ClusterConfiguration\n');
});
