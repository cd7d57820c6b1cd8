/**
 * The pure parts of testbed nodes: the cloud-init subset interpreter (run here with sh on files under a temp
 * directory), the kind of bootstrap data, and the supervisor's and systemctl's scripts (shellcheck clean).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cloudConfigScript, supervisorScript, systemctlScript, userdataKind } from '../../../src/testbed/index.js';
import { JoineryError } from '../../../src/errors/index.js';
import { missing, shellcheck, tempDir } from '../userdata/render/support.js';

const owner = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;

function runSh(script: string): { status: number | null; out: string } {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('cloudConfigScript: the cloud-init subset joinery emits', () => {
  it('writes files with every encoding, mode and append, deferred ones after the others; bootcmd first, runcmd last, argv lists quoted', () => {
    const dir = tempDir('joinery-cc-');
    try {
      const gz = gzipSync(Buffer.from('zipped\n')).toString('base64');
      const doc = `#cloud-config
bootcmd:
  - echo boot > ${dir}/order
write_files:
-   path: ${dir}/late
    owner: ${owner}
    permissions: '0600'
    defer: true
    content: late
-   path: ${dir}/a/b/plain
    owner: ${owner}
    permissions: '0640'
    content: |
      it's "plain" $HOME
-   path: ${dir}/b64
    owner: ${owner}
    encoding: b64
    content: ${Buffer.from('bytes\u00e9').toString('base64')}
-   path: ${dir}/gz
    owner: ${owner}
    encoding: gz+b64
    content: ${gz}
-   path: ${dir}/order
    owner: ${owner}
    append: true
    content: "files\\n"
runcmd:
  - echo run >> ${dir}/order
  - [sh, -c, 'printf "%s" "$1" > ${dir}/argv', sh, "a b; 'c'"]
`;
      const r = runSh(cloudConfigScript(doc));
      assert.equal(r.status, 0, r.out);
      assert.equal(readFileSync(join(dir, 'a/b/plain'), 'utf8'), `it's "plain" $HOME\n`);
      assert.equal((statSync(join(dir, 'a/b/plain')).mode & 0o777).toString(8), '640');
      assert.equal((statSync(join(dir, 'late')).mode & 0o777).toString(8), '600');
      assert.equal((statSync(join(dir, 'b64')).mode & 0o777).toString(8), '644', "cloud-init's default mode");
      assert.equal(readFileSync(join(dir, 'b64'), 'utf8'), 'bytes\u00e9');
      assert.equal(readFileSync(join(dir, 'gz'), 'utf8'), 'zipped\n');
      assert.equal(readFileSync(join(dir, 'order'), 'utf8'), 'boot\nfiles\nrun\n');
      assert.equal(readFileSync(join(dir, 'argv'), 'utf8'), "a b; 'c'");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runcmd runs every line as cloud-init does; the status is the last line', () => {
    const dir = tempDir('joinery-cc-');
    try {
      const r = runSh(cloudConfigScript(`#cloud-config\nruncmd:\n  - 'false'\n  - touch ${dir}/after\n  - exit 3\n`));
      assert.equal(r.status, 3);
      assert.ok(existsSync(join(dir, 'after')), 'a failing line does not stop the next');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it does not interpret, by name, instead of passing without running it', () => {
    const refused = (doc: string, re: RegExp): void => {
      assert.throws(() => cloudConfigScript(doc), (e: unknown) => e instanceof JoineryError && e.code === 'TESTBED_CLOUD_CONFIG_UNSUPPORTED' && re.test(e.message));
    };
    refused('#cloud-config\nusers: [{name: a}]\nntp: {enabled: true}\n', /users, ntp/);
    refused('## template: jinja\n#cloud-config\nruncmd: [x]\n', /not #cloud-config/);
    refused("#cloud-config\nwrite_files:\n- {path: /x, permissions: 'rw'}\n", /write_files\[0\]\.permissions/);
    refused('#cloud-config\nwrite_files:\n- {content: x}\n', /write_files\[0\]\.path/);
    refused('#cloud-config\nwrite_files:\n- {path: /x, encoding: rot13, content: x}\n', /write_files\[0\]\.encoding/);
  });
});

describe('userdataKind', () => {
  it('tells a cloud-config from a script and refuses Ignition and empty data with the fix', () => {
    assert.equal(userdataKind('#cloud-config\n'), 'cloud-config');
    assert.equal(userdataKind('#!/bin/sh\nexit 0\n'), 'script');
    for (const bad of ['{"ignition":{"version":"3.4.0"}}', '']) {
      assert.throws(() => userdataKind(bad), (e: unknown) => e instanceof JoineryError && e.code === 'TESTBED_USERDATA_FORMAT' && /--format script/.test(e.fix ?? ''));
    }
  });
});

describe("the node's supervisor and systemctl", () => {
  it('are shellcheck clean, with odd paths quoted', (t) => {
    const why = missing('shellcheck');
    if (why !== undefined) return t.skip(why);
    const sup = supervisorScript({ nodeDir: "/tmp/it's a node", kubelet: '/opt/k 8s/kubelet', kubeletFlags: ['--port=1', '--enforce-node-allocatable='], privateDirs: ['/tmp/tb/pki'], hostname: 'n-1' });
    for (const script of [sup, systemctlScript("/tmp/it's a node")]) {
      const r = shellcheck(script);
      assert.equal(r.status, 0, r.out);
    }
    assert.match(sup, /'\/tmp\/it'\\''s a node'/);
    assert.match(sup, /'--enforce-node-allocatable='/);
  });

  it("systemctl answers for kubelet from the supervisor's status and accepts other units without acting", () => {
    const dir = tempDir('joinery-systemctl-');
    try {
      const bin = join(dir, 'systemctl');
      const run = (args: string): { status: number | null; out: string } => runSh(`sh '${bin}' ${args}`);
      spawnSync('sh', ['-c', `cat > '${bin}'`], { input: systemctlScript(dir) });
      spawnSync('sh', ['-c', `echo 'active 2' > '${dir}/status'`]);
      assert.deepEqual(run('is-active kubelet'), { status: 0, out: 'active\n' });
      assert.equal(run('is-enabled kubelet.service').out, 'enabled\n');
      assert.match(run('status kubelet').out, /Active: active \(running\)/);
      spawnSync('sh', ['-c', `echo 'inactive 2' > '${dir}/status'`]);
      assert.deepEqual(run('is-active kubelet'), { status: 3, out: 'inactive\n' });
      assert.equal(run('daemon-reload').status, 0);
      assert.equal(run('enable --now containerd').status, 0);
      assert.equal(run('status containerd').status, 4);
      assert.equal(run('frobnicate kubelet').status, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
