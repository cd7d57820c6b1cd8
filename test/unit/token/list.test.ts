import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeTokenSecret, tokenListTable, type SecretManifest } from '../../../src/token/index.js';
import { kubeBinaries } from '../../support/kube-bin.js';
import { fakeApiServer } from './fake-apiserver.js';

const here = dirname(fileURLToPath(import.meta.url));
const NOW = new Date('2026-11-22T04:00:00Z');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** A Secret as the API server returns it (data base64). */
function stored(id: string, fields: Record<string, string>, name = `bootstrap-token-${id}`): SecretManifest {
  const data: Record<string, string> = { 'token-id': b64(id), 'token-secret': b64(`${id}0123456789`) };
  for (const [k, v] of Object.entries(fields)) data[k] = b64(v);
  return { metadata: { name, namespace: 'kube-system' }, type: 'bootstrap.kubernetes.io/token', data };
}

const BOTH = { 'usage-bootstrap-signing': 'true', 'usage-bootstrap-authentication': 'true' };
const NODE_GROUP = { 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' };

function goldenSecrets(): SecretManifest[] {
  return [
    stored('forevr', { ...BOTH, ...NODE_GROUP, description: 'kubeadm init' }),
    stored('expird', { ...BOTH, ...NODE_GROUP, expiration: '2026-11-22T02:00:00Z' }),
    stored('justex', { ...BOTH, expiration: '2026-11-22T03:59:59Z' }),
    stored('badnam', BOTH, 'bootstrap-token-other1'),
    stored('longds', {
      ...BOTH,
      ...NODE_GROUP,
      expiration: '2026-11-23T03:59:00Z',
      description: 'a description that is much longer than the fifty-six columns kubeadm pads to',
    }),
    stored('nousag', { expiration: '2026-11-22T04:00:59Z', 'usage-bootstrap-signing': 'false' }),
    stored('unpars', { ...BOTH, expiration: 'next tuesday' }),
    stored('groups', {
      ...BOTH,
      expiration: '2026-11-25T04:00:00Z',
      'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:joinery:worker,system:bootstrappers:x',
    }),
    stored('offset', { 'usage-bootstrap-authentication': 'true', expiration: '2026-12-01T09:30:00+05:30', description: 'ünïcödé 😀' }),
    stored('years0', { 'usage-bootstrap-signing': 'true', 'usage-bootstrap-custom': 'true', expiration: '2029-11-22T04:00:00-00:00' }),
  ];
}

test('golden: kubeadm token list table with a fixed now', () => {
  const secrets = goldenSecrets();
  // decoded tokens are accepted as well as Secrets
  const input = secrets.map((s, i) => (i === 1 ? decodeTokenSecret(s) : s));
  const { text, skipped } = tokenListTable(input, NOW);
  const file = join(here, 'golden', 'token-list.txt');
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'));
  assert.deepEqual(
    skipped.map((s) => s.name),
    ['bootstrap-token-other1', 'bootstrap-token-unpars'],
  );
  for (const s of skipped) assert.ok(!s.reason.includes('0123456789'), s.reason);
});

test('per-token tabwriters: later rows are aligned on their own, not with the header', () => {
  const { text } = tokenListTable(goldenSecrets(), NOW);
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^TOKEN {21}TTL {9}EXPIRES {3}USAGES {19}DESCRIPTION/);
  assert.equal(lines[1], 'forevr.forevr0123456789   <forever>   <never>   authentication,signing   kubeadm init                                               system:bootstrappers:kubeadm:default-node-token');
  assert.match(lines[2] ?? '', /^expird\.expird0123456789 {3}<invalid> {3}2026-11-22T02:00:00Z {3}/);
  assert.match(lines[3] ?? '', /^justex\.justex0123456789 {3}0s {10}2026-11-22T03:59:59Z {3}authentication,signing {3}<none> {53}<none>$/);
});

test('no tokens: no output at all, not even the header', () => {
  assert.deepEqual(tokenListTable([], NOW), { text: '', skipped: [] });
  const only = tokenListTable([stored('unpars', { expiration: 'x' })], NOW);
  assert.equal(only.text, '');
  assert.equal(only.skipped.length, 1);
});

