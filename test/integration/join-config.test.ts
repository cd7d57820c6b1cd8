/**
 * `joinery join-config` against the real control plane, judged by the real `kubeadm join phase
 * preflight` (it performs discovery and reads kubeadm-config with the bootstrap token), and the node half
 * of TLS bootstrap with a minted token: CSR approved and issued, the certificate creates its own Node.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { adminClient, joinery, kubeadm, requireTestbed, tokenSecretCount } from '../support/testbed.js';
import { KubeClient, clusterInfoConfigMap, getTokenSecret } from '../../src/cluster/index.js';
import { configApiVersion, parseKubeadmDocuments } from '../../src/kubeadm/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
let client: KubeClient;
let work: string;

before(() => {
  tb = requireTestbed();
  client = adminClient(tb);
  work = mkdtempSync(join(tmpdir(), 'joinery-jc-'));
});
after(() => {
  client?.close();
  rmSync(work, { recursive: true, force: true });
});

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function preflight(config: string): { status: number | null; out: string } {
  const r = kubeadm(tb, ['join', 'phase', 'preflight', '--config', config, '--ignore-preflight-errors=all', '--v=1']);
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The token written into a join config (read back from the file, never from joinery's output). */
function tokenIn(configPath: string): string {
  const text = readFileSync(configPath, 'utf8');
  const m = /([a-z0-9]{6}\.[a-z0-9]{16})/.exec(text);
  assert.ok(m, 'the join config holds a token');
  return m[1] as string;
}

