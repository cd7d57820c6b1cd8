import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoRandomBytes } from '../../../src/random/index.js';

test('cryptoRandomBytes returns the bytes asked for, fresh each time', () => {
  for (const n of [0, 1, 32]) assert.equal(cryptoRandomBytes(n).length, n);
  assert.notDeepEqual(cryptoRandomBytes(32), cryptoRandomBytes(32));
});
