/**
 * How the CLI reports failures: a JoineryError prints its message and fix on stderr and exits with
 * its family's status (src/errors EXIT_CODES); anything else is a bug and exits 70 (EX_SOFTWARE).
 * Messages never carry secrets (the core guarantees it), so they are printed as they are.
 */
import { EXIT_CODES, isJoineryError } from '../errors/index.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** Writes the error for a person and returns the exit status to use. */
export function reportError(err: unknown, io: Io): number {
  if (isJoineryError(err)) {
    io.stderr(`error: ${err.message}\n`);
    if (err.fix) io.stderr(`  fix: ${err.fix}\n`);
    io.stderr(`  code: ${err.code}\n`);
    return EXIT_CODES[err.family];
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  io.stderr(`internal error (a bug in joinery; please report it): ${text}\n`);
  return EXIT_CODES.internal;
}
