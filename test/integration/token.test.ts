/**
 * `joinery token create|list|delete` and `ca-hash` against the real control plane, judged by the real
 * kubeadm of the testbed: tokens made by either tool list identically in both.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { adminClient, joinery, kubeadm, requireTestbed } from '../support/testbed.js';
import { KubeClient, getTokenSecret } from '../../src/cluster/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

let tb: TestbedState;
let client: KubeClient;

before(() => {
  tb = requireTestbed();
  client = adminClient(tb);
});
after(() => client?.close());

/** Both tables, taken back to back; retried when a TTL ticked between the two. */
function bothTables(): { ours: string; theirs: string } {
  for (let i = 0; ; i++) {
    const ours = joinery(tb, ['token', 'list']);
    const theirs = kubeadm(tb, ['token', 'list']);
    assert.equal(ours.status, 0, ours.stderr);
    assert.equal(theirs.status, 0, theirs.stderr);
    if (ours.stdout === theirs.stdout || i === 2) return { ours: ours.stdout, theirs: theirs.stdout };
  }
}

function caPinOfTestbed(): string {
  const pem = join(tb.dir, 'pki', 'ca.crt');
  const der = execFileSync('sh', ['-c', `openssl x509 -pubkey -noout -in '${pem}' | openssl pkey -pubin -outform der | sha256sum`], { encoding: 'utf8' });
  return `sha256:${der.split(/\s/)[0]}`;
}

