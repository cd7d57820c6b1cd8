/**
 * `joinery testbed versions` without building anything: a version whose binaries are not in the cache is
 * buildable with Go and reported missing, with the reason, without it; and the join command line per version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goModuleVersions, testbedVersions } from '../../../src/testbed/index.js';
import { joinCommandLine } from '../../../src/cli/token.js';

function withEnv<T>(env: Record<string, string>, f: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test('the Go-built versions are the modules of testbed/k8s, oldest first, after the default', () => {
  const modules = goModuleVersions();
  assert.ok(modules.length >= 2, modules.join(' '));
  assert.deepEqual([...modules].sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1])), modules);
  const empty = mkdtempSync(join(tmpdir(), 'joinery-cache-'));
  try {
    const listed = withEnv({ JOINERY_CACHE: empty, JOINERY_ETCD: '' }, () => testbedVersions());
    assert.deepEqual(listed.map((v) => v.version), ['v1.20.2', ...modules]);
    for (const v of listed.slice(1)) {
      assert.equal(v.available, false);
      assert.match(v.detail, new RegExp(`no binaries in ${join(empty, 'kubernetes', v.version)}`));
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('without Go a missing version is not buildable, and says so', () => {
  const empty = mkdtempSync(join(tmpdir(), 'joinery-cache-'));
  try {
    const listed = withEnv({ JOINERY_CACHE: empty, JOINERY_ETCD: '', JOINERY_GO: '/nonexistent/go' }, () => testbedVersions());
    for (const v of listed.slice(1)) {
      assert.equal(v.buildable, false);
      assert.match(v.detail, /not buildable here: Go is not installed/);
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("joinCommandLine: kubeadm's template spacing per release (lines printed by the real kubeadm 1.20.2, 1.30.4, 1.36.3)", () => {
  const pin = `sha256:${'0'.repeat(64)}`;
  assert.equal(joinCommandLine('127.0.0.1:6443', 'abcdef.0123456789abcdef', [pin], undefined, 'v1.20.2'), `kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef     --discovery-token-ca-cert-hash ${pin} \n`);
  for (const v of ['v1.30.4', 'v1.36.3']) {
    assert.equal(joinCommandLine('127.0.0.1:6443', 'abcdef.0123456789abcdef', [pin], undefined, v), `kubeadm join 127.0.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${pin} \n`);
  }
  assert.equal(
    joinCommandLine('h:1', 'abcdef.0123456789abcdef', [pin], 'ab', 'v1.36.3'),
    `kubeadm join h:1 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash ${pin} --control-plane --certificate-key ab\n`,
  );
});
