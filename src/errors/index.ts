/**
 * The one error type of joinery (see DESIGN "Errors"): a stable machine-readable `code`, a message in
 * the user's terms, a `fix` line that says what to do, and optionally the `path` of the offending field
 * (`discovery.bootstrapToken.caCertHashes[0]`). No secret ever goes into any of them: callers pass
 * redacted values only (see `redactToken` in src/token).
 */

/** Families group codes; the CLI maps each family to its own exit status. */
export type ErrorFamily =
  | 'usage' // the command line is incomplete or malformed (a missing flag, an unknown flag value)
  | 'input' // the user's input is malformed or breaks a rule (files, config documents, flag contents)
  | 'trust' // discovery or a pin check failed: the node cannot trust the control plane
  | 'cluster' // the Kubernetes API refused or failed
  | 'io' // local files or the network, outside the cluster API
  | 'internal'; // a bug in joinery

/** Exit status of the CLI for each family (64/65/69/74/70 follow sysexits.h). */
export const EXIT_CODES: Readonly<Record<ErrorFamily, number>> = {
  usage: 64,
  input: 65,
  trust: 76,
  cluster: 69,
  io: 74,
  internal: 70,
};

export interface JoineryErrorOptions {
  /** The field that is wrong, as a path into the document or flag set (`nodeRegistration.taints[1].effect`). */
  path?: string;
  family?: ErrorFamily;
  cause?: unknown;
}

/** The project's typed error: `code` is stable API, `message` and `fix` are for humans. */
export class JoineryError extends Error {
  override readonly name = 'JoineryError';
  readonly code: string;
  readonly fix: string;
  readonly path: string | undefined;
  readonly family: ErrorFamily;

  constructor(code: string, message: string, fix: string, options: JoineryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fix = fix;
    this.path = options.path;
    this.family = options.family ?? 'input';
  }

  /** The shape the HTTP API and `-o json` return: `{code, message, fix, path?}`. */
  toJSON(): { code: string; message: string; fix: string; path?: string } {
    return this.path === undefined
      ? { code: this.code, message: this.message, fix: this.fix }
      : { code: this.code, message: this.message, fix: this.fix, path: this.path };
  }
}

/** True for errors of this project (and only those). */
export function isJoineryError(err: unknown): err is JoineryError {
  return err instanceof JoineryError;
}