describe('token create / list / delete on a real cluster', () => {
  it('a token made by joinery shows in kubeadm token list, and both tables are identical', () => {
    const r = joinery(tb, ['token', 'create', '--description', 'made by joinery', '--ttl', '2h']);
    assert.equal(r.status, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const { ours, theirs } = bothTables();
    assert.ok(theirs.includes(token), 'kubeadm lists the token');
    assert.ok(theirs.includes('made by joinery'));
    assert.equal(ours, theirs);
  });

  it('a token made by kubeadm shows in joinery token list, and both tables are identical', () => {
    const k = kubeadm(tb, ['token', 'create', '--description', 'made by kubeadm', '--usages', 'authentication', '--groups', 'system:bootstrappers:extra']);
    assert.equal(k.status, 0, k.stderr);
    const token = k.stdout.trim();
    const { ours, theirs } = bothTables();
    assert.ok(ours.includes(token));
    assert.ok(ours.includes('system:bootstrappers:extra'));
    assert.equal(ours, theirs);
  });

  it('joinery writes the same Secret as kubeadm for the same flags (no expiry, custom groups)', async () => {
    const suffix = Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0');
    const mine = `jn${suffix}0.0123456789abcdef`;
    const theirsTok = `kd${suffix}0.0123456789abcdef`;
    const flags = ['--ttl', '0', '--usages', 'signing,authentication', '--groups', 'system:bootstrappers:a,system:bootstrappers:b', '--description', 'same'];
    const j = joinery(tb, ['token', 'create', mine, ...flags]);
    assert.equal(j.status, 0, j.stderr);
    assert.equal(kubeadm(tb, ['token', 'create', theirsTok, ...flags]).status, 0);
    const a = await getTokenSecret(client, mine.slice(0, 6));
    const b = await getTokenSecret(client, theirsTok.slice(0, 6));
    const strip = (d: Record<string, string> | undefined) => {
      const { ['token-id']: _i, ['token-secret']: _s, ...rest } = d ?? {};
      return rest;
    };
    assert.deepEqual(strip(a?.data), strip(b?.data));
    assert.equal(a?.type, b?.type);
  });

  it('--print-join-command prints the line kubeadm prints, and the hint goes to stderr', () => {
    const ours = joinery(tb, ['token', 'create', '--print-join-command']);
    const theirs = kubeadm(tb, ['token', 'create', '--print-join-command']);
    assert.equal(ours.status, 0, ours.stderr);
    const norm = (s: string) => s.replace(/--token [a-z0-9]{6}\.[a-z0-9]{16}/, '--token TOKEN');
    assert.equal(norm(ours.stdout), norm(theirs.stdout));
    assert.ok(ours.stdout.includes(caPinOfTestbed()));
    assert.match(ours.stderr, /join-config/);
    assert.equal(ours.stderr.split('\n').filter((l) => l !== '').length, 1);
  });

  it('token list -o json and -o yaml give the tokens as data', () => {
    const made = joinery(tb, ['token', 'create', '--description', 'json']).stdout.trim();
    const json = JSON.parse(joinery(tb, ['token', 'list', '-o', 'json']).stdout) as { items: { token: string; description?: string }[] };
    assert.ok(json.items.some((t) => t.token === made && t.description === 'json'));
    const yaml = joinery(tb, ['token', 'list', '-o', 'yaml']).stdout;
    assert.ok(yaml.includes(made));
    const bad = joinery(tb, ['token', 'list', '-o', 'xml']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--output/);
  });

  it('token delete takes ids and whole tokens; a deleted token no longer authenticates', async () => {
    const a = joinery(tb, ['token', 'create']).stdout.trim();
    const b = joinery(tb, ['token', 'create']).stdout.trim();
    const bearer = new KubeClient({ server: tb.server, ca: readFileSync(join(tb.dir, 'pki', 'ca.crt'), 'utf8'), bearerToken: b, source: 'test' }, { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 });
    try {
      // A bootstrap token authenticates as system:bootstrap:<id>; it may read /api (discovery) — 200.
      assert.equal(typeof (await bearer.request('/api', { action: { verb: 'get', resource: 'nonResourceURL /api' } })), 'object');
      const r = joinery(tb, ['token', 'delete', a.slice(0, 6), b]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `bootstrap token "${a.slice(0, 6)}" deleted\nbootstrap token "${b.slice(0, 6)}" deleted\n`);
      assert.equal(await getTokenSecret(client, a.slice(0, 6)), undefined);
      // kube-apiserver caches a successful token authentication for 10 s, so the refusal comes within that.
      let refused: unknown;
      const t0 = Date.now();
      while (refused === undefined && Date.now() - t0 < 20_000) {
        await bearer.request('/api', { action: { verb: 'get', resource: 'nonResourceURL /api' } }).then(
          () => new Promise((r) => setTimeout(r, 250)),
          (e: unknown) => (refused = e),
        );
      }
      assert.equal((refused as { code?: string } | undefined)?.code, 'UNAUTHORIZED');
    } finally {
      bearer.close();
    }
    const missing = joinery(tb, ['token', 'delete', 'zzzzzz']);
    assert.equal(missing.status, 69);
    assert.match(missing.stderr, /TOKEN_NOT_FOUND/);
    const malformed = joinery(tb, ['token', 'delete', 'abcdef.secretsecretsecre']);
    assert.equal(malformed.status, 64);
    assert.ok(!malformed.stderr.includes('secretsecretsecre'), 'the secret part is not echoed');
  });

  it('bad flags name the flag and exit 65/64 before anything is created', () => {
    const r = joinery(tb, ['token', 'create', '--ttl', 'soon']);
    assert.equal(r.status, 65);
    assert.match(r.stderr, /ttl/);
    const u = joinery(tb, ['token', 'create', '--usages', 'signing,bogus']);
    assert.equal(u.status, 65);
    assert.match(u.stderr, /bogus/);
  });

  it('ca-hash without --cert pins the cluster CA from the kubeconfig', () => {
    const r = joinery(tb, ['ca-hash']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${caPinOfTestbed()}\n`);
  });

  it('a 403 names the verb, resource and namespace the credentials lack', async () => {
    const ns = 'default';
    const sa = `limited-${process.pid}`;
    await client.request(`/api/v1/namespaces/${ns}/serviceaccounts`, { method: 'POST', body: { metadata: { name: sa } }, action: { verb: 'create', resource: 'serviceaccounts', namespace: ns } });
    // A TokenRequest: 1.24+ no longer makes a token Secret per service account; 1.20 serves TokenRequest too.
    const tr = await client.request<{ status?: { token?: string } }>(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      method: 'POST',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } },
      action: { verb: 'create', resource: 'serviceaccounts/token', namespace: ns, name: sa },
    });
    const saToken = tr?.status?.token;
    assert.ok(saToken, 'the service account got a token');
    const dir = mkdtempSync(join(tmpdir(), 'joinery-sa-'));
    try {
      const kc = join(dir, 'kubeconfig');
      const ca = readFileSync(join(tb.dir, 'pki', 'ca.crt')).toString('base64');
      writeFileSync(
        kc,
        `apiVersion: v1\nkind: Config\nclusters:\n- name: tb\n  cluster:\n    server: ${tb.server}\n    certificate-authority-data: ${ca}\nusers:\n- name: ${sa}\n  user:\n    token: ${saToken}\ncontexts:\n- name: c\n  context: {cluster: tb, user: ${sa}}\ncurrent-context: c\n`,
        { mode: 0o600 },
      );
      const r = joinery(tb, ['token', 'create', '--kubeconfig', kc]);
      assert.equal(r.status, 69);
      assert.match(r.stderr, /may not create secrets in namespace "kube-system"/);
      assert.match(r.stderr, /FORBIDDEN/);
      assert.ok(!r.stderr.includes(saToken as string), 'the service account token is not echoed');
      const l = joinery(tb, ['token', 'list', '--kubeconfig', kc]);
      assert.match(l.stderr, /may not list secrets in namespace "kube-system"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await client.request(`/api/v1/namespaces/${ns}/serviceaccounts/${sa}`, { method: 'DELETE', action: { verb: 'delete', resource: 'serviceaccounts', namespace: ns } });
    }
  });
});
