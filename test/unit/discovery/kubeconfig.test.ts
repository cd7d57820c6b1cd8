import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import {
  clusterInfoKubeconfig,
  discoveryFileKubeconfig,
  parseClusterInfoKubeconfig,
  tlsBootstrapKubeconfig,
} from '../../../src/discovery/index.js';
import { kubeBinaries } from '../../support/kube-bin.js';
import { withTmpDirAsync } from '../pki/ca-support.js';
import { throwsCode } from '../../support/errors.js';
import { assertGolden, fixtureCa, kubeadmTokenKubeconfig } from './support.js';

const SERVER = 'https://127.0.0.1:6443';
const FAKE_TOKEN = 'abcdef.0123456789abcdef';

test('clusterInfoKubeconfig writes what kubeadm v1.20 stores in kube-public/cluster-info (golden)', () => {
  const text = clusterInfoKubeconfig({ server: SERVER, caData: Buffer.from(fixtureCa()) });
  assertGolden('cluster-info.yaml', text);
  const b64 = Buffer.from(fixtureCa()).toString('base64');
  assert.equal(
    text,
    'apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: ' + b64 +
      '\n    server: https://127.0.0.1:6443\n  name: ""\ncontexts: null\ncurrent-context: ""\nkind: Config\n' +
      'preferences: {}\nusers: null\n',
  );
  assert.equal(clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() }), text, 'PEM text and bytes give the same');
});

test('discoveryFileKubeconfig is the cluster-info shape: one unnamed cluster, no user (golden)', () => {
  const text = discoveryFileKubeconfig({ server: 'https://10.0.0.1:6443', caData: fixtureCa('ec-p256.crt') });
  assertGolden('discovery-file.yaml', text);
  assert.match(text, /name: ""\n/);
  assert.match(text, /users: null\n$/);
});

test('tlsBootstrapKubeconfig writes bootstrap-kubelet.conf as kubeadm join does (golden)', () => {
  const text = tlsBootstrapKubeconfig({ server: SERVER, caData: fixtureCa(), token: FAKE_TOKEN });
  assertGolden('bootstrap-kubelet.conf', text);
  assert.ok(text.includes('current-context: tls-bootstrap-token-user@kubernetes\n'));
  assert.ok(text.endsWith(`users:\n- name: tls-bootstrap-token-user\n  user:\n    token: ${FAKE_TOKEN}\n`));
});

interface KubeadmSetup {
  kubeadm: string;
  config: string;
  ca: string;
  dir: string;
}

async function withKubeadm(t: { skip: (m: string) => void }, fn: (k: KubeadmSetup) => Promise<void> | void): Promise<void> {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  await withTmpDirAsync(async (dir) => {
    execFileSync(bins.kubeadm, ['init', 'phase', 'certs', 'ca', '--cert-dir', join(dir, 'pki')], { stdio: 'ignore' });
    const config = join(dir, 'kubeadm.yaml');
    writeFileSync(
      config,
      `apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\ncertificatesDir: ${join(dir, 'pki')}\n` +
        'controlPlaneEndpoint: 10.0.0.1:6443\n',
    );
    await fn({ kubeadm: bins.kubeadm, config, ca: readFileSync(join(dir, 'pki', 'ca.crt'), 'utf8'), dir });
  });
}

test('the kubeconfig writers refuse Unicode line separators, NEL, unpaired surrogates and control characters', () => {
  for (const v of ['a\u2028b', 'a\u0085', '\ud800', 'a\u2029', 'a\u007f']) {
    const err = throwsCode(() => tlsBootstrapKubeconfig({ server: SERVER, caData: fixtureCa(), token: v }), 'KUBECONFIG_VALUE_INVALID');
    assert.equal(err.path, 'users[0].user.token');
    assert.ok(!err.message.includes(v));
  }
  const err = throwsCode(() => clusterInfoKubeconfig({ server: 'https://a\u2028b:6443', caData: fixtureCa() }), 'KUBECONFIG_VALUE_INVALID');
  assert.equal(err.path, 'clusters[0].cluster.server');
});

test('tlsBootstrapKubeconfig is byte-equal to kubeadm v1.20.2 CreateWithToken + clientcmd.Write', async (t) => {
  await withKubeadm(t, async ({ kubeadm, config, ca }) => {
    const got = await kubeadmTokenKubeconfig(kubeadm, config, 'tls-bootstrap-token-user', FAKE_TOKEN);
    assert.equal(tlsBootstrapKubeconfig({ server: 'https://10.0.0.1:6443', caData: ca, token: FAKE_TOKEN }), got);
    // a token that YAML would read as a number is quoted by Go; so must we
    const numeric = '123456.1234567890123456';
    const quoted = await kubeadmTokenKubeconfig(kubeadm, config, 'tls-bootstrap-token-user', numeric);
    assert.equal(tlsBootstrapKubeconfig({ server: 'https://10.0.0.1:6443', caData: ca, token: numeric }), quoted);
    assert.ok(quoted.includes(`token: "${numeric}"`));
  });
});

