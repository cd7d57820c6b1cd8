/**
 * The random-byte source the core takes as an argument instead of reading entropy itself, so that
 * tests can pass fixed bytes; `cryptoRandomBytes` (Node's crypto.randomBytes) is the default.
 *
 * A leaf module, like src/errors, src/duration, src/encoding, src/gotime and src/goyaml: it imports
 * nothing of ours, so src/token and src/pki (which must not import each other) both use it.
 */
import { randomBytes } from 'node:crypto';

/** Returns `n` random bytes. Each caller says what it does when a source returns fewer. */
export type RandomBytes = (n: number) => Uint8Array;

/** Node's crypto.randomBytes (the operating system's CSPRNG), the default RandomBytes. */
export const cryptoRandomBytes: RandomBytes = (n) => randomBytes(n);
