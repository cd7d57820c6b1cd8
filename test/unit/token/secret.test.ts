import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BootstrapToken,
  bootstrapToken,
  decodeTokenSecret,
  hasUnparseableExpiration,
  isTokenExpired,
  tokenSecret,
  type SecretManifest,
} from '../../../src/token/index.js';
import { JoineryError, isJoineryError } from '../../../src/errors/index.js';
import { dateOfGoTime, parseGoRfc3339 } from '../../../src/gotime/index.js';
import { kubeBinaries } from '../../support/kube-bin.js';
import { fakeApiServer } from './fake-apiserver.js';

const SECRET = '0123456789abcdef';
const TOKEN = `abcdef.${SECRET}`;
const NOW = new Date('2026-11-22T04:00:00.750Z');
const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

const lowerAlnum = fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz'.split(''));
const tokenArb = fc.tuple(
  fc.string({ unit: lowerAlnum, minLength: 6, maxLength: 6 }),
  fc.string({ unit: lowerAlnum, minLength: 16, maxLength: 16 }),
);

test('tokenSecret makes the Secret kubeadm\'s ToSecret makes: data base64, sorted keys', () => {
  const t = bootstrapToken({
    token: TOKEN,
    description: 'joinery: worker-1',
    ttl: '2h',
    groups: ['system:bootstrappers:a', 'system:bootstrappers:b'],
  });
  const s = tokenSecret(t, NOW, { labels: { 'joinery.dev/machine': 'worker-1' } });
  assert.deepEqual(s, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system', labels: { 'joinery.dev/machine': 'worker-1' } },
    type: 'bootstrap.kubernetes.io/token',
    data: {
      'auth-extra-groups': b64('system:bootstrappers:a,system:bootstrappers:b'),
      description: b64('joinery: worker-1'),
      expiration: b64('2026-11-22T06:00:00Z'),
      'token-id': b64('abcdef'),
      'token-secret': b64(SECRET),
      'usage-bootstrap-authentication': b64('true'),
      'usage-bootstrap-signing': b64('true'),
    },
  });
  assert.deepEqual(Object.keys(s.data), Object.keys(s.data).slice().sort());
});

test('tokenSecret: ttl 0 never expires, expires wins and is written in UTC whole seconds, no groups no key', () => {
  const never = tokenSecret({ token: { id: 'abcdef', secret: SECRET }, ttl: 0n, usages: ['signing'], groups: [] }, NOW);
  assert.deepEqual(unb64(never.data), { 'token-id': 'abcdef', 'token-secret': SECRET, 'usage-bootstrap-signing': 'true' });
  const fixed = tokenSecret(bootstrapToken({ token: TOKEN, expires: '2027-01-02T03:04:05.999+01:00' }), NOW);
  assert.equal(unb64(fixed.data)['expiration'], '2027-01-02T02:04:05Z');
  // kubeadm gives expires priority over ttl when (against validation) both are set
  const both: BootstrapToken = { token: { id: 'abcdef', secret: SECRET }, ttl: 1n, expires: new Date(0), usages: [], groups: [] };
  assert.equal(unb64(tokenSecret(both, NOW).data)['expiration'], '1970-01-01T00:00:00Z');
  assert.equal(tokenSecret(both, NOW).metadata.labels, undefined);
  assert.throws(() => tokenSecret({ ...both, token: { id: 'abcdef', secret: 'x' } }, NOW), { code: 'TOKEN_MALFORMED' });
});

