/**
 * A Machine, the provisioner's record (DESIGN "State"): derived, never stored. Its token Secret carries
 * the name, profile and format (labels and annotations under joinery.dev/); its CSR says approved or
 * denied; its Node (labelled by the kubelet with joinery.dev/machine) says joined or ready. Pure: the
 * caller passes the objects it read and `now`.
 */
import { createHash } from 'node:crypto';
import type { CertificateSigningRequest, NodeObject, StoredSecret } from '../../cluster/index.js';
import { csrDecision, nodeReady } from '../../cluster/index.js';
import { decodeTokenSecret, isTokenExpired } from '../../token/index.js';

export const MACHINE_LABEL = 'joinery.dev/machine';
export const PROFILE_LABEL = 'joinery.dev/profile';
export const FORMAT_ANNOTATION = 'joinery.dev/format';
export const DELIVERY_ANNOTATION = 'joinery.dev/delivery';
/** sha256 (hex) of the one-time fetch nonce; the nonce itself is never stored. */
export const NONCE_ANNOTATION = 'joinery.dev/nonce-sha256';
/** The name of the API key that minted the machine (a retry by the same key gets the same token back). */
export const REQUESTED_BY_ANNOTATION = 'joinery.dev/requested-by';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The bootstrap token id of machine `name`: 6 characters of [a-z0-9] from SHA-256 of the name. One name,
 * one token Secret name (`bootstrap-token-<id>`), so the API server itself refuses a second token for a
 * machine, whichever replica or retry asks. The id is public (it is in `system:bootstrap:<id>`); the
 * secret half stays random. Two names that share an id (about 1 in 2 billion per pair) are told apart by
 * the Secret's machine label, and the second gets a random id.
 */
export function machineTokenId(name: string): string {
  const digest = createHash('sha256').update(`joinery.dev/machine-token-id\n${name}`).digest();
  let id = '';
  // 252 = 7 * 36: bytes at or above it are skipped so that every character is equally likely.
  for (const byte of digest) {
    if (byte >= 252) continue;
    id += ID_ALPHABET[byte % 36];
    if (id.length === 6) return id;
  }
  return (id + 'aaaaaa').slice(0, 6);
}

/** Type of the Secret that marks a one-time URL as used (its creation is the atomic "use"). */
export const FETCH_MARKER_TYPE = 'joinery.dev/fetch-marker';

export const MACHINE_STATES = ['pending', 'approved', 'joined', 'ready', 'expired', 'revoked', 'denied'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

export interface Machine {
  name: string;
  profile: string;
  format?: string;
  state: MachineState;
  /** The token's public id (never its secret), while the token exists. */
  tokenId?: string;
  mintedAt?: string;
  expiresAt?: string;
  approvedAt?: string;
  deniedAt?: string;
  /** The CSR condition's reason and message when denied. */
  denial?: { reason: string; message: string };
  joinedAt?: string;
  readyAt?: string;
  revokedAt?: string;
}

export interface MachineSources {
  /** The machine's token Secret, if it still exists. */
  token?: StoredSecret;
  /** The token's latest kubelet client CSR (username system:bootstrap:<id>), if any. */
  csr?: CertificateSigningRequest;
  /** The Node of the machine's name, if registered. */
  node?: NodeObject;
}

/** The machine's name and profile from a joinery token Secret, or undefined when the Secret is not one. */
export function machineIdentity(secret: StoredSecret): { name: string; profile: string } | undefined {
  const name = secret.metadata.labels?.[MACHINE_LABEL];
  const profile = secret.metadata.labels?.[PROFILE_LABEL];
  return name === undefined || profile === undefined ? undefined : { name, profile };
}

/**
 * The machine's state: a Node makes it `joined` (`ready` once the Node is Ready); else its token's CSR
 * decides `approved` or `denied`; else the token is `pending` or, past its expiration, `expired`.
 * Undefined when nothing is left of it (a revoked machine's token is gone: DELETE reports `revoked`).
 */
export function machineOf(name: string, sources: MachineSources, now: Date): Machine | undefined {
  const { token, csr, node } = sources;
  const profile = (token !== undefined ? token.metadata.labels?.[PROFILE_LABEL] : undefined) ?? node?.metadata.labels?.[PROFILE_LABEL];
  if (profile === undefined) return undefined;
  const m: Machine = { name, profile, state: 'pending' };
  const format = token?.metadata.annotations?.[FORMAT_ANNOTATION];
  if (format !== undefined) m.format = format;
  if (token !== undefined) {
    const decoded = decodeTokenSecret(token);
    m.tokenId = decoded.token.id;
    if (token.metadata.creationTimestamp !== undefined) m.mintedAt = token.metadata.creationTimestamp;
    if (decoded.expiration !== undefined) m.expiresAt = decoded.expiration;
    if (isTokenExpired(decoded, now)) m.state = 'expired';
  }
  const decision = csr === undefined ? undefined : csrDecision(csr);
  if (decision !== undefined) {
    const at = decision.lastUpdateTime ?? decision.lastTransitionTime ?? csr?.metadata.creationTimestamp;
    if (decision.type === 'Approved') {
      m.state = 'approved';
      if (at !== undefined) m.approvedAt = at;
    } else {
      m.state = 'denied';
      if (at !== undefined) m.deniedAt = at;
      m.denial = { reason: decision.reason ?? '', message: decision.message ?? '' };
    }
  }
  if (node !== undefined) {
    m.state = nodeReady(node) ? 'ready' : 'joined';
    if (node.metadata.creationTimestamp !== undefined) m.joinedAt = node.metadata.creationTimestamp;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
    if (ready?.lastTransitionTime !== undefined) m.readyAt = ready.lastTransitionTime;
  }
  return m;
}
