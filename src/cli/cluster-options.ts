/**
 * The flags every cluster-facing command shares (`--kubeconfig`, `--context`) and the client they make.
 * Credentials are looked up in kubectl's order (src/cluster), then kubeadm's default
 * /etc/kubernetes/admin.conf, then the in-cluster service account.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadCredentials } from '../cluster/index.js';
import type { Io } from './report.js';

export interface ClusterOptions {
  kubeconfig?: string;
  context?: string;
}

/** kubeadm's default `--kubeconfig`. */
export const KUBEADM_ADMIN_CONF = '/etc/kubernetes/admin.conf';

/** A client for the command's credentials; retries are reported on stderr so a slow API is visible. */
export function clusterClient(options: ClusterOptions, io: Io): KubeClient {
  let kubeconfig = options.kubeconfig;
  if (
    kubeconfig === undefined &&
    (process.env['KUBECONFIG'] ?? '') === '' &&
    !existsSync(join(process.env['HOME'] ?? homedir(), '.kube', 'config')) &&
    existsSync(KUBEADM_ADMIN_CONF)
  ) {
    kubeconfig = KUBEADM_ADMIN_CONF;
  }
  const client = new KubeClient(
    loadCredentials({
      ...(kubeconfig === undefined ? {} : { kubeconfig }),
      ...(options.context === undefined ? {} : { context: options.context }),
    }),
  );
  client.retry = {
    ...client.retry,
    onRetry: ({ attempt, delayMs, reason }) =>
      io.stderr(`the Kubernetes API is not answering (${reason}); retry ${attempt} in ${Math.round(delayMs)} ms\n`),
  };
  return client;
}
