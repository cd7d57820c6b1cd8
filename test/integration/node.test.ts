/**
 * Testbed nodes (src/testbed/node): joinery's bootstrap data, unmodified, run in a node of the testbed with the
 * real kubeadm join, the real kubelet of the testbed's version and Debian's containerd; the Node registered by
 * the kubelet itself. Nodes run in their own mount namespaces, several at once, and are removed after the file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTestbedNodes, processAlive, registeredTestbedProcesses, type ScriptResult, type TestbedNode } from '../../src/testbed/index.js';
import { joinery, kubernetesMinor, requireTestbed } from '../support/testbed.js';
import { NodePool, nodesSkip } from '../support/nodes.js';

const tb = requireTestbed();
const pool = new NodePool(tb);
const work = mkdtempSync(join(tmpdir(), 'joinery-node-test-'));
let scriptNode: TestbedNode | undefined;
let scriptText = '';

after(() => {
  pool.removeAll();
  rmSync(work, { recursive: true, force: true });
});

function mode(r: ScriptResult, path: string): string | undefined {
  return r.files.find((f) => f.path === path)?.mode;
}

function assertJoined(r: ScriptResult, what: string): void {
  assert.equal(r.status, 0, `${what}:\n${r.output}`);
  assert.match(r.output, /This node has joined the cluster/, what);
  assert.equal(mode(r, '/run/kubeadm/kubeadm-join-config.yaml'), '600', `${what}: ${JSON.stringify(r.files)}`);
  assert.equal(mode(r, '/etc/kubernetes/kubelet.conf'), '600', what);
  assert.ok(mode(r, '/run/cluster-api/bootstrap-success.complete'), `${what}: the Cluster API sentinel`);
  assert.ok(
    r.files.some((f) => /^\/var\/lib\/kubelet\/pki\/kubelet-client-.*\.pem$/.test(f.path) && f.mode === '600'),
    `${what}: the kubelet's client certificate from its TLS bootstrap`,
  );
}

describe('testbed nodes: real joins with joinery bootstrap data', { skip: nodesSkip }, () => {
  it('the worker script joins for real, with file discovery and with token discovery, on two nodes at once', async (t) => {
    const scripts = {
      file: pool.userdata(['--role', 'worker', '--node-name', 'script-file', '--format', 'script', '--discovery', 'file', '--ttl', '15m']),
      token: pool.userdata(['--role', 'worker', '--node-name', 'script-token', '--format', 'script', '--discovery', 'token', '--ttl', '15m']),
    };
    const [a, b] = await Promise.all([pool.add('script-file'), pool.add('script-token')]);
    assert.ok(a && b);
    // Added at once, they share the testbed's one containerd (a second one would escape `testbed down`).
    const containerds = spawnSync('pgrep', ['-f', `containerd --config ${join(tb.dir, 'containerd', 'config.toml')}`], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.deepEqual(containerds, [String(registeredTestbedProcesses(tb.dir)['containerd'])]);
    assert.notEqual(a.info.kubeletPort, b.info.kubeletPort);
    const t0 = Date.now();
    const [ra, rb] = await Promise.all([a.runScript(scripts.file), b.runScript(scripts.token)]);
    assertJoined(ra, 'file discovery');
    assertJoined(rb, 'token discovery');
    assert.equal(mode(ra, '/etc/kubernetes/discovery.kubeconfig'), '600');
    assert.equal(mode(rb, '/etc/kubernetes/discovery.kubeconfig'), undefined, 'token discovery writes no discovery file');
    for (const [node, name] of [
      [a, 'script-file'],
      [b, 'script-token'],
    ] as const) {
      const registered = (await node.waitNodeRegistered(name, 60_000)) as { status: { nodeInfo: { kubeletVersion: string } } } | undefined;
      assert.ok(registered, `Node ${name} registered by its kubelet:\n${node.kubeletLog().slice(-3000)}`);
      assert.equal(registered.status.nodeInfo.kubeletVersion, tb.version);
      assert.equal(node.kubeletStatus().state, 'active');
    }
    t.diagnostic(`two nodes at once: bootstrap data handed over to both Nodes registered in ${Date.now() - t0} ms`);
    // Nothing of the nodes leaked onto the host: their tmpfs directories live in their namespaces only.
    assert.equal(existsSync('/run/cluster-api/bootstrap-success.complete'), false);
    assert.equal(existsSync('/var/lib/kubelet/pki'), false);
    scriptNode = a;
    scriptText = scripts.file;
  });

  it('the supervisor plays systemd for kubelet.service, and the script run again changes nothing (run-once guard)', async (t) => {
    if (scriptNode === undefined) return t.skip('needs the node of the first test');
    const node = scriptNode;
    const before = node.kubeletStatus().starts;
    await node.systemctl('stop');
    assert.equal(node.kubeletStatus().state, 'inactive');
    const status = await node.runScript('systemctl is-active kubelet; systemctl status kubelet; echo "rc=$?"\n');
    assert.match(status.output, /^inactive$/m);
    assert.match(status.output, /Loaded: loaded/);
    assert.match(status.output, /rc=3/);
    await node.systemctl('restart');
    assert.equal(node.kubeletStatus().state, 'active');
    assert.equal(node.kubeletStatus().starts, before + 1);
    const again = await node.runScript(scriptText);
    assert.equal(again.status, 0, again.output);
    assert.match(again.output, /already joined; nothing to do/);
    assert.doesNotMatch(again.output, /\[preflight\]/, 'kubeadm did not run again');
  });

  it('a worker cloud-config (write_files + runcmd as joinery emits them) joins for real, through `joinery testbed node add --userdata`', async () => {
    const doc = pool.userdata(['--role', 'worker', '--node-name', 'cloud-config', '--format', 'cloud-config', '--ttl', '15m']);
    const file = join(work, 'cc.yaml');
    writeFileSync(file, doc, { mode: 0o600 });
    pool.track('cloud-config');
    const r = joinery(tb, ['testbed', 'node', 'add', 'cloud-config', '--dir', tb.dir, '--userdata', file, '-o', 'json']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as ScriptResult & { registered: boolean; nodeName: string };
    assert.equal(report.registered, true);
    assert.equal(report.nodeName, 'cloud-config');
    assert.match(report.output, /This node has joined the cluster/);
    assert.equal(report.files.find((f) => f.path === '/run/cluster-api/placeholder')?.mode, '640');
    assert.equal(report.files.find((f) => f.path === '/run/kubeadm/kubeadm-join-config.yaml')?.mode, '600');
    const ls = joinery(tb, ['testbed', 'node', 'ls', '--dir', tb.dir, '-o', 'json']);
    assert.equal(ls.status, 0, ls.stderr);
    const listed = (JSON.parse(ls.stdout) as { nodes: { name: string; running: boolean; kubelet: string }[] }).nodes.find((n) => n.name === 'cloud-config');
    assert.deepEqual(listed && { running: listed.running, kubelet: listed.kubelet }, { running: true, kubelet: 'active' });
    const rm = joinery(tb, ['testbed', 'node', 'rm', 'cloud-config', '--dir', tb.dir]);
    assert.equal(rm.status, 0, rm.stderr);
  });

  it('bad bootstrap data starts no node; the error names the fix', () => {
    const file = join(work, 'ignition.json');
    writeFileSync(file, '{"ignition":{"version":"3.3.0"}}\n');
    const r = joinery(tb, ['testbed', 'node', 'add', 'never', '--dir', tb.dir, '--userdata', file]);
    assert.equal(r.status, 64, r.stderr);
    assert.match(r.stderr, /--format script or --format cloud-config/);
    assert.equal(
      listTestbedNodes(tb).some((n) => n.name === 'never'),
      false,
    );
  });

  it('a control-plane join from joinery passes the real kubeadm up to the phase this machine cannot run', async (t) => {
    const script = pool.userdata(['--role', 'control-plane', '--node-name', 'control-plane-2', '--format', 'script', '--pki-dir', join(tb.dir, 'pki'), '--ttl', '15m']);
    const node = await pool.add('control-plane-2');
    const stop = new AbortController();
    let etcdCheck: number | undefined;
    const r = await node.runScript(script, {
      timeoutMs: 180_000,
      signal: stop.signal,
      // kubeadm 1.20 waits on the etcd member without a deadline of its own: 20 s of that proves the stop.
      onLine: (line) => {
        if (etcdCheck === undefined && line.startsWith('[check-etcd]')) {
          etcdCheck = Date.now();
          setTimeout(() => stop.abort(), 20_000);
        }
      },
    });
    // Everything before the stop ran: discovery, the cluster's kubeadm-config read with the token, the control-plane checks.
    assert.match(r.output, /Reading configuration from (the cluster|the "kubeadm-config" ConfigMap)/, r.output);
    assert.match(r.output, /Running pre-flight checks before initializing the new control plane instance/, r.output);
    assert.notEqual(r.status, 0, 'the control plane cannot come up on this machine');
    assert.equal(mode(r, '/run/cluster-api/bootstrap-success.complete'), undefined, 'no success sentinel after a failed join');
    if (!existsSync(join(node.info.dir, 'bin', 'crictl')) && kubernetesMinor(tb) < 31) {
      // kubeadm before 1.31 pulls the control-plane images through crictl; without it (no Go to build it) that is fatal.
      t.diagnostic('no crictl on this machine: the join stops at the image pull');
      assert.match(r.output, /crictl is required (for|by the) container runtime/, r.output);
      return;
    }
    // The image pulls fail (no registry; ignored), then kubeadm downloads joinery's upload of the CAs, writes the
    // certificates, kubeconfigs and static Pod manifests, and stops at check-etcd: it looks for the stacked etcd
    // members (etcd static Pods in kube-system, or the advertise address 192.0.2.200 on 1.20), which the testbed,
    // running etcd as a plain process on loopback, does not have.
    assert.match(r.output, /\[download-certs\] Downloading the certificates in Secret "kubeadm-certs"/, r.output);
    for (const f of ['/etc/kubernetes/admin.conf', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/manifests/kube-controller-manager.yaml', '/etc/kubernetes/manifests/kube-scheduler.yaml']) {
      assert.equal(mode(r, f), '600', `${f}: ${JSON.stringify(r.files)}`);
    }
    assert.ok(etcdCheck !== undefined, `kubeadm reached check-etcd:\n${r.output}`);
    assert.doesNotMatch(r.output, /This node has joined the cluster/);
    t.diagnostic(`stopped at check-etcd: ${/error execution phase check-etcd: [^\n]*/.exec(r.output)?.[0] ?? 'still waiting for the etcd member after 20 s'}`);
  });

  it('node rm stops the kubelet and the namespace and leaves nothing behind', async () => {
    const node = await pool.add('short-lived');
    const pid = node.info.pid;
    assert.ok(processAlive(pid));
    assert.ok(registeredTestbedProcesses(tb.dir)['node-short-lived']);
    node.remove();
    assert.equal(processAlive(pid), false);
    assert.equal(existsSync(node.info.dir), false);
    assert.equal(registeredTestbedProcesses(tb.dir)['node-short-lived'], undefined);
  });
});
