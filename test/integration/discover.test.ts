/**
 * `joinery discover` end to end: against the shared testbed (token and file discovery, and each failure
 * a real cluster can produce), and against small fake API servers made here with openssl certificates
 * for what a real cluster cannot easily do (a certificate not valid yet or expired, content changed
 * after signing, cluster-info changing between the two reads). Every run's output is kept and checked
 * at the end for the token secrets used.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, connect, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, kubeconfigCredentials, createTokenSecret, deleteTokenSecret, getConfigMap } from '../../src/cluster/index.js';
import { clusterJoinFacts, type ClusterJoinFacts } from '../../src/cluster/join.js';
import { clusterInfoKubeconfig, detachedJws } from '../../src/discovery/index.js';
import { caPin } from '../../src/pki/index.js';
import { bootstrapToken, tokenSecret, tokenString, type BootstrapToken } from '../../src/token/index.js';
import { JoineryError } from '../../src/errors/index.js';
import { adminClient, JOINERY_BIN, sharedTestbed, type Run } from '../support/testbed.js';
import { opensslServerPki, type TestPki } from '../support/openssl.js';

const tb = sharedTestbed();
const noTestbed = 'missing' in tb ? tb.missing : undefined;
const work = mkdtempSync(join(tmpdir(), 'joinery-discover-'));
/** Every stdout and stderr of this file's runs, and every token secret they were given. */
const outputs: string[] = [];
const secrets = new Set<string>();

