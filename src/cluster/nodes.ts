/**
 * Nodes and kubelet CertificateSigningRequests as the provisioner reads them, and the CSR approval
 * subresource it writes (certificates.k8s.io/v1, GA since Kubernetes 1.19).
 */
import type { KubeClient } from './client.js';
import type { KubeObject } from './informer.js';

export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
export const NODES_PATH = '/api/v1/nodes';

export interface CsrCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

export interface CertificateSigningRequest extends KubeObject {
  apiVersion?: string;
  kind?: string;
  spec: { request: string; signerName: string; usages?: string[]; username?: string; groups?: string[]; uid?: string; expirationSeconds?: number };
  status?: { conditions?: CsrCondition[]; certificate?: string };
}

export interface NodeObject extends KubeObject {
  status?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
}

/** The decision recorded on a CSR: its Approved or Denied condition, or undefined while pending. */
export function csrDecision(csr: CertificateSigningRequest): CsrCondition | undefined {
  return csr.status?.conditions?.find((c) => (c.type === 'Approved' || c.type === 'Denied') && c.status !== 'False');
}

/** Whether the Node's Ready condition is True. */
export function nodeReady(node: NodeObject): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/**
 * Approves or denies a CSR through its `approval` subresource (what `kubectl certificate approve|deny`
 * does): the object with one more condition, sent with its resourceVersion so a concurrent decision
 * makes this one fail with a conflict instead of overwriting it.
 */
export async function decideCsr(client: KubeClient, csr: CertificateSigningRequest, decision: 'Approved' | 'Denied', reason: string, message: string, now = new Date()): Promise<CertificateSigningRequest> {
  const name = csr.metadata.name;
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const body = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: csr.metadata,
    spec: csr.spec,
    status: { ...csr.status, conditions: [...(csr.status?.conditions ?? []), { type: decision, status: 'True', reason, message, lastUpdateTime: stamp, lastTransitionTime: stamp }] },
  };
  return (await client.request<CertificateSigningRequest>(`${CSR_PATH}/${name}/approval`, {
    method: 'PUT',
    body,
    action: { verb: 'update', resource: 'certificatesigningrequests.certificates.k8s.io', subresource: 'approval', name },
  })) as CertificateSigningRequest;
}
