/**
 * The script and Ignition's boot script, run for real with sh under a temporary root: files in place with
 * their modes before kubeadm runs, the order boot -> pre -> kubeadm -> sentinel -> post, binaries fetched
 * and verified (a checksum mismatch stops the boot before kubeadm), and the run-once guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderIgnition, renderScript, BOOTSTRAP_SCRIPT_PATH } from '../../../../src/userdata/render/index.js';
import type { BootPlan } from '../../../../src/userdata/plan.js';
import { workerPlan } from './fixtures.js';
import { decodeResource, missing, tempDir, underRoot, type IgnitionDoc } from './support.js';

/** The worker fixture under `root`, with commands that log their order and a kubeadm that reads its config. */
function runnablePlan(root: string, binaries: BootPlan['binaries'] = []): BootPlan {
  const plan = underRoot({ ...workerPlan(), users: [], ntp: undefined, binaries }, root);
  const log = join(root, 'log');
  const config = plan.files.find((f) => f.path.endsWith('kubeadm-join-config.yaml'))!.path;
  return {
    ...plan,
    files: plan.files.map((f) => ({ ...f, owner: undefined })),
    bootCommands: [`echo boot >> ${log}`],
    preKubeadmCommands: [`echo pre >> ${log}`],
    kubeadmCommand: `cp ${config} ${join(root, 'seen-by-kubeadm')} && echo kubeadm >> ${log}`,
    postKubeadmCommands: [`echo post >> ${log}`],
  };
}

function sh(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function checkWritten(plan: BootPlan): void {
  for (const f of plan.files) {
    if (f.append) continue;
    assert.deepEqual(new Uint8Array(readFileSync(f.path)), f.content, f.path);
    assert.equal(statSync(f.path).mode & 0o7777, f.secret ? 0o600 : f.mode, f.path);
  }
  const config = plan.files.find((f) => f.path.endsWith('kubeadm-join-config.yaml'))!;
  assert.deepEqual(new Uint8Array(readFileSync(dirname(dirname(dirname(config.path))) + '/seen-by-kubeadm')), config.content);
  assert.equal(readFileSync(plan.sentinel, 'utf8'), 'success\n');
}

test('script: files, then boot, pre, kubeadm (seeing its config), sentinel, post', (t) => {
  const why = missing('sh', 'base64', 'mktemp');
  if (why !== undefined) return t.skip(why);
  const root = tempDir();
  const plan = runnablePlan(root);
  const r = sh(renderScript(plan));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(root, 'log'), 'utf8'), 'boot\npre\nkubeadm\npost\n');
  checkWritten(plan);
  assert.equal(readFileSync(join(root, 'etc/hosts'), 'utf8'), '10.0.0.10 api.cluster.example.internal\n');
});

test('script: the run-once guard makes a second boot do nothing', (t) => {
  const why = missing('sh');
  if (why !== undefined) return t.skip(why);
  const root = tempDir();
  const plan = runnablePlan(root);
  mkdirSync(dirname(plan.runOnceGuard), { recursive: true });
  writeFileSync(plan.runOnceGuard, 'kubeconfig');
  const r = sh(renderScript(plan));
  assert.equal(r.status, 0);
  assert.match(r.stdout, /already joined/);
  assert.equal(existsSync(join(root, 'log')), false);
  assert.equal(existsSync(plan.sentinel), false);
});

function binaryFixture(root: string, good: boolean): BootPlan['binaries'] {
  const src = join(root, 'mirror', 'kubeadm');
  mkdirSync(dirname(src), { recursive: true });
  writeFileSync(src, '#!/bin/sh\necho fake kubeadm\n');
  const sum = createHash('sha256').update(good ? readFileSync(src) : 'something else').digest('hex');
  return [{ name: 'kubeadm', url: `file://${src}`, sha256: sum, path: '/opt/bin/kubeadm' }];
}

test('script: binaries are downloaded, verified and installed 0755 before kubeadm', (t) => {
  const why = missing('sh', 'curl', 'sha256sum');
  if (why !== undefined) return t.skip(why);
  const root = tempDir();
  const plan = runnablePlan(root, binaryFixture(root, true));
  const r = sh(renderScript(plan));
  assert.equal(r.status, 0, r.stderr);
  const installed = join(root, 'opt/bin/kubeadm');
  assert.equal(readFileSync(installed, 'utf8'), '#!/bin/sh\necho fake kubeadm\n');
  assert.equal(statSync(installed).mode & 0o777, 0o755);
});

test('script: a checksum mismatch fails loudly and kubeadm never runs', (t) => {
  const why = missing('sh', 'curl', 'sha256sum');
  if (why !== undefined) return t.skip(why);
  const root = tempDir();
  const plan = runnablePlan(root, binaryFixture(root, false));
  const r = sh(renderScript(plan));
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /does not have sha256 [0-9a-f]{64}; refusing to install/);
  assert.equal(existsSync(join(root, 'opt/bin/kubeadm')), false);
  assert.equal(readFileSync(join(root, 'log'), 'utf8'), 'boot\n');
  assert.equal(existsSync(plan.sentinel), false);
});

test('ignition: files staged for tmpfs paths are copied into place by the boot script, then removed', (t) => {
  const why = missing('sh', 'mktemp');
  if (why !== undefined) return t.skip(why);
  const root = tempDir();
  const plan = runnablePlan(root);
  const stagingDir = join(root, 'staged');
  const doc = JSON.parse(renderIgnition(plan, { stagingDir })) as IgnitionDoc;
  // What Ignition does in the initramfs: write each file with its mode (the paths under /tmp are all staged).
  let script = '';
  for (const f of doc.storage.files) {
    if (f.path === BOOTSTRAP_SCRIPT_PATH) {
      script = Buffer.from(decodeResource(f.contents!)).toString('utf8');
      continue;
    }
    assert.ok(f.path.startsWith(stagingDir), `${f.path} should be staged`);
    mkdirSync(dirname(f.path), { recursive: true });
    writeFileSync(f.path, decodeResource(f.contents!));
    chmodSync(f.path, f.mode!);
  }
  const unit = doc.systemd.units.find((u) => u.name === 'joinery-bootstrap.service')!;
  assert.match(unit.contents!, new RegExp(`^ConditionPathExists=!${plan.runOnceGuard}$`, 'm'));
  const r = sh(script);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readFileSync(join(root, 'log'), 'utf8'), 'boot\npre\nkubeadm\npost\n');
  checkWritten(plan);
  assert.equal(existsSync(stagingDir), false, 'staged copies (holding the token) are removed after kubeadm succeeded');
});