/** Runs bin/joinery without blocking the event loop (the fake servers and the proxy live in this process). */
function joinery(args: string[], input?: string): Promise<Run> {
  return new Promise((resolvePromise) => {
    const env = { ...process.env };
    if (!('missing' in tb)) env['KUBECONFIG'] = tb.kubeconfig;
    const child = spawn(process.execPath, [JOINERY_BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => {
      outputs.push(stdout, stderr);
      resolvePromise({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

function failsWith(r: Run, code: string, status: number): void {
  assert.equal(r.status, status, `exit status (stderr: ${r.stderr})`);
  assert.match(r.stderr, new RegExp(`code: ${code}\\n`), r.stderr);
}

/** GET /api with the written bootstrap kubeconfig: 200 or 403 means the token authenticated. */
async function authenticates(kubeconfig: string): Promise<boolean> {
  const client = new KubeClient(kubeconfigCredentials(kubeconfig), { attempts: 2, baseDelayMs: 100, maxDelayMs: 200 });
  try {
    await client.request('/api', { action: { verb: 'get', resource: 'nonResourceURL /api' } });
    return true;
  } catch (err) {
    if (err instanceof JoineryError && err.code === 'FORBIDDEN') return true;
    if (err instanceof JoineryError && err.code === 'UNAUTHORIZED') return false;
    throw err;
  } finally {
    client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((res, rej) => {
    const s = createNetServer();
    s.once('error', rej);
    s.listen(0, host, () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

const CLUSTER_INFO_PATH = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

/** A fake API server: cluster-info (per request number), /healthz and /discovery.kubeconfig, with an optional fixed Date header. */
async function fakeApiServer(pki: TestPki, handler: { clusterInfo?: (n: number, port: number) => Record<string, string>; date?: Date; file?: string }): Promise<{ port: number; server: HttpsServer }> {
  let n = 0;
  let port = 0;
  const server = createHttpsServer({ key: pki.keyPem, cert: pki.certPem }, (req, res) => {
    if (handler.date !== undefined) {
      res.sendDate = false;
      res.setHeader('date', handler.date.toUTCString());
    }
    if (req.url === CLUSTER_INFO_PATH && handler.clusterInfo !== undefined) {
      n += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cluster-info', namespace: 'kube-public' }, data: handler.clusterInfo(n, port) }));
    } else if (req.url === '/healthz') {
      res.end('ok');
    } else if (req.url === '/discovery.kubeconfig' && handler.file !== undefined) {
      res.end(handler.file);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  port = typeof a === 'object' && a !== null ? a.port : 0;
  return { port, server };
}

function closeServer(s: { close: (cb: () => void) => void; closeAllConnections?: () => void }): Promise<void> {
  s.closeAllConnections?.();
  return new Promise((r) => s.close(() => r()));
}

/** cluster-info data signed for `token` with the fake CA, served at 127.0.0.1:port. */
function signedClusterInfo(pki: TestPki, port: number, token: BootstrapToken, extra = ''): Record<string, string> {
  const kubeconfig = clusterInfoKubeconfig({ server: `https://127.0.0.1:${port}${extra}`, caData: pki.caPem });
  return { kubeconfig, [`jws-kubeconfig-${token.token.id}`]: detachedJws(kubeconfig, token.token.id, token.token.secret) };
}

function newToken(): BootstrapToken {
  const t = bootstrapToken({ ttl: '15m', description: 'joinery discover test' });
  secrets.add(t.token.secret);
  return t;
}

describe('joinery discover against the testbed', { skip: noTestbed }, () => {
  let admin: KubeClient;
  let facts: ClusterJoinFacts;
  const minted: string[] = [];

  /** Creates a token with the signing usage and waits until the bootstrapsigner has signed it. */
  async function signedToken(): Promise<BootstrapToken> {
    const t = newToken();
    await createTokenSecret(admin, tokenSecret(t, new Date()));
    minted.push(t.token.id);
    for (let i = 0; i < 100; i++) {
      const cm = await getConfigMap(admin, 'kube-public', 'cluster-info');
      if (cm?.data?.[`jws-kubeconfig-${t.token.id}`] !== undefined) return t;
      await sleep(100);
    }
    throw new Error('the bootstrapsigner did not sign the test token');
  }

  before(async () => {
    if ('missing' in tb) return;
    admin = adminClient(tb);
    facts = await clusterJoinFacts(admin);
  });
  after(async () => {
    if (admin === undefined) return;
    for (const id of minted) await deleteTokenSecret(admin, id);
    admin.close();
  });

  test('token discovery: checks JWS and pin, writes a 0600 kubeconfig that authenticates; a deleted token then does not', async () => {
    const t = await signedToken();
    const out = join(work, 'token', 'bootstrap-kubelet.conf');
    const r = await joinery(['discover', facts.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--out', out, '-o', 'json'], `${tokenString(t.token)}\n`);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(summary['discovery'], 'token');
    assert.equal(summary['caPin'], facts.caPins[0]);
    assert.equal(summary['tokenId'], t.token.id);
    assert.equal(summary['endpoint'], facts.endpoint);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const text = readFileSync(out, 'utf8');
    assert.match(text, /name: tls-bootstrap-token-user/);
    assert.match(text, new RegExp(`server: ${facts.server}`));
    assert.ok(await authenticates(out), 'the bootstrap kubeconfig authenticates');
    assert.match(r.stderr, /second|again, verifying TLS/);

    await deleteTokenSecret(admin, t.token.id);
    let stillValid = true;
    // kube-apiserver caches successful token authentications for 10 s (TokenSuccessCacheTTL).
    for (let i = 0; i < 150 && stillValid; i++) {
      stillValid = await authenticates(out);
      if (stillValid) await sleep(100);
    }
    assert.equal(stillValid, false, 'a deleted token no longer authenticates');
  });

  test('token discovery from the join configuration of `join-config --discovery token`', async () => {
    const dir = join(work, 'jc-token');
    const jc = await joinery(['join-config', '--node-name', 'discover-token', '--out', dir, '--discovery', 'token', '-o', 'json']);
    assert.equal(jc.status, 0, jc.stderr);
    minted.push((JSON.parse(jc.stdout) as { tokenId: string }).tokenId);
    const cfg = readFileSync(join(dir, 'join-configuration.yaml'), 'utf8');
    secrets.add(/token: "?[a-z0-9]{6}\.([a-z0-9]{16})/.exec(cfg)?.[1] as string);
    const out = join(dir, 'bootstrap-kubelet.conf');
    const r = await joinery(['discover', '--config', join(dir, 'join-configuration.yaml'), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /its CA matches the pin sha256:[0-9a-f]{64}/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.ok(await authenticates(out));
  });

  test('file discovery from the files of `join-config --discovery file`', async () => {
    const dir = join(work, 'jc-file');
    const jc = await joinery(['join-config', '--node-name', 'discover-file', '--out', dir, '--discovery-file-path', join(dir, 'discovery.kubeconfig'), '-o', 'json']);
    assert.equal(jc.status, 0, jc.stderr);
    minted.push((JSON.parse(jc.stdout) as { tokenId: string }).tokenId);
    const cfg = readFileSync(join(dir, 'join-configuration.yaml'), 'utf8');
    secrets.add(/tlsBootstrapToken: "?[a-z0-9]{6}\.([a-z0-9]{16})/.exec(cfg)?.[1] as string);
    const out = join(dir, 'bootstrap-kubelet.conf');
    const r = await joinery(['discover', '--config', join(dir, 'join-configuration.yaml'), '--out', out, '-o', 'yaml']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /discovery: file/);
    assert.match(r.stdout, /clusterInfoRefreshed: true/);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    assert.ok(await authenticates(out));
  });

  test('file discovery from an https:// URL, verified with --discovery-file-ca (and refused with the system roots)', async () => {
    const t = await signedToken();
    const pki = opensslServerPki();
    const file = clusterInfoKubeconfig({ server: facts.server, caData: facts.caPem });
    const { port, server } = await fakeApiServer(pki, { file });
    const caFile = join(work, 'https-ca.crt');
    writeFileSync(caFile, pki.caPem);
    try {
      const url = `https://127.0.0.1:${port}/discovery.kubeconfig`;
      const out = join(work, 'https', 'bootstrap-kubelet.conf');
      const ok = await joinery(['discover', '--discovery-file', url, '--discovery-file-ca', caFile, '--token-file', '-', '--out', out], tokenString(t.token));
      assert.equal(ok.status, 0, ok.stderr);
      assert.ok(await authenticates(out));
      const untrusted = await joinery(['discover', '--discovery-file', url, '--token-file', '-', '--out', out], tokenString(t.token));
      failsWith(untrusted, 'DISCOVERY_CERT_UNTRUSTED', 76);
    } finally {
      await closeServer(server);
    }
  });

  test('--token works for kubeadm compatibility but warns that argv is visible', async () => {
    const t = await signedToken();
    const r = await joinery(['discover', facts.endpoint, '--token', tokenString(t.token), '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--out', join(work, 'argv.conf')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /warning: --token puts the token on the command line/);
  });

  test('unknown token: TOKEN_UNKNOWN_OR_EXPIRED after the timeout, pointing at token list', async () => {
    const t = newToken();
    const r = await joinery(['discover', facts.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--timeout', '2s', '--out', join(work, 'x.conf')], tokenString(t.token));
    failsWith(r, 'TOKEN_UNKNOWN_OR_EXPIRED', 76);
    assert.match(r.stderr, new RegExp(`no JWS signature for token id "${t.token.id}" after waiting 2s: the token does not exist in this cluster or has expired`));
    assert.match(r.stderr, /joinery token list/);
    assert.match(r.stderr, /retrying in/);
  });

  test('expired token (its Secret written with a past expiration): TOKEN_UNKNOWN_OR_EXPIRED', async () => {
    const t = newToken();
    const secret = tokenSecret(t, new Date());
    secret.data['expiration'] = Buffer.from(new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z')).toString('base64');
    await createTokenSecret(admin, secret);
    minted.push(t.token.id);
    const r = await joinery(['discover', facts.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--timeout', '2s', '--out', join(work, 'x.conf')], tokenString(t.token));
    failsWith(r, 'TOKEN_UNKNOWN_OR_EXPIRED', 76);
  });

  test('CA pin mismatch: shows the pin found and the pins expected', async () => {
    const t = await signedToken();
    const other = caPin(opensslServerPki().caPem);
    const r = await joinery(['discover', facts.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', other, '--out', join(work, 'x.conf')], tokenString(t.token));
    failsWith(r, 'CA_PIN_MISMATCH', 76);
    assert.ok(r.stderr.includes(`found ${facts.caPins[0]}, expected ${other}`), r.stderr);
  });

  test('tampered cluster-info (the right token id with a wrong secret): CLUSTER_INFO_TAMPERED', async () => {
    const t = await signedToken();
    const wrong = 'w0ngs3cr3tw0ngs3';
    secrets.add(wrong);
    const r = await joinery(['discover', facts.endpoint, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--out', join(work, 'x.conf')], `${t.token.id}.${wrong}`);
    failsWith(r, 'CLUSTER_INFO_TAMPERED', 76);
    assert.match(r.stderr, /the token secret is wrong or the content was modified/);
  });

  test('unreachable endpoint (a closed port): DISCOVERY_ENDPOINT_UNREACHABLE naming host:port', async () => {
    const t = newToken();
    const port = await freePort();
    const r = await joinery(['discover', `127.0.0.1:${port}`, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--timeout', '1500ms', '--out', join(work, 'x.conf')], tokenString(t.token));
    failsWith(r, 'DISCOVERY_ENDPOINT_UNREACHABLE', 74);
    assert.match(r.stderr, new RegExp(`cannot reach the API server at 127\\.0\\.0\\.1:${port}: the connection was refused`));
  });

  test('certificate name mismatch (reached as 127.0.0.2 through a TCP proxy): names the SANs and suggests certSANs', async (ctx) => {
    // The testbed's API server listens on 127.0.0.1 only and its certificate names 127.0.0.1, localhost and the
    // in-cluster names. Any 127/8 address is loopback on Linux, so a proxy on 127.0.0.2 reaches the same server
    // under an address the certificate does not name.
    if ('missing' in tb) return;
    const apiserverPort = tb.ports.apiserver;
    let proxy: NetServer;
    const sockets = new Set<Socket>();
    try {
      proxy = createNetServer((c) => {
        const upstream = connect(apiserverPort, '127.0.0.1');
        for (const s of [c, upstream]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => {
            sockets.delete(s);
            c.destroy();
            upstream.destroy();
          });
        }
        c.pipe(upstream).pipe(c);
      });
      await new Promise<void>((res, rej) => {
        proxy.once('error', rej);
        proxy.listen(0, '127.0.0.2', () => res());
      });
    } catch (err) {
      ctx.skip(`cannot listen on 127.0.0.2: ${(err as Error).message}`);
      return;
    }
    try {
      const a = proxy.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      const t = await signedToken();
      const r = await joinery(['discover', `127.0.0.2:${port}`, '--token-file', '-', '--discovery-token-ca-cert-hash', facts.caPins[0] as string, '--out', join(work, 'x.conf')], tokenString(t.token));
      failsWith(r, 'DISCOVERY_CERT_NAME_MISMATCH', 76);
      assert.match(r.stderr, /does not name "127\.0\.0\.2": it is valid for .*IP Address:127\.0\.0\.1/);
      assert.match(r.stderr, /apiServer\.certSANs/);
    } finally {
      for (const s of sockets) s.destroy();
      await closeServer(proxy);
    }
  });
});

describe('joinery discover against fake API servers (openssl certificates)', () => {
  async function discoverFake(pki: TestPki, token: BootstrapToken, handler: Parameters<typeof fakeApiServer>[1], timeout = '3s'): Promise<Run> {
    const { port, server } = await fakeApiServer(pki, handler);
    try {
      return await joinery(['discover', `127.0.0.1:${port}`, '--token-file', '-', '--discovery-token-ca-cert-hash', caPin(pki.caPem), '--timeout', timeout, '--out', join(work, 'fake.conf')], tokenString(token.token));
    } finally {
      await closeServer(server);
    }
  }

  test('succeeds against a well-behaved fake (the harness itself works)', async () => {
    const pki = opensslServerPki();
    const t = newToken();
    const r = await discoverFake(pki, t, { clusterInfo: (_n, port) => signedClusterInfo(pki, port, t) });
    assert.equal(r.status, 0, r.stderr);
  });

  test('clock skew: a server certificate not valid yet by this clock, the server clock 73 years ahead', async () => {
    const pki = opensslServerPki({ start: '20990101000000Z', end: '21000101000000Z' });
    const t = newToken();
    const r = await discoverFake(pki, t, { clusterInfo: (_n, port) => signedClusterInfo(pki, port, t), date: new Date('2099-03-01T00:00:00Z') });
    failsWith(r, 'DISCOVERY_CLOCK_SKEW', 76);
    assert.match(r.stderr, /is not valid yet by this machine's clock \(valid from 2099-01-01T00:00:00\.000Z/);
    assert.match(r.stderr, /the server's clock \(Date header 2099-03-01T00:00:00\.000Z\) is \d+h\d+m\d+s ahead of this machine's/);
  });

  test('an expired server certificate with agreeing clocks is DISCOVERY_CERT_EXPIRED, not skew', async () => {
    const pki = opensslServerPki({ start: '20000101000000Z', end: '20010101000000Z' });
    const t = newToken();
    const r = await discoverFake(pki, t, { clusterInfo: (_n, port) => signedClusterInfo(pki, port, t) });
    failsWith(r, 'DISCOVERY_CERT_EXPIRED', 76);
  });

  test('content changed after signing: CLUSTER_INFO_TAMPERED', async () => {
    const pki = opensslServerPki();
    const t = newToken();
    const r = await discoverFake(pki, t, {
      clusterInfo: (_n, port) => {
        const data = signedClusterInfo(pki, port, t);
        return { ...data, kubeconfig: (data['kubeconfig'] as string).replace('server: https://127.0.0.1', 'server: https://127.0.0.9') };
      },
    });
    failsWith(r, 'CLUSTER_INFO_TAMPERED', 76);
  });

  test('cluster-info that differs on the verified second read: CLUSTER_INFO_CHANGED', async () => {
    const pki = opensslServerPki();
    const t = newToken();
    const r = await discoverFake(pki, t, { clusterInfo: (n, port) => signedClusterInfo(pki, port, t, n === 1 ? '' : '/') });
    failsWith(r, 'CLUSTER_INFO_CHANGED', 76);
  });
});

test('no token secret appears in any output of discover', () => {
  assert.ok(outputs.length > 0);
  assert.ok(secrets.size > 0);
  for (const s of secrets) {
    for (const o of outputs) assert.ok(!o.includes(s), `a token secret leaked into: ${o.slice(0, 300)}`);
  }
  rmSync(work, { recursive: true, force: true });
});
