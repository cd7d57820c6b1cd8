import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_TOKEN_TTL,
  bootstrapToken,
  isValidTokenId,
  parseBootstrapToken,
  redactToken,
  scrubSecrets,
  validateTokenGroup,
} from '../../../src/token/index.js';
import { JoineryError, isJoineryError } from '../../../src/errors/index.js';

const SECRET = '0123456789abcdef';
const TOKEN = `abcdef.${SECRET}`;
const lowerAlnum = fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyz'.split(''));
const tokenId = fc.string({ unit: lowerAlnum, minLength: 6, maxLength: 6 });
const tokenSecretArb = fc.string({ unit: lowerAlnum, minLength: 16, maxLength: 16 });
const validToken = fc.tuple(tokenId, tokenSecretArb).map(([id, secret]) => ({ id, secret, text: `${id}.${secret}` }));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(isJoineryError(e), `not a JoineryError: ${String(e)}`);
    return e.code;
  }
  return 'OK';
}

function thrown(fn: () => unknown): JoineryError {
  try {
    fn();
  } catch (e) {
    if (e instanceof JoineryError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

function leaks(e: JoineryError, secret: string): boolean {
  return [e.message, e.fix, e.path ?? ''].some((s) => s.includes(secret));
}

test('parseBootstrapToken splits a valid token', () => {
  assert.deepEqual(parseBootstrapToken(TOKEN), { id: 'abcdef', secret: SECRET });
});

test('parseBootstrapToken applies kubeadm\'s exact pattern', () => {
  for (const bad of [
    '',
    'abcdef',
    'abcdef.',
    'abcdef.0123456789abcde', // 15
    'abcdef.0123456789abcdef0', // 17
    'abcde.0123456789abcdef',
    'ABCDEF.0123456789abcdef',
    'abcdef.0123456789ABCDEF',
    'abcdef:0123456789abcdef',
    ' abcdef.0123456789abcdef',
    'abcdef.0123456789abcdef\n',
    'abc-ef.0123456789abcdef',
  ]) {
    const e = thrown(() => parseBootstrapToken(bad, 'discovery.bootstrapToken.token'));
    assert.equal(e.code, 'TOKEN_MALFORMED', bad);
    assert.equal(e.path, 'discovery.bootstrapToken.token');
    assert.match(e.message, /\[a-z0-9\]\{6\}\.\[a-z0-9\]\{16\}/);
    if (bad.length > 0) assert.ok(!e.message.includes(bad.trim()), 'the input is echoed');
  }
  assert.equal(thrown(() => parseBootstrapToken(42)).path, undefined);
});

test('isValidTokenId', () => {
  assert.equal(isValidTokenId('abc123'), true);
  for (const bad of ['abc12', 'abc1234', 'ABC123', 'abc.12', '', 7]) assert.equal(isValidTokenId(bad), false);
});

test('redactToken keeps only a recognisable id', () => {
  assert.equal(redactToken(TOKEN), 'abcdef.<redacted>');
  assert.equal(redactToken(`  ${TOKEN}\n`), 'abcdef.<redacted>');
  assert.equal(redactToken('abcdef.garbage'), 'abcdef.<redacted>');
  assert.equal(redactToken('abcdef'), 'abcdef');
  assert.equal(redactToken(SECRET), '<redacted>');
  assert.equal(redactToken('ABCDEF.0123456789abcdef'), '<redacted>');
  assert.equal(redactToken(undefined), '<redacted>');
});

test('scrubSecrets removes tokens and known secrets from text', () => {
  assert.equal(scrubSecrets(`x ${TOKEN} y`), 'x abcdef.<redacted> y');
  assert.equal(scrubSecrets(`x${SECRET}y`, [SECRET]), 'x<redacted>y');
});

test('scrubSecrets also removes runs of 32 or more hex digits (certificate keys), not shorter ones', () => {
  const key = 'e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204';
  assert.equal(scrubSecrets(`key ${key}.`), 'key <redacted>.');
  assert.equal(scrubSecrets(`key ${key.toUpperCase()}`), 'key <redacted>');
  assert.equal(scrubSecrets('sha256:deadbeef and 0123456789abcdef0123456789abcde'), 'sha256:deadbeef and 0123456789abcdef0123456789abcde');
  // Glued to the letters before it (a YAML alias or tag written against the value: found by the config fuzz).
  assert.equal(scrubSecrets(`the alias *undefined${key} has no anchor`), 'the alias *undefin<redacted> has no anchor');
  assert.equal(scrubSecrets(`the YAML tag "!x${key}"`), 'the YAML tag "!x<redacted>"');
});

test('validateTokenGroup checks one group, with or without a path', () => {
  assert.equal(validateTokenGroup('system:bootstrappers:kubeadm:default-node-token'), 'system:bootstrappers:kubeadm:default-node-token');
  for (const [path, prefix] of [[undefined, 'bootstrap group'], ['groups[2]', 'groups[2]: bootstrap group']] as const) {
    try {
      validateTokenGroup('system:masters', path);
      assert.fail('expected TOKEN_GROUP_INVALID');
    } catch (err) {
      assert.ok(err instanceof JoineryError && err.code === 'TOKEN_GROUP_INVALID', String(err));
      assert.equal(err.path, path);
      assert.ok(err.message.startsWith(`${prefix} "system:masters" is invalid`), err.message);
    }
  }
});

test('bootstrapToken fills kubeadm token create\'s defaults', () => {
  const t = bootstrapToken({ token: TOKEN });
  assert.deepEqual(t, {
    token: { id: 'abcdef', secret: SECRET },
    usages: ['signing', 'authentication'],
    groups: ['system:bootstrappers:kubeadm:default-node-token'],
    ttl: 24n * 3600n * 1_000_000_000n,
  });
  assert.equal(DEFAULT_TOKEN_TTL, 86_400_000_000_000n);
});

test('bootstrapToken generates a token when none is given, from the injected random source', () => {
  const t = bootstrapToken({}, { random: (n) => new Uint8Array(n).fill(1) });
  assert.deepEqual(t.token, { id: '111111', secret: '1111111111111111' });
});

test('bootstrapToken accepts ttl text, ttl 0, expires and token parts', () => {
  assert.equal(bootstrapToken({ token: TOKEN, ttl: '1h30m' }).ttl, 5_400_000_000_000n);
  assert.equal(bootstrapToken({ token: TOKEN, ttl: 0n }).ttl, 0n);
  assert.equal(bootstrapToken({ token: TOKEN, ttl: '0' }).ttl, 0n);
  const e = bootstrapToken({ token: { id: 'abcdef', secret: SECRET }, expires: '2026-11-23T04:00:00+02:00' });
  assert.equal(e.ttl, undefined);
  assert.equal(e.expires?.toISOString(), '2026-11-23T02:00:00.000Z');
  assert.equal(bootstrapToken({ token: TOKEN, description: 'x' }).description, 'x');
  assert.equal(bootstrapToken({ token: TOKEN, description: '' }).description, undefined);
  // as kubeadm's SetDefaults_BootstrapToken: empty lists mean the defaults
  const empty = bootstrapToken({ token: TOKEN, usages: [], groups: [] });
  assert.deepEqual(empty.usages, ['signing', 'authentication']);
  assert.deepEqual(empty.groups, ['system:bootstrappers:kubeadm:default-node-token']);
  assert.deepEqual(bootstrapToken({ token: TOKEN, usages: ['authentication'], groups: ['system:bootstrappers:x'] }).groups, ['system:bootstrappers:x']);
});

test('bootstrapToken rejects each broken rule with its own code and path', () => {
  const cases: Array<[unknown, string, string | undefined]> = [
    [{ token: 'abcdef.short' }, 'TOKEN_MALFORMED', 'token'],
    [{ token: { id: 'abcdef' } }, 'TOKEN_MALFORMED', 'token'],
    [{ token: 5 }, 'TOKEN_MALFORMED', 'token'],
    [{ token: TOKEN, usages: ['signing', 'signng'] }, 'TOKEN_USAGE_INVALID', 'usages[1]'],
    [{ token: TOKEN, usages: 'signing' }, 'TOKEN_USAGE_INVALID', 'usages'],
    [{ token: TOKEN, groups: ['system:bootstrappers:ok', 'system:nodes'] }, 'TOKEN_GROUP_INVALID', 'groups[1]'],
    [{ token: TOKEN, groups: ['system:bootstrappers:'] }, 'TOKEN_GROUP_INVALID', 'groups[0]'],
    [{ token: TOKEN, groups: ['system:bootstrappers:a-'] }, 'TOKEN_GROUP_INVALID', 'groups[0]'],
    [{ token: TOKEN, groups: [`system:bootstrappers:${'a'.repeat(257)}`] }, 'TOKEN_GROUP_INVALID', 'groups[0]'],
    // kubeadm: --usages signing keeps the default group, which then needs "authentication"
    [{ token: TOKEN, usages: ['signing'] }, 'TOKEN_GROUPS_NEED_AUTHENTICATION', 'groups'],
    [{ token: TOKEN, usages: ['signing'], groups: [] }, 'TOKEN_GROUPS_NEED_AUTHENTICATION', 'groups'],
    [{ token: TOKEN, ttl: -1n }, 'TOKEN_TTL_INVALID', 'ttl'],
    [{ token: TOKEN, ttl: '-1h' }, 'TOKEN_TTL_INVALID', 'ttl'],
    [{ token: TOKEN, ttl: '1d' }, 'TOKEN_TTL_INVALID', 'ttl'],
    [{ token: TOKEN, ttl: 3600 }, 'TOKEN_TTL_INVALID', 'ttl'],
    [{ token: TOKEN, ttl: '1h', expires: new Date(0) }, 'TOKEN_EXPIRY_CONFLICT', 'expires'],
    [{ token: TOKEN, expires: '2026-11-23 04:00:00' }, 'TOKEN_EXPIRES_INVALID', 'expires'],
    [{ token: TOKEN, expires: new Date(Number.NaN) }, 'TOKEN_EXPIRES_INVALID', 'expires'],
    [{ token: TOKEN, expires: new Date('+010000-01-01T00:00:00Z') }, 'TOKEN_EXPIRES_INVALID', 'expires'],
    [{ token: TOKEN, description: 3 }, 'TOKEN_DESCRIPTION_INVALID', 'description'],
    [null, 'TOKEN_OPTIONS_INVALID', undefined],
  ];
  for (const [options, want, path] of cases) {
    const e = thrown(() => bootstrapToken(options as never));
    assert.equal(e.code, want, JSON.stringify(options, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
    assert.equal(e.path, path);
  }
  assert.equal(thrown(() => bootstrapToken({ token: TOKEN, usages: ['x'] }, { path: 'bootstrapTokens[2]' })).path,
    'bootstrapTokens[2].usages[0]');
});

test('the usage error names the unknown usage and the valid ones', () => {
  const e = thrown(() => bootstrapToken({ token: TOKEN, usages: ['signing', 'signng'] }));
  assert.match(e.message, /"signng"/);
  assert.match(e.message, /signing,authentication/);
});

test('property: parseBootstrapToken returns a token or throws TOKEN_MALFORMED, never echoing input', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.anything(), validToken.map((t) => t.text)), (input) => {
      try {
        const t = parseBootstrapToken(input);
        assert.equal(`${t.id}.${t.secret}`, input);
      } catch (e) {
        assert.ok(e instanceof JoineryError && e.code === 'TOKEN_MALFORMED');
        if (typeof input === 'string' && input.length >= 4) assert.ok(!e.message.includes(input));
      }
    }),
    { numRuns: 500 },
  );
});

test('property: bootstrapToken on arbitrary input returns a token or throws JoineryError', () => {
  const options = fc.oneof(
    fc.anything(),
    fc.record(
      {
        token: fc.oneof(fc.anything(), validToken.map((t) => t.text)),
        ttl: fc.oneof(fc.bigInt(), fc.string(), fc.constantFrom('24h', '0', '-5m')),
        expires: fc.oneof(fc.date(), fc.string()),
        usages: fc.oneof(fc.anything(), fc.array(fc.constantFrom('signing', 'authentication', 'x'))),
        groups: fc.oneof(fc.anything(), fc.array(fc.constantFrom('system:bootstrappers:a', 'system:masters'))),
        description: fc.anything(),
      },
      { requiredKeys: [] },
    ),
  );
  fc.assert(
    fc.property(options, (o) => {
      try {
        const t = bootstrapToken(o as never);
        assert.ok(t.ttl === undefined || t.ttl >= 0n);
        assert.ok(!(t.ttl !== undefined && t.expires !== undefined));
      } catch (e) {
        assert.ok(isJoineryError(e), String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: a token secret embedded in invalid input never appears in an error', () => {
  const embed = fc.tuple(validToken, fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 })).chain(([t, pre, post]) =>
    fc.constantFrom(
      { t, options: { token: `${pre}${t.text}${post}X` } },
      { t, options: { token: `${t.id}.${t.secret}A` } },
      { t, options: { token: `${t.id.toUpperCase()}.${t.secret}` } },
      { t, options: { token: { id: t.id, secret: `${t.secret}!` } } },
      { t, options: { token: t.text, usages: [`${pre}${t.secret}${post}`] } },
      { t, options: { token: t.text, usages: [t.text] } },
      { t, options: { token: t.text, groups: [`system:bootstrappers:${t.text}`] } },
      { t, options: { token: t.text, groups: [`system:bootstrappers:${t.secret}-`] } },
      { t, options: { token: t.text, ttl: t.secret } },
      { t, options: { token: t.text, ttl: t.text } },
      { t, options: { token: t.text, expires: `${t.secret}` } },
      { t, options: { token: `x${t.text}`, usages: [t.secret] } },
    ),
  );
  fc.assert(
    fc.property(embed, ({ t, options }) => {
      const check = (fn: () => unknown): void => {
        try {
          fn();
        } catch (e) {
          assert.ok(isJoineryError(e));
          assert.ok(!leaks(e, t.secret), `${e.code} leaks: ${e.message} / ${e.fix} / ${e.path}`);
        }
      };
      check(() => bootstrapToken(options as never));
      if (typeof options.token === 'string') check(() => parseBootstrapToken(options.token as string, 'token'));
    }),
    { numRuns: 1000 },
  );
});

test('code() helper sanity: a valid token parses', () => {
  assert.equal(code(() => parseBootstrapToken(TOKEN)), 'OK');
  assert.equal(code(() => parseBootstrapToken('nope')), 'TOKEN_MALFORMED');
});
