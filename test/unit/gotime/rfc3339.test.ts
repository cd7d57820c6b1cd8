import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatGoRfc3339, parseGoRfc3339 } from '../../../src/gotime/index.js';

// Each verdict below was checked against kubeadm v1.20.2 (Go 1.19) listing a token with that expiration:
// a parsed one is listed with the EXPIRES text given, an unparseable one is skipped.
const ACCEPTED: Array<[string, string, string]> = [
  ['2030-01-01T10:00:00Z', '2030-01-01T10:00:00Z', '2030-01-01T10:00:00.000Z'],
  ['2030-01-01T1:00:00Z', '2030-01-01T01:00:00Z', '2030-01-01T01:00:00.000Z'],
  ['2030-01-01T10:00:00,5Z', '2030-01-01T10:00:00Z', '2030-01-01T10:00:00.500Z'],
  ['2030-01-01T10:00:00.123456789123Z', '2030-01-01T10:00:00Z', '2030-01-01T10:00:00.123Z'],
  ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ['2030-01-01T10:00:00+25:00', '2030-01-01T10:00:00+25:00', '2029-12-31T09:00:00.000Z'],
  ['2030-01-01T10:00:00+24:60', '2030-01-01T10:00:00+25:00', '2029-12-31T09:00:00.000Z'],
  ['2030-01-01T10:00:00+24:61', '2030-01-01T10:00:00+25:01', '2029-12-31T08:59:00.000Z'],
  ['2030-01-01T10:00:00-00:00', '2030-01-01T10:00:00Z', '2030-01-01T10:00:00.000Z'],
  ['2030-01-01T10:00:00+05:30', '2030-01-01T10:00:00+05:30', '2030-01-01T04:30:00.000Z'],
  ['0000-01-01T00:00:00+01:00', '0000-01-01T00:00:00+01:00', '-000001-12-31T23:00:00.000Z'],
  ['9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59-23:59', '+010000-01-01T23:58:59.000Z'],
];
const REJECTED = [
  '2030-02-29T00:00:00Z',
  '2030-01-01t10:00:00Z',
  '2030-01-01T10:00:00z',
  '2030-01-01T10:00:00+0200',
  '2030-01-01T24:00:00Z',
  '2030-01-01T10:00:60Z',
  '2030-1-01T10:00:00Z',
  ' 2030-01-01T10:00:00Z',
  '2030-01-01T10:00:00Z ',
  '2030-01-01T10:00:00.Z',
  '2030-01-01T10:00:00+1:00',
  '2030-13-01T10:00:00Z',
  '2030-00-01T10:00:00Z',
  '2030-01-00T10:00:00Z',
  '2030-04-31T10:00:00Z',
  '1900-02-29T10:00:00Z',
  '2030-01-01T10:60:00Z',
  '2030-01-01T10:00Z',
  '2030-01-01',
  '',
  '+2030-01-01T10:00:00Z',
];

test('parseGoRfc3339 accepts what Go accepts and Format writes it back as Go does', () => {
  for (const [input, formatted, iso] of ACCEPTED) {
    const t = parseGoRfc3339(input);
    assert.ok(t, input);
    assert.equal(formatGoRfc3339(t), formatted, input);
    assert.equal(new Date(t.unixSeconds * 1000 + Math.floor(t.nanos / 1e6)).toISOString(), iso, input);
  }
  assert.equal(parseGoRfc3339('2030-01-01T10:00:00.123456789123Z')?.nanos, 123456789);
  assert.equal(parseGoRfc3339('2030-01-01T10:00:00Z')?.utc, true);
});

test('parseGoRfc3339 rejects what Go rejects', () => {
  for (const input of REJECTED) assert.equal(parseGoRfc3339(input), undefined, JSON.stringify(input));
});

test('property: Format then Parse is the identity on whole-second times and offsets', () => {
  fc.assert(
    fc.property(
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }),
      fc.integer({ min: -24 * 60 - 59, max: 24 * 60 + 59 }),
      (d, offsetMinutes) => {
        const t = { unixSeconds: Math.floor(d.getTime() / 1000), nanos: 0, offsetSeconds: offsetMinutes * 60, utc: false };
        const text = formatGoRfc3339(t);
        const back = parseGoRfc3339(text);
        assert.ok(back, text);
        assert.equal(back.unixSeconds, t.unixSeconds);
        assert.equal(formatGoRfc3339(back), text);
      },
    ),
  );
});

test('property: parseGoRfc3339 never throws', () => {
  fc.assert(fc.property(fc.string(), (s) => {
    parseGoRfc3339(s);
  }));
});
