import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configApiVersion, parseKubernetesVersion } from '../../../src/kubeadm/index.js';
import { JoineryError } from '../../../src/errors/index.js';

const code = (c: string) => (err: unknown) => err instanceof JoineryError && err.code === c;

test('configApiVersion picks v1beta2 below 1.22, v1beta3 for 1.22–1.30, v1beta4 from 1.31', () => {
  assert.equal(configApiVersion('v1.15.0'), 'v1beta2');
  assert.equal(configApiVersion('v1.20.2'), 'v1beta2');
  assert.equal(configApiVersion('1.21.14'), 'v1beta2');
  assert.equal(configApiVersion('v1.22.0'), 'v1beta3');
  assert.equal(configApiVersion('v1.30.4'), 'v1beta3');
  assert.equal(configApiVersion('1.31.0'), 'v1beta4');
  assert.equal(configApiVersion('v1.32.0-rc.1'), 'v1beta4');
  assert.equal(configApiVersion('v1.33.1+k3s1'), 'v1beta4');
});

test('configApiVersion rejects garbage with KUBERNETES_VERSION_INVALID naming the expected form', () => {
  for (const bad of ['', 'latest', 'v1.31', '1.31.x', 'v1.031.0', 'vv1.2.3', '1.2.3.4', ' ']) {
    assert.throws(() => configApiVersion(bad), (err: unknown) => {
      assert.ok(err instanceof JoineryError);
      assert.equal(err.code, 'KUBERNETES_VERSION_INVALID');
      assert.match(err.fix, /v1\.31\.0/);
      return true;
    });
  }
});

test('Kubernetes before 1.15 is KUBERNETES_VERSION_UNSUPPORTED (v1beta2 starts at 1.15)', () => {
  assert.throws(() => configApiVersion('v1.14.10'), code('KUBERNETES_VERSION_UNSUPPORTED'));
  assert.throws(() => configApiVersion('v0.99.0'), code('KUBERNETES_VERSION_UNSUPPORTED'));
});

test('a forced version is used when that release reads it, refused otherwise', () => {
  assert.equal(configApiVersion('v1.31.0', 'v1beta3'), 'v1beta3');
  assert.equal(configApiVersion('v1.23.0', 'kubeadm.k8s.io/v1beta2'), 'v1beta2');
  assert.throws(() => configApiVersion('v1.20.0', 'v1beta3'), code('KUBEADM_API_UNSUPPORTED'));
  assert.throws(() => configApiVersion('v1.30.0', 'v1beta4'), code('KUBEADM_API_UNSUPPORTED'));
  assert.throws(() => configApiVersion('v1.26.0', 'v1beta2'), code('KUBEADM_API_UNSUPPORTED'));
  assert.throws(() => configApiVersion('v1.26.0', 'v1beta1'), code('KUBEADM_API_UNSUPPORTED'));
});

test('parseKubernetesVersion splits the parts', () => {
  assert.deepEqual(parseKubernetesVersion('v1.32.0-rc.1'), { major: 1, minor: 32, patch: 0, preRelease: 'rc.1' });
  assert.deepEqual(parseKubernetesVersion('1.30.4'), { major: 1, minor: 30, patch: 4 });
});