test('clusterInfoKubeconfig copies admin.conf\'s cluster as kubeadm does (same server and CA lines)', async (t) => {
  await withKubeadm(t, ({ kubeadm, dir }) => {
    execFileSync(kubeadm, ['init', 'phase', 'kubeconfig', 'admin', '--cert-dir', join(dir, 'pki'),
      '--kubeconfig-dir', dir, '--control-plane-endpoint', '10.0.0.1:6443'], { stdio: 'ignore' });
    const admin = readFileSync(join(dir, 'admin.conf'), 'utf8');
    const cluster = parseClusterInfoKubeconfig(admin, 'admin.conf');
    assert.equal(cluster.server, 'https://10.0.0.1:6443');
    const info = clusterInfoKubeconfig(cluster);
    const block = (s: string): string => s.slice(s.indexOf('- cluster:\n'), s.indexOf('  name: '));
    assert.equal(block(info), block(admin));
    assert.ok(admin.startsWith('apiVersion: v1\nclusters:\n'));
    assert.ok(admin.includes('\nkind: Config\npreferences: {}\nusers:\n'));
  });
});

test('parseClusterInfoKubeconfig reads the cluster-info kubeconfig back', () => {
  const ca = fixtureCa();
  const info = parseClusterInfoKubeconfig(clusterInfoKubeconfig({ server: SERVER, caData: ca }));
  assert.equal(info.server, SERVER);
  assert.equal(info.caPem, ca);
  assert.deepEqual(info.caData, Buffer.from(ca));
});

const b64 = Buffer.from('-----BEGIN CERTIFICATE-----\n').toString('base64');

