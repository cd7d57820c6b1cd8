import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import {
  HOUR,
  MICROSECOND,
  MILLISECOND,
  MINUTE,
  SECOND,
  formatDuration,
  parseDuration,
  shortHumanDuration,
} from '../../../src/duration/index.js';

const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

// Expected strings are Go's time.Duration.String() results (Go's own test table).
const formats: Array<[bigint, string]> = [
  [0n, '0s'],
  [1n, '1ns'],
  [1100n, '1.1\u00b5s'],
  [2200n * MICROSECOND, '2.2ms'],
  [3300n * MILLISECOND, '3.3s'],
  [4n * MINUTE + 5n * SECOND, '4m5s'],
  [4n * MINUTE + 5001n * MILLISECOND, '4m5.001s'],
  [5n * HOUR + 6n * MINUTE + 7001n * MILLISECOND, '5h6m7.001s'],
  [8n * HOUR + 1n, '8h0m0.000000001s'],
  [24n * HOUR, '24h0m0s'],
  [MAX, '2562047h47m16.854775807s'],
  [MIN, '-2562047h47m16.854775808s'],
  [-1500n * MILLISECOND, '-1.5s'],
];

test('formatDuration matches Go Duration.String', () => {
  for (const [ns, text] of formats) assert.equal(formatDuration(ns), text, `for ${ns}`);
});

// Inputs and results from Go's ParseDuration tests.
const parses: Array<[string, bigint]> = [
  ['0', 0n],
  ['5s', 5n * SECOND],
  ['-5s', -5n * SECOND],
  ['+5s', 5n * SECOND],
  ['-0', 0n],
  ['5.0s', 5n * SECOND],
  ['5.6s', 5n * SECOND + 600n * MILLISECOND],
  ['5.s', 5n * SECOND],
  ['.5s', 500n * MILLISECOND],
  ['1.004s', 1004n * MILLISECOND],
  ['100.00100s', 100n * SECOND + MILLISECOND],
  ['10ns', 10n],
  ['11us', 11n * MICROSECOND],
  ['12\u00b5s', 12n * MICROSECOND],
  ['12\u03bcs', 12n * MICROSECOND],
  ['13ms', 13n * MILLISECOND],
  ['15m', 15n * MINUTE],
  ['16h', 16n * HOUR],
  ['3h30m', 3n * HOUR + 30n * MINUTE],
  ['10.5s4m', 4n * MINUTE + 10n * SECOND + 500n * MILLISECOND],
  ['-2m3.4s', -(2n * MINUTE + 3n * SECOND + 400n * MILLISECOND)],
  ['1h2m3s4ms5us6ns', HOUR + 2n * MINUTE + 3n * SECOND + 4n * MILLISECOND + 5n * MICROSECOND + 6n],
  ['39h9m14.425s', 39n * HOUR + 9n * MINUTE + 14n * SECOND + 425n * MILLISECOND],
  ['9007199254740993ns', 9007199254740993n],
  ['9223372036854775807ns', MAX],
  ['9223372036854775.807us', MAX],
  ['-9223372036854775808ns', MIN],
  ['0.3333333333333333333h', 20n * MINUTE],
  ['0.100000000000000000000h', 6n * MINUTE],
  ['0.830103483285477580700h', 49n * MINUTE + 48n * SECOND + 372539827n],
];

test('parseDuration matches Go time.ParseDuration', () => {
  for (const [text, ns] of parses) assert.equal(parseDuration(text), ns, `for ${text}`);
});

test('parseDuration rejects what Go rejects, with a typed error naming the field', () => {
  for (const bad of ['', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '24 h', 'h1', '9223372036854775808ns', '-9223372036854775809ns']) {
    assert.throws(
      () => parseDuration(bad, 'ttl'),
      (err: unknown) => err instanceof JoineryError && err.code === 'DURATION_INVALID' && err.path === 'ttl' && err.message.startsWith('ttl: '),
      `for ${JSON.stringify(bad)}`,
    );
  }
});

test('format then parse is the identity over the whole int64 range', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: MIN, max: MAX }), (ns) => {
      assert.equal(parseDuration(formatDuration(ns)), ns);
    }),
    { numRuns: 5000 },
  );
});

test('parseDuration returns a bigint or throws JoineryError on arbitrary text', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-+]?[0-9.]{0,6}(ns|us|ms|s|m|h|d|x)?([0-9.]{0,3}[hms])?$/)), (s) => {
      try {
        assert.equal(typeof parseDuration(s), 'bigint');
      } catch (err) {
        assert.ok(err instanceof JoineryError, String(err));
      }
    }),
    { numRuns: 5000 },
  );
});

test('shortHumanDuration matches apimachinery (kubeadm token list TTL column)', () => {
  const cases: Array<[number, string]> = [
    [-2001, '<invalid>'],
    [-1999, '0s'],
    [-500, '0s'],
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [3_599_999, '59m'],
    [3_600_000, '1h'],
    [86_399_999, '23h'],
    [86_400_000, '1d'],
    [364 * 86_400_000 + 86_399_999, '364d'],
    [365 * 86_400_000, '1y'],
    [3 * 365 * 86_400_000 + 5, '3y'],
  ];
  for (const [ms, text] of cases) assert.equal(shortHumanDuration(ms), text, `for ${ms}ms`);
});
