/**
 * `joinery testbed up|down|env`: a second testbed beside the shared one comes up on loopback only, is
 * kubeadm-shaped, and `down` leaves no process and no file behind.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { joinery, requireTestbed } from '../support/testbed.js';
import { runKubeBinaries } from '../support/kube-bin.js';
import { processAlive as alive, readTestbedState, type TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
before(() => {
  tb = requireTestbed();
});

describe('testbed CLI', () => {
  it("the run's binaries (KUBE_BIN) are the testbed's version, and say so themselves (as kubeadm reads its own version)", () => {
    const bins = runKubeBinaries();
    assert.ok(!('missing' in bins), 'missing' in bins ? bins.missing : '');
    assert.equal(bins.dir, tb.binDir);
    assert.equal(bins.version, tb.version);
    for (const cmd of ['kubelet', 'kube-apiserver', 'kube-controller-manager']) {
      const out: string = spawnSync(join(bins.dir, cmd), ['--version'], { encoding: 'utf8' }).stdout;
      assert.equal(out.trim(), `Kubernetes ${tb.version}`, cmd);
    }
  });

  it('env prints KUBECONFIG and KUBE_BIN; up refuses a directory whose testbed is running', () => {
    const env = joinery(tb, ['testbed', 'env', '--dir', tb.dir]);
    assert.equal(env.status, 0, env.stderr);
    assert.equal(env.stdout, `KUBECONFIG=${tb.kubeconfig}\nKUBE_BIN=${tb.binDir}\n`);
    const again = joinery(tb, ['testbed', 'up', '--dir', tb.dir]);
    assert.equal(again.status, 64);
    assert.match(again.stderr, /TESTBED_ALREADY_UP/);
    const none = joinery(tb, ['testbed', 'env', '--dir', join(tmpdir(), 'no-testbed-here')]);
    assert.equal(none.status, 64);
    assert.match(none.stderr, /joinery testbed up/);
  });

  it('a second testbed comes up on 127.0.0.1 only, kubeadm-shaped, and down removes every process and file', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'joinery-tb2-')), 'tb');
    try {
      const up = joinery(tb, ['testbed', 'up', '--dir', dir, '--kubernetes-version', tb.version]);
      assert.equal(up.status, 0, up.stderr);
      assert.equal(up.stdout, `${join(dir, 'admin.conf')}\n`);
      assert.ok(up.stderr.includes(`testbed ${tb.version} up in`), up.stderr);
      const state = readTestbedState(dir);
      assert.ok(state);
      const pids = Object.values(state.pids);
      assert.deepEqual(Object.keys(state.pids).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager']);
      assert.ok(pids.every(alive));
      const ss = spawnSync('ss', ['-Htlnp'], { encoding: 'utf8' });
      if (ss.status === 0) {
        const mine = ss.stdout.split('\n').filter((l) => pids.some((p) => l.includes(`pid=${p},`)));
        assert.ok(mine.length >= 4, ss.stdout);
        for (const l of mine) assert.match(l, /\s127\.0\.0\.1:\d+\s/, `listens on loopback only: ${l}`);
      }
      // kubeadm-shaped: the real kubeadm lists the token its bootstrap-token phase made.
      const list = spawnSync(state.kubeadm, ['token', 'list', '--kubeconfig', state.kubeconfig], { encoding: 'utf8' });
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /system:bootstrappers:kubeadm:default-node-token/);
      const down = joinery(tb, ['testbed', 'down', '--dir', dir]);
      assert.equal(down.status, 0, down.stderr);
      assert.ok(!existsSync(dir));
      assert.ok(pids.every((p) => !alive(p)), 'every process is gone');
      const twice = joinery(tb, ['testbed', 'down', '--dir', dir]);
      assert.equal(twice.status, 0);
      assert.match(twice.stderr, /nothing to do/);
    } finally {
      joinery(tb, ['testbed', 'down', '--dir', dir]);
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