test('decodeTokenSecret reads data and stringData as kubeadm\'s BootstrapTokenFromSecret', () => {
  const d = decodeTokenSecret({
    metadata: { name: 'bootstrap-token-abcdef', labels: { a: 'b' } },
    type: 'bootstrap.kubernetes.io/token',
    data: { 'token-id': b64('abcdef'), 'token-secret': b64('ffffffffffffffff'), 'usage-bootstrap-signing': b64('true') },
    stringData: {
      'token-secret': SECRET,
      'usage-bootstrap-zzz': 'true',
      'usage-bootstrap-authentication': 'true',
      'usage-bootstrap-extra': 'True',
      expiration: '2026-11-23T04:00:00+02:00',
      'auth-extra-groups': 'system:bootstrappers:x,system:bootstrappers:y',
      description: 'd',
    },
  });
  assert.deepEqual(d, {
    name: 'bootstrap-token-abcdef',
    token: { id: 'abcdef', secret: SECRET },
    description: 'd',
    expiration: '2026-11-23T04:00:00+02:00',
    expirationTime: { unixSeconds: Date.parse('2026-11-23T02:00:00Z') / 1000, nanos: 0, offsetSeconds: 7200, utc: false },
    usages: ['authentication', 'signing', 'zzz'],
    groups: ['system:bootstrappers:x', 'system:bootstrappers:y'],
    labels: { a: 'b' },
    annotations: {},
  });
  assert.equal(hasUnparseableExpiration(d), false);
  assert.deepEqual(d.expirationTime && dateOfGoTime(d.expirationTime), new Date('2026-11-23T02:00:00Z'));
});

test('decodeTokenSecret: groups as kubeadm splits them, unparseable expiration kept and marked', () => {
  const base = { metadata: { name: 'bootstrap-token-abcdef' }, stringData: { 'token-id': 'abcdef', 'token-secret': SECRET } };
  const withData = (extra: Record<string, string>): SecretManifest => ({ ...base, stringData: { ...base.stringData, ...extra } });
  assert.deepEqual(decodeTokenSecret(withData({ 'auth-extra-groups': '' })).groups, []);
  assert.deepEqual(decodeTokenSecret(withData({ 'auth-extra-groups': ',a' })).groups, []);
  assert.deepEqual(decodeTokenSecret(withData({ 'auth-extra-groups': 'a,,b' })).groups, ['a', '', 'b']);
  const bad = decodeTokenSecret(withData({ expiration: 'tomorrow' }));
  assert.equal(bad.expiration, 'tomorrow');
  assert.equal(hasUnparseableExpiration(bad), true);
  assert.equal(bad.expirationTime, undefined);
  const empty = decodeTokenSecret(withData({ expiration: '' }));
  assert.equal(empty.expiration, undefined);
  assert.equal(empty.expirationTime, undefined);
  assert.equal(hasUnparseableExpiration(empty), false);
});

test('isTokenExpired decides as kube-apiserver (cluster-bootstrap HasExpired)', () => {
  // the expiration as decodeTokenSecret stores it: the text and Go's reading of it
  const at = (expiration: string | undefined) => ({ expiration, expirationTime: expiration === undefined ? undefined : parseGoRfc3339(expiration) });
  assert.equal(isTokenExpired(at(undefined), NOW), false);
  assert.equal(isTokenExpired(at('garbage'), NOW), true);
  assert.equal(isTokenExpired(at('2026-11-22T04:00:00.750Z'), NOW), true); // remaining <= 0
  assert.equal(isTokenExpired(at('2026-11-22T04:00:00.750000001Z'), NOW), false);
  assert.equal(isTokenExpired(at('2026-11-22T05:00:01+01:00'), NOW), false);
  assert.equal(isTokenExpired(at('2026-11-22T04:00:00Z'), NOW), true);
});

test('decodeTokenSecret refuses what BootstrapTokenFromSecret refuses, with TOKEN_SECRET_INVALID', () => {
  const cases: Array<[unknown, string | undefined]> = [
    [{ metadata: { name: 'bootstrap-token-abcdef' }, stringData: { 'token-secret': SECRET } }, 'data.token-id'],
    [{ metadata: { name: 'bootstrap-token-abcdeg' }, stringData: { 'token-id': 'abcdef', 'token-secret': SECRET } }, 'metadata.name'],
    [{ stringData: { 'token-id': 'abcdef', 'token-secret': SECRET } }, 'metadata.name'],
    [{ metadata: { name: 'bootstrap-token-abcdef' }, stringData: { 'token-id': 'abcdef' } }, 'data.token-secret'],
    [{ metadata: { name: 'bootstrap-token-abcdef' }, stringData: { 'token-id': 'abcdef', 'token-secret': 'short' } }, 'data.token-secret'],
    [{ metadata: { name: 'bootstrap-token-ABCDEF' }, stringData: { 'token-id': 'ABCDEF', 'token-secret': SECRET } }, 'data.token-id'],
    [{ metadata: { name: 'bootstrap-token-abcdef' }, data: { 'token-id': 'not base64!' } }, 'data'],
    [{ metadata: { name: 'bootstrap-token-abcdef' }, type: 'Opaque', stringData: { 'token-id': 'abcdef', 'token-secret': SECRET } }, 'type'],
    [null, undefined],
  ];
  for (const [secret, path] of cases) {
    assert.throws(
      () => decodeTokenSecret(secret as SecretManifest),
      (e: unknown) => e instanceof JoineryError && e.code === 'TOKEN_SECRET_INVALID' && e.path === path,
      JSON.stringify(secret),
    );
  }
});

