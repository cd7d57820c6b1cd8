/** Assertions on the project's error type, shared by the unit tests. */
import assert from 'node:assert/strict';
import { JoineryError } from '../../src/errors/index.js';

/** Runs `fn`, asserts that it throws a JoineryError with `code`, and returns that error. */
export function throwsCode(fn: () => unknown, code: string): JoineryError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof JoineryError, `expected JoineryError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}
