import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { goStringCompare, isStdBase64 } from '../../../src/encoding/index.js';

const sign = (n: number): number => Math.sign(n) + 0; // + 0: -0 and 0 are the same answer
/** The reference: Go compares the UTF-8 bytes, and Node's UTF-8 encoder writes a lone surrogate as U+FFFD. */
const byUtf8Bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

test('goStringCompare orders as Go compares strings: UTF-8 bytes, not UTF-16 units', () => {
  assert.ok(goStringCompare('a', 'b') < 0);
  assert.ok(goStringCompare('b', 'a') > 0);
  assert.equal(goStringCompare('abc', 'abc'), 0);
  assert.ok(goStringCompare('ab', 'abc') < 0);
  assert.ok(goStringCompare('abc', 'ab') > 0);
  assert.ok(goStringCompare('', 'a') < 0);
  assert.ok(goStringCompare('Z', 'a') < 0);
  // U+FF61 is one UTF-16 unit above the surrogates; U+1F600 is two units starting 0xD83D, but it
  // orders after U+FF61 in UTF-8 (F0 9F... > EF BD A1), which plain `<` on JS strings gets wrong.
  assert.ok('\u{1F600}' < '\uff61');
  assert.ok(goStringCompare('\u{1F600}', '\uff61') > 0);
  assert.ok(goStringCompare('\u{10000}', '\u{10FFFF}') < 0);
});

test('goStringCompare: a lone surrogate orders as the U+FFFD its UTF-8 encoding becomes', () => {
  assert.equal(goStringCompare('\ud800', '\ufffd'), 0);
  assert.equal(goStringCompare('a\udc00', 'a\ufffd'), 0);
  assert.ok(goStringCompare('\ud800', '\ufffc') > 0);
  assert.ok(goStringCompare('\ud800', '\u{10000}') < 0);
  assert.ok(goStringCompare('\ud800x', '\ufffd') > 0);
});

test('property: goStringCompare has the sign of the UTF-8 byte comparison', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: fc.constantFrom('a', 'b', '\ud800', '\udc00', '\ufffd', '\uffff', '\u{1F600}', '\u{10000}', 'é') }),
    fc.string({ unit: 'grapheme-ascii' }),
  );
  fc.assert(
    fc.property(text, text, (a, b) => {
      assert.equal(sign(goStringCompare(a, b)), sign(byUtf8Bytes(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      assert.equal(sign(goStringCompare(b, a)), 0 - sign(goStringCompare(a, b)));
    }),
    { numRuns: 2000 },
  );
});

test('isStdBase64 accepts what base64.StdEncoding writes and nothing looser', () => {
  for (const ok of ['', 'QQ==', 'QUI=', 'QUJD', 'QUJDRA==', '+/+/', 'AAAA']) assert.equal(isStdBase64(ok), true, ok);
  for (const bad of ['Q', 'QQ', 'QQ=', 'QUI', 'Q===', '====', 'QQ==QQ==', 'QU I=', 'QUJD\n', 'QUJD\r\nRA==', ' QUJD', 'QUJD-_==', 'QUJD_w==', '=QUJ', 'QUJDRA=']) {
    assert.equal(isStdBase64(bad), false, JSON.stringify(bad));
  }
});

test('property: every base64.StdEncoding output passes, and it stops passing with a line break or without padding', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), (bytes, at) => {
      const text = Buffer.from(bytes).toString('base64');
      assert.equal(isStdBase64(text), true);
      if (text !== '') {
        const i = at % (text.length + 1);
        assert.equal(isStdBase64(`${text.slice(0, i)}\n${text.slice(i)}`), false);
      }
      if (text.endsWith('=')) assert.equal(isStdBase64(text.replace(/=+$/, '')), false);
    }),
    { numRuns: 500 },
  );
});

test('property: isStdBase64 never throws on arbitrary text', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => typeof isStdBase64(s) === 'boolean'));
});
