/**
 * A kubelet's TLS bootstrap CSR made with openssl and sent with a bootstrap token, as the kubelet sends it: for
 * tests of joinery's approver with CSRs a real kubelet would not send (another name, restarts in between). Real
 * joins run on testbed nodes (support/nodes.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, type CertificateSigningRequest } from '../../src/cluster/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

export interface KubeletCsr {
  name: string;
  keyPem: string;
  client: KubeClient;
}

/** Sends a kubelet client CSR (CN system:node:<cn>, O system:nodes, RSA) with `token`, as a kubelet's TLS bootstrap does. */
export async function sendKubeletCsr(tb: TestbedState, work: string, token: string, cn: string, name = `csr-${cn}-${Math.random().toString(36).slice(2, 8)}`): Promise<KubeletCsr> {
  const key = join(work, `${name}.key`);
  const csrFile = join(work, `${name}.csr`);
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csrFile, '-subj', `/O=system:nodes/CN=system:node:${cn}`], { stdio: 'ignore' });
  const ca = readFileSync(join(tb.dir, 'pki', 'ca.crt'), 'utf8');
  const client = new KubeClient({ server: tb.server, ca, bearerToken: token, source: 'bootstrap token', user: `system:bootstrap:${token.slice(0, 6)}` });
  await client.request('/apis/certificates.k8s.io/v1/certificatesigningrequests', {
    method: 'POST',
    body: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: readFileSync(csrFile).toString('base64'), signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'key encipherment', 'client auth'] },
    },
    action: { verb: 'create', resource: 'certificatesigningrequests' },
  });
  return { name, keyPem: readFileSync(key, 'utf8'), client };
}

/** Polls a CSR (with `client`) until it is decided and, when approved, issued; returns it. */
export async function awaitCsrDecision(client: KubeClient, name: string, timeoutMs = 20_000): Promise<CertificateSigningRequest> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const csr = (await client.request<CertificateSigningRequest>(`/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`, {
      action: { verb: 'get', resource: 'certificatesigningrequests', name },
    })) as CertificateSigningRequest;
    const types = (csr.status?.conditions ?? []).map((c) => c.type);
    if (types.includes('Denied') || (types.includes('Approved') && csr.status?.certificate !== undefined)) return csr;
    if (Date.now() > deadline) throw new Error(`CSR ${name} not decided within ${timeoutMs} ms: ${JSON.stringify(csr.status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Registers the Node as its kubelet would, with the certificate the CSR got and the labels of its --node-labels. */
export async function registerNode(tb: TestbedState, csr: CertificateSigningRequest, keyPem: string, name: string, labels: Record<string, string>): Promise<void> {
  const ca = readFileSync(join(tb.dir, 'pki', 'ca.crt'), 'utf8');
  const asNode = new KubeClient({ server: tb.server, ca, clientCert: Buffer.from(csr.status?.certificate ?? '', 'base64').toString('utf8'), clientKey: keyPem, source: 'node certificate' });
  try {
    await asNode.request('/api/v1/nodes', { method: 'POST', body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } }, action: { verb: 'create', resource: 'nodes' } });
  } finally {
    asNode.close();
  }
}
