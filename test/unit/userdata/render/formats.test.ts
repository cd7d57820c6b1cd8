/**
 * Format-specific behaviour: Cluster API's cloud-config layout (kubeadm && sentinel, placeholder, defer for
 * files owned by plan users, permissions as quoted octal), the Ignition unit and users, verbosity, and the
 * refusals (JoineryError naming the field) for what a format cannot carry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { renderCloudConfig, renderIgnition, renderScript } from '../../../../src/userdata/render/index.js';
import { isJoineryError } from '../../../../src/errors/index.js';
import type { BootPlan } from '../../../../src/userdata/plan.js';
import { controlPlanePlan, initPlan, initWithEtcdDiskPlan, workerPlan } from './fixtures.js';
import type { IgnitionDoc } from './support.js';

interface CloudConfig {
  write_files: { path: string; permissions: string; owner?: string; append?: boolean; defer?: boolean; content: string }[];
  runcmd: string[];
  bootcmd?: string[];
  users?: Record<string, unknown>[];
  ntp?: { enabled?: boolean; servers: string[] };
}

test('cloud-config: Cluster API layout', () => {
  const text = renderCloudConfig(workerPlan());
  assert.ok(text.startsWith('#cloud-config\n'));
  assert.match(text, /^    permissions: '0644'$/m, 'permissions are a quoted octal string');
  const doc = parseYaml(text) as CloudConfig;
  const kubeadm = doc.runcmd.find((c) => c.includes('kubeadm join'));
  assert.equal(
    kubeadm,
    '{ [ -e /etc/kubernetes/kubelet.conf ] || kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml; } && echo success > /run/cluster-api/bootstrap-success.complete',
  );
  const order = doc.runcmd.map((c) => (c.startsWith('joinery_install ') ? 'bin' : c === 'swapoff -a' ? 'pre' : c.includes('kubeadm join') ? 'kubeadm' : c.startsWith('echo "joined') ? 'post' : 'other'));
  assert.deepEqual(order.filter((o) => o !== 'other'), ['bin', 'bin', 'bin', 'pre', 'kubeadm', 'post']);
  assert.deepEqual(doc.bootcmd, ['mkdir -p /var/lib/kubelet']);
  assert.ok(doc.write_files.some((f) => f.path === '/run/cluster-api/placeholder'));
  const readme = doc.write_files.find((f) => f.path === '/opt/capi/README')!;
  assert.equal(readme.defer, true, 'owned by a user the users module creates later');
  assert.equal(doc.write_files.find((f) => f.path === '/etc/hosts')!.append, true);
  assert.equal(doc.write_files.find((f) => f.path === '/run/kubeadm/kubeadm-join-config.yaml')!.permissions, '0600');
  assert.deepEqual(doc.ntp, { enabled: true, servers: ['0.pool.ntp.org', 'time.example.com'] });
  assert.equal(doc.users![0]!['sudo'], 'ALL=(ALL) NOPASSWD:ALL');
});

test('cloud-config: jinja header first, as Cluster API writes it', () => {
  assert.ok(renderCloudConfig(initPlan(), { jinja: true }).startsWith('## template: jinja\n#cloud-config\n'));
});

test('cloud-config: kubeadm init line for the first control plane', () => {
  const doc = parseYaml(renderCloudConfig(initPlan())) as CloudConfig;
  assert.ok(doc.runcmd.includes('{ [ -e /etc/kubernetes/kubelet.conf ] || kubeadm init --config /run/kubeadm/kubeadm.yaml; } && echo success > /run/cluster-api/bootstrap-success.complete'));
});

test('verbosity becomes --v=N on the kubeadm line in every format', () => {
  const plan = controlPlanePlan();
  const line = 'kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml --v=5';
  assert.ok(renderCloudConfig(plan).includes(line));
  assert.match(renderScript(plan), new RegExp(`^${line}$`, 'm'));
  assert.ok(!renderScript({ ...plan, kubeadmCommand: 'kubeadm join --v=2' }).includes('--v=5'), 'an explicit --v is kept');
});

test('ignition: the oneshot unit, users and files', () => {
  const doc = JSON.parse(renderIgnition(workerPlan())) as IgnitionDoc;
  assert.equal(doc.ignition.version, '3.4.0');
  const unit = doc.systemd.units.find((u) => u.name === 'joinery-bootstrap.service')!;
  assert.equal(unit.enabled, true);
  const c = unit.contents!;
  for (const line of ['Type=oneshot', 'ConditionPathExists=!/etc/kubernetes/kubelet.conf', 'Requires=network-online.target', 'ExecStart=/bin/sh /etc/joinery/bootstrap.sh', 'WantedBy=multi-user.target']) {
    assert.ok(c.split('\n').includes(line), line);
  }
  assert.match(c, /^After=network-online.target/m);
  assert.deepEqual(doc.passwd!.users[0], {
    name: 'capi',
    sshAuthorizedKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB6v1fJ0nZ3oXYdGQ6Ir0q3gWsmv9H8m1F3Jm0c8c1Yk admin@example.com'],
    gecos: 'Cluster API admin',
    groups: ['adm', 'systemd-journal'],
    shell: '/bin/bash',
  });
  const paths = doc.storage.files.map((f) => f.path);
  assert.ok(paths.includes('/etc/joinery/staged/run/kubeadm/kubeadm-join-config.yaml'), '/run is a tmpfs after switch-root');
  assert.ok(paths.includes('/etc/sudoers.d/90-joinery-capi'));
  assert.ok(paths.includes('/etc/systemd/timesyncd.conf.d/joinery-ntp.conf'));
  assert.ok(paths.includes('/etc/chrony.conf'));
  const readme = doc.storage.files.find((f) => f.path === '/opt/capi/README')!;
  assert.deepEqual([readme.mode, readme.user, readme.group, readme.overwrite], [0o640, { name: 'capi' }, { name: 'capi' }, true]);
  const hosts = doc.storage.files.find((f) => f.path === '/etc/hosts')!;
  assert.equal(hosts.contents, undefined);
  assert.equal(hosts.append!.length, 1);
});

test('ignition: a short text file is a percent-encoded data URL, a large compressible one is gzipped', () => {
  const doc = JSON.parse(renderIgnition(initPlan())) as IgnitionDoc;
  const hosts = doc.storage.files.find((f) => f.path === '/etc/hosts')!;
  assert.equal(hosts.append![0]!.source, 'data:,10.0.0.10%20api.cluster.example.internal%0A');
  const script = doc.storage.files.find((f) => f.path === '/etc/joinery/bootstrap.sh')!;
  assert.equal(script.contents!.compression, 'gzip');
  assert.match(script.contents!.source, /^data:;base64,H4sIAAAAAAACA/, "gzip header: MTIME 0, XFL 2, OS 3");
});

function refuses(fn: () => unknown, code: string, path: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isJoineryError(e), String(e));
    assert.equal(e.code, code);
    assert.equal(e.path, path);
    assert.match(e.fix, /cloud-config|ignition|sha256/);
    return true;
  });
}

test('script: refuses diskSetup and mounts, naming the field', () => {
  const disk = initWithEtcdDiskPlan();
  refuses(() => renderScript(disk), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'diskSetup');
  refuses(() => renderScript({ ...disk, diskSetup: undefined }), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'mounts');
  assert.doesNotThrow(() => renderScript({ ...disk, diskSetup: { partitions: [], filesystems: [] }, mounts: [] }));
});

test('ignition: refuses what Ignition cannot do, naming the field', () => {
  const disk = initWithEtcdDiskPlan();
  const ds = disk.diskSetup!;
  refuses(() => renderIgnition({ ...disk, diskSetup: { ...ds, partitions: [{ device: '/dev/sdb', layout: true, tableType: 'mbr' }] } }), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'diskSetup.partitions[0].tableType');
  refuses(() => renderIgnition({ ...disk, diskSetup: { filesystems: [{ device: '/dev/sdb', filesystem: 'ext4', label: 'x', partition: 'auto' }] } }), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'diskSetup.filesystems[0].partition');
  refuses(() => renderIgnition({ ...disk, diskSetup: { filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4', label: 'x', replaceFS: 'ntfs' }] } }), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'diskSetup.filesystems[0].replaceFS');
  refuses(() => renderIgnition({ ...disk, mounts: [['/dev/sdc', 'swap']] }), 'USERDATA_UNSUPPORTED_FOR_FORMAT', 'mounts[0][1]');
});

test('ignition: numbered partitions become device paths', () => {
  const plan = { ...initWithEtcdDiskPlan(), diskSetup: { filesystems: [{ device: '/dev/nvme1n1', filesystem: 'xfs', label: 'etcd', partition: '1' }, { device: '/dev/sdc', filesystem: 'ext4', label: 'data', partition: '2' }] } };
  const doc = JSON.parse(renderIgnition(plan)) as { storage: { filesystems: { device: string }[] } };
  assert.deepEqual(doc.storage.filesystems.map((f) => f.device), ['/dev/nvme1n1p1', '/dev/sdc2']);
});

test('every format refuses a malformed sha256', () => {
  const plan: BootPlan = { ...workerPlan(), binaries: [{ name: 'kubelet', url: 'https://x/kubelet', sha256: 'ABC', path: '/usr/local/bin/kubelet' }] };
  for (const render of [renderCloudConfig, renderIgnition, renderScript] as ((p: BootPlan) => string)[]) {
    refuses(() => render(plan), 'USERDATA_BINARY_CHECKSUM_INVALID', 'binaries[0].sha256');
  }
});