const tokenWithExpiry = fc.record({
  parts: tokenArb,
  description: fc.string(),
  usages: fc.subarray(['authentication', 'signing']),
  groups: fc.array(fc.stringMatching(/^system:bootstrappers:[a-z0-9:-]{0,20}[a-z0-9]$/), { maxLength: 3 }),
  expiry: fc.oneof(
    fc.constant({ ttl: 0n }),
    fc.bigInt({ min: 1n, max: 50n * 365n * 86_400n * 1_000_000_000n }).map((ttl) => ({ ttl })),
    fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).map((expires) => ({ expires })),
  ),
  now: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
});

test('property: decodeTokenSecret(tokenSecret(t)) gives t back (expiry to whole seconds)', () => {
  fc.assert(
    fc.property(tokenWithExpiry, ({ parts: [id, secret], description, usages, groups, expiry, now }) => {
      // a BootstrapToken value built directly: signing-only tokens are valid for the API server too
      const t: BootstrapToken = { token: { id, secret }, usages, groups: usages.includes('authentication') ? groups : [], ...expiry };
      if (description !== '') t.description = description;
      const d = decodeTokenSecret(tokenSecret(t, now));
      assert.deepEqual(d.token, t.token);
      assert.equal(d.name, `bootstrap-token-${id}`);
      assert.equal(d.description, t.description ?? '');
      assert.deepEqual(d.usages, [...t.usages].sort());
      assert.deepEqual(d.groups, t.groups);
      let want: number | undefined;
      if (t.expires !== undefined) want = Math.floor(t.expires.getTime() / 1000) * 1000;
      else if (t.ttl !== undefined && t.ttl > 0n) want = Number((BigInt(now.getTime()) * 1_000_000n + t.ttl) / 1_000_000_000n) * 1000;
      assert.equal(d.expirationTime && dateOfGoTime(d.expirationTime).getTime(), want);
      assert.equal(hasUnparseableExpiration(d), false);
    }),
    { numRuns: 500 },
  );
});

const anySecret = fc.oneof(
  fc.anything(),
  fc.record(
    {
      metadata: fc.oneof(fc.anything(), fc.record({ name: fc.oneof(fc.string(), fc.constant('bootstrap-token-abcdef')) })),
      type: fc.oneof(fc.anything(), fc.constant('bootstrap.kubernetes.io/token')),
      data: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.string()), fc.dictionary(fc.constantFrom('token-id', 'token-secret', 'expiration', 'usage-bootstrap-signing'), fc.string().map(b64))),
      stringData: fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom('token-id', 'token-secret', 'expiration', 'auth-extra-groups', 'x'), fc.oneof(fc.string(), fc.constant('abcdef'), fc.constant(SECRET)))),
    },
    { requiredKeys: [] },
  ),
);