test('parseClusterInfoKubeconfig chooses the cluster as GetClusterFromKubeConfig', () => {
  const unnamedWins = `clusters:
- name: a
  cluster: {server: https://a, certificate-authority-data: ${b64}}
- name: ""
  cluster: {server: https://unnamed, certificate-authority-data: ${b64}}
contexts:
- name: ctx
  context: {cluster: a, user: u}
current-context: ctx
`;
  assert.equal(parseClusterInfoKubeconfig(unnamedWins).server, 'https://unnamed');
  const byContext = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: https://a, certificate-authority-data: ${b64}}
- name: b
  cluster: {server: https://b, certificate-authority-data: ${b64}}
contexts:
- name: ctx
  context: {cluster: b, user: u}
current-context: ctx
users: [{name: u, user: {token: x}}]
`;
  assert.equal(parseClusterInfoKubeconfig(byContext).server, 'https://b');
  const single = `clusters:\n- name: only\n  cluster:\n    server: https://only\n    certificate-authority-data: ${b64}\n`;
  assert.equal(parseClusterInfoKubeconfig(single).server, 'https://only');
  const twoNoContext = byContext.replace('current-context: ctx', 'current-context: ""');
  const err = throwsCode(() => parseClusterInfoKubeconfig(twoNoContext), 'CLUSTER_INFO_INVALID');
  assert.equal(err.family, 'trust');
  assert.match(err.message, /no cluster named "" and no current context/);
  const danglingContext = byContext.replace('{cluster: b,', '{cluster: c,');
  assert.match(throwsCode(() => parseClusterInfoKubeconfig(danglingContext), 'CLUSTER_INFO_INVALID').message, /"c"/);
});

test('parseClusterInfoKubeconfig tolerates newer shapes: extra keys, contexts null or absent, no preferences', () => {
  const newer = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ${b64}
    server: https://127.0.0.1:6443
    tls-server-name: kubernetes
    extensions: [{name: x, extension: {a: 1}}]
  name: ""
current-context: ""
users: null
extensions: []
`;
  assert.equal(parseClusterInfoKubeconfig(newer).server, SERVER);
  assert.equal(parseClusterInfoKubeconfig(`${newer}contexts: null\n`).server, SERVER);
  assert.equal(parseClusterInfoKubeconfig(newer.replace(/\n    certificate-authority-data: (\S+)/, '\n    certificate-authority-data: $1\n')).caPem,
    '-----BEGIN CERTIFICATE-----\n');
});

test('parseClusterInfoKubeconfig names the missing or malformed field', () => {
  const cases: Array<[string, RegExp, string | undefined]> = [
    ['', /empty/, undefined],
    ['a: [', /not valid YAML/, undefined],
    ['- 1\n', /not a YAML mapping/, undefined],
    ['kind: Config\n', /no cluster/, 'clusters'],
    ['clusters: 3\n', /clusters must be a list/, 'clusters'],
    ['clusters: [3]\n', /clusters\[0\] must be a mapping/, 'clusters[0]'],
    [`clusters: [{name: "", cluster: {certificate-authority-data: ${b64}}}]\n`, /no server/, 'clusters[0].cluster.server'],
    [`clusters: [{name: "", cluster: {server: 5, certificate-authority-data: ${b64}}}]\n`, /server must be a string/, 'clusters[0].cluster.server'],
    ['clusters: [{name: "", cluster: {server: https://x}}]\n', /no CA certificate/, 'clusters[0].cluster.certificate-authority-data'],
    ['clusters: [{name: "", cluster: {server: https://x, certificate-authority-data: "%%%"}}]\n', /not valid base64/, 'clusters[0].cluster.certificate-authority-data'],
    [`clusters: [{name: a, cluster: {server: https://x, certificate-authority-data: ${b64}}}, {name: a}]\n`, /twice/, 'clusters[1].name'],
    ['clusters: [{name: "", cluster: {server: https://x, certificate-authority-data: a, certificate-authority-data: b}}]\n', /not valid YAML/, undefined],
  ];
  for (const [text, message, path] of cases) {
    const err = throwsCode(() => parseClusterInfoKubeconfig(text), 'CLUSTER_INFO_INVALID');
    assert.match(err.message, message, text);
    assert.equal(err.path, path, text);
  }
});

test('property: parseClusterInfoKubeconfig returns a cluster or throws CLUSTER_INFO_INVALID', () => {
  const golden = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.tuple(fc.nat(golden.length - 1), fc.string({ maxLength: 4 })).map(([i, s]) => golden.slice(0, i) + s + golden.slice(i + 1)),
        fc.anything().map((v) => JSON.stringify(v) ?? ''),
      ),
      (text) => {
        try {
          const info = parseClusterInfoKubeconfig(text);
          assert.ok(info.server.length > 0 && info.caData.length > 0);
        } catch (err) {
          assert.ok(err instanceof JoineryError && err.code === 'CLUSTER_INFO_INVALID', String(err));
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('property: clusterInfoKubeconfig then parseClusterInfoKubeconfig round trips server and CA bytes', () => {
  // characters that make yaml.v2 quote, fold or use a literal block; NEL/LS/PS are refused by the writer
  const chars = Array.from('abcdefgh      \t\n\r:#-?.,[]{}\'"!|>%@`&*~01e_+xyYnN\u00a0\ufeff\u{1F600}é\\');
  const server = fc.oneof(
    fc.string({ minLength: 1, maxLength: 200, unit: fc.constantFrom(...chars) }),
    fc.string({ minLength: 1, unit: 'grapheme' }).filter((s) => !/[\u0085\u2028\u2029]/.test(s)),
  );
  fc.assert(
    fc.property(server, fc.uint8Array({ minLength: 1, maxLength: 200 }), (s, ca) => {
      const back = parseClusterInfoKubeconfig(clusterInfoKubeconfig({ server: s, caData: ca }));
      assert.equal(back.server, s);
      assert.deepEqual(back.caData, Buffer.from(ca));
    }),
    { numRuns: 500 },
  );
});

test('parseClusterInfoKubeconfig types scalars as yaml.v2 does: only strings are strings', () => {
  const doc = (server: string): string =>
    `clusters:\n- name: ""\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${b64}\n`;
  for (const [source, value] of [['.', '.'], ['"1.5"', '1.5'], ["'yes'", 'yes'], ['!!str 1.5', '1.5'], ['NaN', 'NaN'], ['1e', '1e']]) {
    assert.equal(parseClusterInfoKubeconfig(doc(source!)).server, value, source);
  }
  for (const source of ['1.5', 'yes', '0x10', '2001-12-14', '[a]', '{a: b}']) {
    throwsCode(() => parseClusterInfoKubeconfig(doc(source)), 'CLUSTER_INFO_INVALID');
  }
  for (const source of ['null', '~', '']) {
    assert.match(throwsCode(() => parseClusterInfoKubeconfig(doc(source)), 'CLUSTER_INFO_INVALID').message, /no server/);
  }
  const anchored = `x: &s https://anchored\nclusters:\n- name: ""\n  cluster: {server: *s, certificate-authority-data: ${b64}}\n`;
  assert.equal(parseClusterInfoKubeconfig(anchored).server, 'https://anchored');
});

test('tlsBootstrapKubeconfig round trips the token and cluster through a YAML parser', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9]{6}\.[a-z0-9]{16}$/), (token) => {
      const text = tlsBootstrapKubeconfig({ server: SERVER, caData: fixtureCa(), token });
      const info = parseClusterInfoKubeconfig(text);
      assert.equal(info.server, SERVER);
      assert.ok(text.includes(`token: ${token}\n`) || text.includes(`token: "${token}"\n`));
    }),
  );
});
