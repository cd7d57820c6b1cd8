/**
 * `joinery userdata` against the real control plane: kubeadm's upload-certs both ways, Secret references,
 * offline input. The bootstrap data joining for real (worker script and cloud-config, file and token discovery,
 * the run-once guard, control-plane joins) is in node.test.ts, on testbed nodes with the real kubelet.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { adminClient, joinery, kubeadm, requireTestbed, tokenSecretCount } from '../support/testbed.js';
import { KubeClient } from '../../src/cluster/index.js';
import { decodeKubeadmCertsSecret } from '../../src/pki/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
let client: KubeClient;
let work: string;

const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

before(() => {
  tb = requireTestbed();
  client = adminClient(tb);
  work = mkdtempSync(join(tmpdir(), 'joinery-ud-'));
});
after(() => {
  client?.close();
  rmSync(work, { recursive: true, force: true });
});

/** `cloud-init schema -c` of the real cloud-init accepts the document (every cloud-config a test renders). */
function assertValidCloudConfig(text: string): void {
  const file = join(work, `cc-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const r = spawnSync('cloud-init', ['schema', '-c', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Valid cloud-config/);
}

describe('userdata on a real cluster', () => {
  it("joinery reads the kubeadm-certs Secret written by the real kubeadm's upload-certs", async () => {
    const key = 'c0ffee'.repeat(10) + 'abcd';
    const cfg = join(work, 'upload.yaml');
    writeFileSync(cfg, readFileSync(join(tb.dir, 'kubeadm.yaml'), 'utf8').replace('kind: InitConfiguration\n', `kind: InitConfiguration\ncertificateKey: ${key}\n`), { mode: 0o600 });
    const r = kubeadm(tb, ['init', 'phase', 'upload-certs', '--upload-certs', '--config', cfg, '--kubeconfig', tb.kubeconfig]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const secret = await client.request<Record<string, unknown>>('/api/v1/namespaces/kube-system/secrets/kubeadm-certs', { action: { verb: 'get', resource: 'secrets', namespace: 'kube-system' } });
    const certs = decodeKubeadmCertsSecret(secret as never, key) as unknown as {
      ca: { cert: string; key: string };
      etcdCa: { cert: string; key: string };
      frontProxyCa: { cert: string; key: string };
      serviceAccount: { publicKey: string; privateKey: string };
    };
    const pki = (f: string) => readFileSync(join(tb.dir, 'pki', f), 'utf8');
    assert.equal(certs.ca.cert, pki('ca.crt'));
    assert.equal(certs.ca.key, pki('ca.key'));
    assert.equal(certs.etcdCa.cert, pki('etcd/ca.crt'));
    assert.equal(certs.frontProxyCa.key, pki('front-proxy-ca.key'));
    assert.equal(certs.serviceAccount.privateKey, pki('sa.key'));
    assert.equal(certs.serviceAccount.publicKey, pki('sa.pub'));
  });

  it("the real kubeadm downloads joinery's upload (control-plane userdata, upload-certs being the default) and gets the same CA files", (t) => {
    if (!canUnshare) return t.skip('needs root and unshare -m');
    const out = join(work, 'cp.yaml');
    const r = joinery(tb, ['userdata', '--role', 'control-plane', '--node-name', 'cp-upload', '--pki-dir', join(tb.dir, 'pki'), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const data = readFileSync(out, 'utf8');
    assertValidCloudConfig(data);
    assert.ok(!data.includes('PRIVATE KEY'), 'no private key rides in the bootstrap data');
    const key = /certificateKey: ([0-9a-f]{64})/.exec(data)?.[1];
    assert.ok(key, 'the join config carries the certificate key');
    const keyFile = join(work, 'cp.key');
    writeFileSync(keyFile, key, { mode: 0o600 });
    const dir = join(work, 'cp-join');
    assert.equal(joinery(tb, ['join-config', '--node-name', 'cp-upload', '--out', dir, '--discovery-file-path', join(dir, 'discovery.kubeconfig'), '--control-plane', '--certificate-key-file', keyFile]).status, 0);
    // download-certs writes into the cluster's certificatesDir (the testbed's own pki): give it a tmpfs there.
    const pki = join(tb.dir, 'pki');
    const sums = spawnSync(
      'unshare',
      ['-m', 'sh', '-c', `set -e; mount -t tmpfs tmpfs "${pki}"; "${tb.kubeadm}" join phase control-plane-prepare download-certs --config "${dir}/join-configuration.yaml" >&2; cd "${pki}"; sha256sum ca.crt ca.key etcd/ca.crt etcd/ca.key front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub`],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(sums.status, 0, sums.stderr);
    const originals = spawnSync('sh', ['-c', `cd "${pki}"; sha256sum ca.crt ca.key etcd/ca.crt etcd/ca.key front-proxy-ca.crt front-proxy-ca.key sa.key sa.pub`], { encoding: 'utf8' });
    assert.equal(sums.stdout, originals.stdout);
  });

  it('offline: the token comes from stdin, never argv; missing flags are named; bad input mints nothing', async () => {
    const pin = joinery(tb, ['ca-hash']).stdout.trim();
    const token = joinery(tb, ['token', 'create', '--ttl', '5m']).stdout.trim();
    const r = joinery(tb, ['userdata', '--role', 'worker', '--node-name', 'offline-1', '--format', 'cloud-config', '--discovery', 'token', '--token-file', '-', '--ca-cert-hash', pin, '--endpoint', tb.server.replace('https://', ''), '--kubernetes-version', tb.version], {
      input: `${token}\n`,
      env: { KUBECONFIG: '/nonexistent' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^#cloud-config/);
    assertValidCloudConfig(r.stdout);
    assert.ok(r.stdout.includes(token), 'the token is inside the data (in a 0600 file of the machine)');
    assert.ok(!r.stderr.includes(token.slice(7)));
    const missing = joinery(tb, ['userdata', '--role', 'worker', '--node-name', 'offline-2', '--token-file', '-', '--discovery', 'token'], { input: `${token}\n` });
    assert.equal(missing.status, 64);
    assert.match(missing.stderr, /--endpoint, --kubernetes-version and --ca-cert-hash/);
    const count = () => tokenSecretCount(client);
    const n = await count();
    for (const args of [
      ['--role', 'control-plane', '--node-name', 'cp-x'],
      ['--role', 'control-plane', '--node-name', 'cp-x', '--upload-certs', '--pki-dir', join(work, 'empty')],
      ['--role', 'worker', '--node-name', 'Bad_Name'],
      ['--role', 'worker', '--node-name', 'w', '--format', 'yaml'],
      ['--role', 'worker', '--node-name', 'w', '--spec', join(work, 'nonexistent.yaml')],
    ]) {
      const bad = joinery(tb, ['userdata', ...args]);
      assert.notEqual(bad.status, 0, args.join(' '));
      assert.match(bad.stderr, /fix:/, args.join(' '));
    }
    assert.equal(await count(), n, 'no token was minted for bad input');
  });

  it("reads the spec's Secret references and Cluster API's CA Secrets from the cluster; the spec's format is used", async () => {
    const ns = 'default';
    const put = (name: string, data: Record<string, string>) =>
      client.request(`/api/v1/namespaces/${ns}/secrets`, {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) },
        action: { verb: 'create', resource: 'secrets', namespace: ns },
      });
    const pki = (f: string) => readFileSync(join(tb.dir, 'pki', f), 'utf8');
    const suffix = Math.random().toString(36).slice(2, 8);
    const cluster = `capi-${suffix}`;
    await put(`${cluster}-ca`, { 'tls.crt': pki('ca.crt'), 'tls.key': pki('ca.key') });
    await put(`${cluster}-etcd`, { 'tls.crt': pki('etcd/ca.crt'), 'tls.key': pki('etcd/ca.key') });
    await put(`${cluster}-proxy`, { 'tls.crt': pki('front-proxy-ca.crt'), 'tls.key': pki('front-proxy-ca.key') });
    await put(`${cluster}-sa`, { 'tls.crt': pki('sa.pub'), 'tls.key': pki('sa.key') });
    await put(`motd-${suffix}`, { text: 'hello from a Secret\n' });
    const spec = join(work, 'spec.yaml');
    writeFileSync(spec, `format: script\nfiles:\n- path: /etc/motd\n  contentFrom:\n    secret: {name: motd-${suffix}, key: text}\n  permissions: '0644'\n`);
    const init = joinery(tb, ['userdata', '--role', 'init', '--node-name', 'cp-1', '--cas-from-secrets', `${ns}/${cluster}`, '--spec', spec, '--endpoint', '10.0.0.1:6443', '--kubernetes-version', 'v1.20.2']);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /^#!\/bin\/sh/, "the spec's format: script");
    assert.ok(init.stdout.includes('hello from a Secret'), 'contentFrom read from the cluster');
    // The CA files ride in the init data as the Secrets hold them (the script writes them base64 or verbatim).
    const ca = pki('ca.crt');
    assert.ok(init.stdout.includes(ca.trim().split('\n')[1] as string) || init.stdout.includes(Buffer.from(ca).toString('base64').slice(0, 40)));
    const missing = joinery(tb, ['userdata', '--role', 'init', '--node-name', 'cp-1', '--cas-from-secrets', `${ns}/nonexistent`, '--endpoint', '10.0.0.1:6443', '--kubernetes-version', 'v1.20.2']);
    assert.equal(missing.status, 69);
    assert.match(missing.stderr, /nonexistent-ca/);
    writeFileSync(spec, `files:\n- path: /etc/x\n  contentFrom:\n    secret: {name: absent-${suffix}, key: k}\n`);
    const before = await tokenSecretCount(client);
    const absent = joinery(tb, ['userdata', '--role', 'worker', '--node-name', 'w-absent', '--spec', spec]);
    assert.notEqual(absent.status, 0);
    assert.match(absent.stderr, /files\[0\]\.contentFrom/);
    const after = await tokenSecretCount(client);
    assert.equal(after, before, 'a missing Secret reference mints no token');
  });
});
