/**
 * The provisioner's configuration (issue 5 §1, "The contract"): the value `parseProvisionerConfig`
 * makes of joinery.yaml. Every field is validated and defaulted; the server only reads it.
 */
import type { Format } from '../../userdata/plan.js';
import type { MachineSpec } from '../../userdata/spec/index.js';

/** The roles `joinery serve` mints machines for (it never initialises a cluster). */
export const PROFILE_ROLES = ['worker', 'control-plane'] as const;
export type ProfileRole = (typeof PROFILE_ROLES)[number];

export const API_KEY_SCOPES = ['admin', 'provisioner'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Where the service listens: `host` as written (an IP address or a name; IPv6 without brackets). */
export interface ListenAddress {
  host: string;
  /** 0 asks the system for a free port (tests). */
  port: number;
}

/** Plain HTTP, allowed only on a loopback listen address. */
export interface InsecureLoopbackTls {
  insecureLoopback: true;
}

/** TLS serving from a PEM certificate (chain) and key, paths as written in the file. */
export interface FileTls {
  certFile: string;
  keyFile: string;
}

export type TlsConfig = InsecureLoopbackTls | FileTls;

/** One bearer API key, stored only as the SHA-256 of the key. */
export interface ApiKey {
  name: string;
  /** 32 bytes. */
  sha256: Buffer;
  scope: ApiKeyScope;
  /** The profiles a `provisioner` key may use (each exists); empty for `admin`, which may use all. */
  profiles: string[];
  /** Requests per second this key may make (token bucket); from the top-level `rateLimit` unless set. */
  rateLimit: RateLimit;
}

/** A token bucket: `requestsPerSecond` on average, bursts of up to `burst`. */
export interface RateLimit {
  requestsPerSecond: number;
  burst: number;
}

/**
 * Leader election among replicas (a coordination.k8s.io Lease): only the leader runs the CSR approver,
 * the revoker and the collector of expired tokens; every replica serves the API.
 */
export interface LeaderElectionConfig {
  /** Omitted: $POD_NAMESPACE, else kube-system. */
  namespace?: string;
  name: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

/** A kind of machine the service mints: role, bootstrap-data format, token lifetime, allowed names, spec. */
export interface Profile {
  name: string;
  role: ProfileRole;
  /** The default format of its bootstrap data (a request may ask for another). */
  format: Format;
  /** Lifetime of each machine's bootstrap token, whole seconds, 1 s to 24 h. */
  tokenTtlSeconds: number;
  /** Matches the whole node name (the pattern is anchored implicitly). */
  nodeNamePattern: RegExp;
  /** The pattern as written in the file (or the default). */
  nodeNamePatternSource: string;
  spec: MachineSpec;
}

export interface ProvisionerConfig {
  listen: ListenAddress;
  tls: TlsConfig;
  /** Omitted: the in-cluster service account. */
  kubeconfig?: string;
  context?: string;
  /**
   * Base URL machines use for one-time fetches, without a trailing slash, as written; undefined: see
   * `publicBaseUrl`, which derives it from the listen address.
   */
  publicUrl?: string;
  apiKeys: ApiKey[];
  profiles: Record<string, Profile>;
  leaderElection: LeaderElectionConfig;
}
