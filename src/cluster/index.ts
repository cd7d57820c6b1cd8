/**
 * The cluster gateway: the only code that talks to the Kubernetes API (DESIGN "Layers"). Credentials in
 * kubectl's order, a retrying JSON client with typed errors, and the calls joinery makes.
 */
export { loadCredentials, kubeconfigCredentials, type ClusterCredentials, type CredentialsOptions } from './credentials.js';
export { KubeClient, DEFAULT_RETRY, type Action, type RequestOptions, type RetryPolicy } from './client.js';
export * from './api.js';

import { loadCredentials, type CredentialsOptions } from './credentials.js';
import { KubeClient } from './client.js';

/** A client for the credentials found in kubectl's order. */
export function connect(options: CredentialsOptions = {}): KubeClient {
  return new KubeClient(loadCredentials(options));
}
export * from './join.js';
export { Informer, type InformerEventType, type InformerOptions, type KubeObject } from './informer.js';
export * from './nodes.js';
export { LeaderElector, leaseExpiry, microTime, type Lease, type LeaseSpec, type LeaderElectionOptions } from './lease.js';
