/**
 * `joinery doctor` against the shared testbed: all checks pass on a kubeadm-shaped cluster, and breaking
 * one piece (then restoring it in a finally, since other test files share the testbed) fails the checks
 * that depend on it, with the fix. Probe tokens never outlive a run.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { listTokenSecrets, type KubeClient } from '../../src/cluster/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminClient, joinery, kubernetesMinor, sharedTestbed } from '../support/testbed.js';
import { testbedDown, testbedUp } from '../../src/testbed/index.js';

const tb = sharedTestbed();
const noTestbed = 'missing' in tb ? tb.missing : undefined;

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

interface RbacObject {
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

describe('joinery doctor', { skip: noTestbed }, () => {
  let admin: KubeClient;
  before(() => {
    if (!('missing' in tb)) admin = adminClient(tb);
  });
  after(() => admin?.close());

  function doctorJson(): { status: number | null; checks: Check[]; ok: boolean; stderr: string } {
    if ('missing' in tb) throw new Error(tb.missing);
    const r = joinery(tb, ['doctor', '-o', 'json']);
    const parsed = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
    return { status: r.status, checks: parsed.checks, ok: parsed.ok, stderr: r.stderr };
  }

  async function probeTokensLeft(): Promise<number> {
    return (await listTokenSecrets(admin, 'joinery.dev/doctor-probe=true')).length;
  }

  /** Deletes an RBAC object, runs `body`, and re-creates the object as it was, whatever happens. */
  async function without(path: string, resource: string, body: () => Promise<void>): Promise<void> {
    const ns = /\/namespaces\/([^/]+)\//.exec(path)?.[1];
    const action = { resource, ...(ns === undefined ? {} : { namespace: ns }) };
    const saved = (await admin.request<RbacObject>(path, { action: { verb: 'get', ...action } })) as RbacObject;
    await admin.request(path, { method: 'DELETE', action: { verb: 'delete', ...action } });
    try {
      await body();
    } finally {
      const { name, namespace, labels, annotations } = saved.metadata;
      const restored = { ...saved, metadata: { name, ...(namespace === undefined ? {} : { namespace }), ...(labels === undefined ? {} : { labels }), ...(annotations === undefined ? {} : { annotations }) } };
      await admin.request(path.replace(/\/[^/]+$/, ''), { method: 'POST', body: restored, action: { verb: 'create', ...action } });
    }
  }

  test("joinery setup's bindings: missing ones fail the check with the fix; after `joinery setup` it passes", async () => {
    if ('missing' in tb) return;
    const setupCheck = () => doctorJson().checks.find((c) => c.name === "joinery setup: joinery's node group may join");
    const path = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/joinery:kubelet-bootstrap';
    await admin.request(path, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'clusterrolebindings.rbac.authorization.k8s.io' } });
    const missing = setupCheck();
    assert.equal(missing?.ok, false);
    assert.match(missing?.detail ?? '', /ClusterRoleBinding joinery:kubelet-bootstrap/);
    assert.match(missing?.fix ?? '', /joinery setup/);
    assert.equal(joinery(tb, ['setup']).status, 0);
    assert.equal(setupCheck()?.ok, true);
  });

  test('every check passes on the testbed (text and json), and no probe token is left', async () => {
    if ('missing' in tb) return;
    const text = joinery(tb, ['doctor']);
    assert.equal(text.status, 0, text.stdout + text.stderr);
    assert.doesNotMatch(text.stdout, /✗/);
    assert.match(text.stdout, /^✓ bootstrapsigner signs new tokens: /m);
    assert.match(text.stdout, /^✓ tokencleaner deletes expired tokens: an expired probe token was deleted after \d+ ms/m);
    assert.match(text.stderr, /waiting up to 10s for the bootstrapsigner/);
    const r = doctorJson();
    assert.equal(r.status, 0);
    assert.equal(r.ok, true);
    const names = r.checks.map((c) => c.name);
    for (const expected of [
      'cluster-info readable anonymously',
      'rbac: ClusterRoleBinding kubeadm:kubelet-bootstrap',
      'rbac: ClusterRoleBinding kubeadm:node-autoapprove-bootstrap',
      'rbac: ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation',
      'rbac: ClusterRoleBinding kubeadm:get-nodes',
      'rbac: RoleBinding kube-public/kubeadm:bootstrap-signer-clusterinfo',
      'rbac: RoleBinding kube-system/kubeadm:nodes-kubeadm-config',
      // Versioned kubelet-config names end with 1.24 (UnversionedKubeletConfigMap).
      `rbac: RoleBinding kube-system/kubeadm:kubelet-config${kubernetesMinor(tb) < 24 ? `-1.${kubernetesMinor(tb)}` : ''}`,
      'bootstrapsigner signs new tokens',
      'kubeadm-config readable with a bootstrap token',
      'bootstrap tokens may create CSRs',
      'tokencleaner deletes expired tokens',
    ]) {
      assert.ok(names.includes(expected), `missing check ${expected}`);
    }
    assert.ok(r.checks.every((c) => c.ok));
    assert.equal(await probeTokensLeft(), 0);
  });

  test('without the RoleBinding kubeadm:bootstrap-signer-clusterinfo, anonymous cluster-info fails with the fix', async () => {
    await without('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-public/rolebindings/kubeadm:bootstrap-signer-clusterinfo', 'rolebindings.rbac.authorization.k8s.io', async () => {
      const r = doctorJson();
      assert.equal(r.status, 1);
      assert.equal(r.ok, false);
      const anon = r.checks.find((c) => c.name === 'cluster-info readable anonymously');
      assert.equal(anon?.ok, false);
      assert.match(anon?.detail ?? '', /forbidden \(403\)/);
      assert.match(anon?.fix ?? '', /kubeadm init phase bootstrap-token/);
      const binding = r.checks.find((c) => c.name === 'rbac: RoleBinding kube-public/kubeadm:bootstrap-signer-clusterinfo');
      assert.equal(binding?.ok, false);
      assert.match(binding?.detail ?? '', /does not exist/);
      // what does not depend on it still passes
      assert.equal(r.checks.find((c) => c.name === 'bootstrapsigner signs new tokens')?.ok, true);
      assert.equal(await probeTokensLeft(), 0);
      const text = joinery(tb as never, ['doctor']);
      assert.equal(text.status, 1);
      assert.match(text.stdout, /^✗ cluster-info readable anonymously: .*\n {4}fix: /m);
    });
    assert.equal(doctorJson().status, 0, 'restored');
  });

  test('without the ClusterRoleBinding kubeadm:kubelet-bootstrap, bootstrap tokens may not create CSRs', async () => {
    await without('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kubeadm:kubelet-bootstrap', 'clusterrolebindings.rbac.authorization.k8s.io', async () => {
      const r = doctorJson();
      assert.equal(r.status, 1);
      const csr = r.checks.find((c) => c.name === 'bootstrap tokens may create CSRs');
      assert.equal(csr?.ok, false);
      assert.match(csr?.fix ?? '', /bootstrap-token/);
      assert.equal(r.checks.find((c) => c.name === 'rbac: ClusterRoleBinding kubeadm:kubelet-bootstrap')?.ok, false);
    });
  });

  test('without the RoleBinding kubeadm:nodes-kubeadm-config, a bootstrap token cannot read kubeadm-config', async () => {
    await without('/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/kubeadm:nodes-kubeadm-config', 'rolebindings.rbac.authorization.k8s.io', async () => {
      const r = doctorJson();
      assert.equal(r.status, 1);
      const read = r.checks.find((c) => c.name === 'kubeadm-config readable with a bootstrap token');
      assert.equal(read?.ok, false);
      assert.match(read?.detail ?? '', /403/);
      assert.match(read?.fix ?? '', /upload-config kubeadm/);
    });
  });

  test('on a cluster whose controller manager runs without the bootstrap controllers, the signer and cleaner checks fail with the fix', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'joinery-doctor-')), 'tb');
    try {
      const other = await testbedUp({ dir, controllers: '*' });
      const r = joinery(other, ['doctor', '-o', 'json']);
      assert.equal(r.status, 1, r.stderr);
      const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
      const signer = checks.find((c) => c.name === 'bootstrapsigner signs new tokens');
      const cleaner = checks.find((c) => c.name === 'tokencleaner deletes expired tokens');
      assert.equal(signer?.ok, false);
      assert.match(signer?.fix ?? '', /--controllers=\*,bootstrapsigner,tokencleaner/);
      assert.equal(cleaner?.ok, false);
      assert.match(cleaner?.fix ?? '', /tokencleaner/);
      // Everything kubeadm's phases made is still fine there.
      assert.equal(checks.find((c) => c.name === 'cluster-info readable anonymously')?.ok, true);
      const otherAdmin = adminClient(other);
      try {
        assert.equal((await listTokenSecrets(otherAdmin, 'joinery.dev/doctor-probe=true')).length, 0, 'the probe tokens were deleted');
      } finally {
        otherAdmin.close();
      }
    } finally {
      testbedDown(dir);
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