test('property: decodeTokenSecret on arbitrary input returns a token or throws JoineryError', () => {
  fc.assert(
    fc.property(anySecret, (s) => {
      try {
        const d = decodeTokenSecret(s as SecretManifest);
        assert.match(`${d.token.id}.${d.token.secret}`, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      } catch (e) {
        assert.ok(isJoineryError(e), String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: a token secret in a broken Secret never appears in the error', () => {
  const broken = tokenArb.chain(([id, secret]) =>
    fc.constantFrom(
      { secret, s: { metadata: { name: `bootstrap-token-${id}.${secret}` }, stringData: { 'token-id': id, 'token-secret': secret } } },
      { secret, s: { metadata: { name: `bootstrap-token-${secret}` }, stringData: { 'token-id': secret, 'token-secret': secret } } },
      { secret, s: { metadata: { name: `bootstrap-token-${id}.${secret}` }, stringData: { 'token-id': `${id}.${secret}`, 'token-secret': secret } } },
      { secret, s: { metadata: { name: `bootstrap-token-${id}` }, stringData: { 'token-id': id, 'token-secret': `${secret}X` } } },
      { secret, s: { metadata: { name: `bootstrap-token-${id}` }, stringData: { 'token-id': id, 'token-secret': `${secret}.${secret}` } } },
      { secret, s: { metadata: { name: `bootstrap-token-${id}` }, data: { 'token-id': b64(id), [secret]: `${secret}!` } } },
      { secret, s: { metadata: { name: 'x' }, stringData: { 'token-id': `${id}${secret}`, 'token-secret': secret } } },
    ),
  );
  fc.assert(
    fc.property(broken, ({ secret, s }) => {
      try {
        decodeTokenSecret(s as SecretManifest);
        assert.fail('decoded a broken Secret');
      } catch (e) {
        assert.ok(isJoineryError(e));
        for (const text of [e.message, e.fix, e.path ?? '']) assert.ok(!text.includes(secret), `${e.code}: ${text}`);
      }
    }),
    { numRuns: 500 },
  );
});

test('oracle: kubeadm v1.20.2 token create sends the Secret tokenSecret makes', async (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) {
    t.skip(bins.missing);
    return;
  }
  const server = await fakeApiServer(bins.kubeadm);
  try {
    const runs: Array<{ args: string[]; options: Parameters<typeof bootstrapToken>[0] }> = [
      { args: [TOKEN], options: { token: TOKEN } },
      {
        args: ['zyxwvu.0123456789zyxwvu', '--ttl', '90m', '--description', 'joinery: node ü', '--groups', 'system:bootstrappers:a,system:bootstrappers:b:c'],
        options: { token: 'zyxwvu.0123456789zyxwvu', ttl: '90m', description: 'joinery: node ü', groups: ['system:bootstrappers:a', 'system:bootstrappers:b:c'] },
      },
      {
        args: ['q1w2e3.0123456789abcdef', '--ttl', '0', '--usages', '', '--groups', ''],
        options: { token: 'q1w2e3.0123456789abcdef', ttl: '0', usages: [], groups: [] },
      },
      {
        args: ['a1b2c3.0123456789abcdef', '--usages', 'authentication', '--groups', 'system:bootstrappers:x'],
        options: { token: 'a1b2c3.0123456789abcdef', usages: ['authentication'], groups: ['system:bootstrappers:x'] },
      },
    ];
    for (const run of runs) {
      const before = new Date();
      const r = await server.kubeadm(['token', 'create', ...run.args]);
      const after = new Date();
      assert.equal(r.code, 0, r.stderr);
      const posted = server.posts.pop() as { data: Record<string, string>; metadata: { name: string }; type: string };
      const token = bootstrapToken(run.options);
      const candidates = [before, after].map((now) => tokenSecret(token, now));
      assert.ok(candidates.some((c) => JSON.stringify(c.data) === JSON.stringify(posted.data)), JSON.stringify(unb64(posted.data)));
      assert.equal(posted.metadata.name, candidates[0]?.metadata.name);
      assert.equal(posted.type, candidates[0]?.type);
    }
    // kubeadm refuses usages without authentication: empty groups become the default group
    const refused = await server.kubeadm(['token', 'create', TOKEN, '--usages', 'signing', '--groups', '']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /token groups cannot be specified unless --usages includes "authentication"/);
    assert.throws(() => bootstrapToken({ token: TOKEN, usages: ['signing'], groups: [] }), { code: 'TOKEN_GROUPS_NEED_AUTHENTICATION' });
  } finally {
    await server.close();
  }
});
