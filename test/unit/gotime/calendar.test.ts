import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { daysIn } from '../../../src/gotime/index.js';

test('daysIn: Gregorian month lengths, leap years by the 4/100/400 rule', () => {
  assert.deepEqual(
    Array.from({ length: 12 }, (_, i) => daysIn(i + 1, 2023)),
    [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  );
  assert.equal(daysIn(2, 2024), 29);
  assert.equal(daysIn(2, 1900), 28);
  assert.equal(daysIn(2, 2000), 29);
  assert.equal(daysIn(2, 0), 29);
  assert.equal(daysIn(0, 2024), 0);
  assert.equal(daysIn(13, 2024), 0);
});

test('property: daysIn agrees with the proleptic Gregorian calendar of Date', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
      const d = new Date(0);
      d.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of `month`
      assert.equal(daysIn(month, year), d.getUTCDate());
    }),
    { numRuns: 1000 },
  );
});