/** Expirations relative to the real clock, far from any TTL bucket edge, in assorted Go-accepted forms. */
function oracleSecrets(now: Date): SecretManifest[] {
  const day = 86_400_000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const inDays = (d: number): number => now.getTime() + d * day + day / 2;
  const withOffset = (ms: number, offsetMinutes: number): string => {
    const local = iso(ms + offsetMinutes * 60_000).slice(0, -1);
    const sign = offsetMinutes < 0 ? '-' : '+';
    const abs = Math.abs(offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
  return [
    ...goldenSecrets().filter((s) => !['expird', 'justex', 'nousag', 'longds', 'groups'].includes(s.metadata?.name?.slice(-6) ?? '')),
    stored('expir2', { ...BOTH, expiration: iso(now.getTime() - 2 * 3600_000) }),
    stored('longd2', { ...BOTH, ...NODE_GROUP, expiration: iso(inDays(10)), description: 'x'.repeat(57) }),
    stored('exact5', { ...BOTH, expiration: iso(inDays(3)), description: 'y'.repeat(56) }),
    stored('nousa2', { expiration: iso(inDays(40)), 'usage-bootstrap-signing': 'yes' }),
    stored('group2', { ...BOTH, expiration: iso(inDays(5)), 'auth-extra-groups': 'system:bootstrappers:a,system:bootstrappers:b,,c' }),
    stored('group3', { ...BOTH, expiration: iso(inDays(5)), 'auth-extra-groups': ',system:bootstrappers:a' }),
    stored('offse2', { ...BOTH, expiration: withOffset(inDays(20), 330) }),
    stored('offse3', { ...BOTH, expiration: withOffset(inDays(20), -(24 * 60 + 61)) }),
    stored('frac01', { ...BOTH, expiration: iso(inDays(7)).replace('Z', ',123456789999Z') }),
    stored('onedig', { ...BOTH, expiration: `${iso(inDays(8)).slice(0, 11)}3${iso(inDays(8)).slice(13)}` }),
    stored('neg000', { ...BOTH, expiration: iso(inDays(9)).replace('Z', '-00:00') }),
    stored('feb29x', { ...BOTH, expiration: '2030-02-29T00:00:00Z' }),
    stored('lowert', { ...BOTH, expiration: iso(inDays(9)).replace('T', 't') }),
    stored('tabbed', { ...BOTH, expiration: iso(inDays(11)), description: 'tab\tin, newline\nin, and a form feed\fin' }),
    stored('wideee', { ...BOTH, expiration: iso(inDays(12)), description: '😀'.repeat(30) }),
    stored('ustrue', { 'usage-bootstrap-': 'true', 'usage-bootstrap-zeta': 'true', 'usage-bootstrap-Alpha': 'true' }),
    stored('nosecr', BOTH),
    { metadata: { name: 'bootstrap-token-nosec2' }, data: { 'token-id': b64('nosec2') } },
    { metadata: { name: 'bootstrap-token-upper1' }, data: { 'token-id': b64('upper1'), 'token-secret': b64('0123456789ABCDEF') } },
    { metadata: { name: 'no-token-id' }, data: { 'token-secret': b64('0123456789abcdef') } },
    stored('farfar', { ...BOTH, expiration: '9999-12-31T23:59:59Z' }),
    stored('ancien', { ...BOTH, expiration: '0000-01-01T00:00:00+01:00' }),
  ];
}

test('oracle: kubeadm v1.20.2 token list prints the same bytes and skips the same Secrets', async (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) {
    t.skip(bins.missing);
    return;
  }
  const fixtureNow = new Date();
  const secrets = oracleSecrets(fixtureNow);
  // the 'nosecr' fixture stores a secret, so take it out again to test a missing token-secret
  const nosecr = secrets.find((s) => s.metadata?.name === 'bootstrap-token-nosecr');
  delete nosecr?.data?.['token-secret'];
  const server = await fakeApiServer(bins.kubeadm, secrets);
  try {
    const before = new Date();
    const r = await server.kubeadm(['token', 'list']);
    const after = new Date();
    assert.equal(r.code, 0, r.stderr);
    const expected = [before, after].map((now) => tokenListTable(secrets, now));
    assert.ok(
      expected.some((e) => e.text === r.stdout),
      `kubeadm:\n${r.stdout}\njoinery:\n${expected[0]?.text}`,
    );
    // kubeadm writes one error per skipped Secret to stderr
    const skipped = expected[0]?.skipped ?? [];
    assert.equal(skipped.length, 8);
    for (const s of skipped) {
      if (s.name.startsWith('bootstrap-token-') && !s.name.endsWith('upper1')) assert.ok(r.stderr.includes(s.name), s.name);
    }
    const empty = await fakeApiServer(bins.kubeadm, []);
    try {
      const none = await empty.kubeadm(['token', 'list']);
      assert.equal(none.stdout, tokenListTable([], new Date()).text);
      assert.equal(none.stdout, '');
    } finally {
      await empty.close();
    }
  } finally {
    await server.close();
  }
});
