import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detachedJws, jwsKeyOfTokenId, verifyDetachedJws } from '../../../src/discovery/index.js';

const VECTOR = {
  id: 'joshua',
  secret: 'my voice is my passcode',
  content: 'Hello from the other side. I must have called a thousand times.',
  jws: 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8',
};

test('detachedJws matches the cluster-bootstrap jws test vector', () => {
  assert.equal(detachedJws(VECTOR.content, VECTOR.id, VECTOR.secret), VECTOR.jws);
  assert.equal(verifyDetachedJws(VECTOR.jws, VECTOR.content, VECTOR.id, VECTOR.secret), true);
});

test('the detached JWS has the protected header {"alg":"HS256","kid":<id>} and no payload', () => {
  const jws = detachedJws('content', 'abcdef', '0123456789abcdef');
  const [header, payload, signature] = jws.split('.');
  assert.equal(Buffer.from(header!, 'base64url').toString(), '{"alg":"HS256","kid":"abcdef"}');
  assert.equal(payload, '');
  assert.match(signature!, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(jwsKeyOfTokenId('abcdef'), 'jws-kubeconfig-abcdef');
});

test('verifyDetachedJws rejects a wrong secret, id or content, and values of other lengths without throwing', () => {
  const { id, secret, content, jws } = VECTOR;
  assert.equal(verifyDetachedJws(jws, content, id, 'my voice is my passcodE'), false);
  assert.equal(verifyDetachedJws(jws, content, 'joshuA', secret), false);
  assert.equal(verifyDetachedJws(jws, `${content} `, id, secret), false);
  for (const other of ['', 'x', `${jws}=`, jws.slice(0, -1), `${jws}${jws}`]) {
    assert.equal(verifyDetachedJws(other, content, id, secret), false);
  }
  assert.equal(verifyDetachedJws(undefined as unknown as string, content, id, secret), false);
});

const tokenId = fc.stringMatching(/^[a-z0-9]{6}$/);
const tokenSecret = fc.stringMatching(/^[a-z0-9]{16}$/);

test('property: sign then verify round trips', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), tokenId, tokenSecret, (content, id, secret) => {
      assert.equal(verifyDetachedJws(detachedJws(content, id, secret), content, id, secret), true);
    }),
  );
});

test('property: any single-byte change of the content or the signature fails verification', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, unit: 'grapheme-ascii' }),
      tokenId,
      tokenSecret,
      fc.nat(),
      fc.integer({ min: 1, max: 127 }),
      fc.boolean(),
      (content, id, secret, at, flip, inSignature) => {
        const jws = detachedJws(content, id, secret);
        const mutate = (s: string): string => {
          const b = Buffer.from(s, 'latin1');
          const i = at % b.length;
          b[i] = (b[i]! ^ flip) & 0x7f;
          return b.toString('latin1');
        };
        if (inSignature) {
          const changed = mutate(jws);
          fc.pre(changed !== jws);
          assert.equal(verifyDetachedJws(changed, content, id, secret), false);
        } else {
          const changed = mutate(content);
          fc.pre(changed !== content);
          assert.equal(verifyDetachedJws(jws, changed, id, secret), false);
        }
      },
    ),
  );
});