describe('join-config on a real cluster', () => {
  it('file discovery (the default): 0600 files, token never printed, authentication-only token, accepted by kubeadm preflight', async () => {
    const out = join(work, 'file');
    const before = (await clusterInfoConfigMap(client)).data ?? {};
    const r = joinery(tb, ['join-config', '--node-name', 'worker-file', '--out', out, '--discovery-file-path', join(out, 'discovery.kubeconfig')]);
    assert.equal(r.status, 0, r.stderr);
    const config = join(out, 'join-configuration.yaml');
    assert.equal(mode(config), 0o600);
    assert.equal(mode(join(out, 'discovery.kubeconfig')), 0o600);
    const token = tokenIn(config);
    assert.ok(!r.stdout.includes(token.slice(7)) && !r.stderr.includes(token.slice(7)), 'the token secret is not printed');
    const doc = parseKubeadmDocuments(readFileSync(config, 'utf8'));
    assert.equal(doc.apiVersion, configApiVersion(tb.version));
    assert.equal(doc.join?.nodeRegistration?.name, 'worker-file');
    const secret = await getTokenSecret(client, token.slice(0, 6));
    const data = Object.fromEntries(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    assert.equal(data['usage-bootstrap-authentication'], 'true');
    assert.equal(data['usage-bootstrap-signing'], undefined);
    assert.equal(secret?.metadata.annotations?.['joinery.dev/node-name'], 'worker-file');
    const p = preflight(config);
    assert.equal(p.status, 0, p.out);
    // No signing usage: cluster-info gets no signature for this token (the bootstrapsigner has had the preflight's time to act).
    const after = (await clusterInfoConfigMap(client)).data ?? {};
    assert.equal(after[`jws-kubeconfig-${token.slice(0, 6)}`], undefined);
    assert.equal(Object.keys(after).length, Object.keys(before).length);
  });

  it('token discovery: the config pins the cluster CA and passes kubeadm preflight', () => {
    const out = join(work, 'token');
    const r = joinery(tb, ['join-config', '--node-name', 'worker-token', '--out', out, '--discovery', 'token', '-o', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { caCertHashes: string[]; files: string[]; endpoint: string; tokenId: string };
    assert.deepEqual(summary.files, [join(out, 'join-configuration.yaml')]);
    assert.equal(summary.endpoint, tb.server.replace('https://', ''));
    const text = readFileSync(join(out, 'join-configuration.yaml'), 'utf8');
    for (const pin of summary.caCertHashes) assert.ok(text.includes(pin));
    assert.ok(!r.stdout.includes(tokenIn(join(out, 'join-configuration.yaml')).slice(7)));
    // The bootstrapsigner signs cluster-info for the new token within seconds; preflight retries until it has.
    const p = preflight(join(out, 'join-configuration.yaml'));
    assert.equal(p.status, 0, p.out);
  });

  it('control-plane join config (certificate key from a file) passes kubeadm preflight', () => {
    const out = join(work, 'cp');
    const keyFile = join(work, 'cert.key');
    writeFileSync(keyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const r = joinery(tb, [
      'join-config',
      '--node-name',
      'cp-2',
      '--out',
      out,
      '--discovery-file-path',
      join(out, 'discovery.kubeconfig'),
      '--control-plane',
      '--certificate-key-file',
      keyFile,
      '--advertise-address',
      '192.0.2.201',
      '--bind-port',
      '6443',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(join(out, 'join-configuration.yaml'), 'utf8');
    assert.match(text, /certificateKey: abab/);
    assert.match(text, /advertiseAddress: 192\.0\.2\.201/);
    assert.ok(!r.stdout.includes('abab') && !r.stderr.includes('abab'));
    const p = preflight(join(out, 'join-configuration.yaml'));
    assert.equal(p.status, 0, p.out);
  });

  it('refuses bad input with the flag named, and creates no token', async () => {
    const count = () => tokenSecretCount(client);
    const n = await count();
    const cases: [string[], RegExp][] = [
      [['--out', join(work, 'x')], /--node-name/],
      [['--node-name', 'Bad_Name', '--out', join(work, 'x')], /--node-name/],
      [['--node-name', 'ok', '--out', join(work, 'x'), '--discovery', 'magic'], /--discovery/],
      [['--node-name', 'ok', '--out', join(work, 'x'), '--certificate-key', 'ab'.repeat(32)], /--control-plane/],
      [['--node-name', 'ok', '--out', join(work, 'x'), '--control-plane', '--certificate-key-file', '/nonexistent'], /certificate-key-file/],
      [['--node-name', 'ok', '--out', join(work, 'x'), '--control-plane', '--bind-port', '70000'], /--bind-port/],
    ];
    for (const [args, re] of cases) {
      const r = joinery(tb, ['join-config', ...args]);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.equal(await count(), n);
  });

  it('TLS bootstrap with a minted token: the kubelet CSR is approved and issued, and the certificate can create its own Node', async () => {
    const out = join(work, 'tls');
    const nodeName = 'tls-node-1';
    assert.equal(joinery(tb, ['join-config', '--node-name', nodeName, '--out', out, '--discovery-file-path', join(out, 'discovery.kubeconfig')]).status, 0);
    const token = tokenIn(join(out, 'join-configuration.yaml'));
    const key = join(work, 'kubelet.key');
    const csrFile = join(work, 'kubelet.csr');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csrFile, '-subj', `/O=system:nodes/CN=system:node:${nodeName}`], { stdio: 'ignore' });
    const ca = readFileSync(join(tb.dir, 'pki', 'ca.crt'), 'utf8');
    const asBootstrap = new KubeClient({ server: tb.server, ca, bearerToken: token, source: 'bootstrap token', user: `system:bootstrap:${token.slice(0, 6)}` });
    const csrName = `node-csr-${process.pid}`;
    try {
      await asBootstrap.request('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
        method: 'POST',
        body: {
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name: csrName },
          spec: {
            request: readFileSync(csrFile).toString('base64'),
            signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
            usages: ['digital signature', 'key encipherment', 'client auth'],
          },
        },
        action: { verb: 'create', resource: 'certificatesigningrequests' },
      });
      let cert: string | undefined;
      let conditions: unknown;
      for (let i = 0; i < 100 && cert === undefined; i++) {
        const csr = await asBootstrap.request<{ status?: { certificate?: string; conditions?: { type: string }[] } }>(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${csrName}`, {
          action: { verb: 'get', resource: 'certificatesigningrequests', name: csrName },
        });
        conditions = csr?.status?.conditions;
        if (csr?.status?.certificate !== undefined) cert = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
        else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(cert, `the CSR was issued (conditions: ${JSON.stringify(conditions)})`);
      assert.deepEqual((conditions as { type: string }[]).map((c) => c.type), ['Approved']);
      const asNode = new KubeClient({ server: tb.server, ca, clientCert: cert, clientKey: readFileSync(key, 'utf8'), source: 'node certificate' });
      try {
        await asNode.request('/api/v1/nodes', { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } }, action: { verb: 'create', resource: 'nodes' } });
        // The Node authorizer lets it create only its own Node.
        await assert.rejects(
          asNode.request('/api/v1/nodes', { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'someone-else' } }, action: { verb: 'create', resource: 'nodes' } }),
          (e: { code?: string }) => e.code === 'FORBIDDEN',
        );
      } finally {
        asNode.close();
      }
    } finally {
      asBootstrap.close();
      await client.request(`/api/v1/nodes/${nodeName}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'nodes', name: nodeName } });
      await client.request(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${csrName}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'certificatesigningrequests' } });
    }
  });
});
