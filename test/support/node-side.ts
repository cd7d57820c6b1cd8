/**
 * The node's part of a join, played by a test with real tools: the bootstrap script in a private mount
 * namespace with the real kubeadm (its `kubeadm join` runs as `kubeadm join phase preflight`), and the
 * kubelet's TLS bootstrap CSR made with openssl and sent with the bootstrap token, as the kubelet sends it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, type CertificateSigningRequest } from '../../src/cluster/index.js';
import type { TestbedState } from '../../src/testbed/index.js';

export const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

/**
 * Runs `script` as root in a private mount namespace with tmpfs over the node's directories, with a
 * `kubeadm` first on PATH whose `join` is the real kubeadm's preflight phase of the same config. The
 * report file lists `rc=N` and the files left behind with their modes.
 */
export function runInNodeNamespace(tb: TestbedState, work: string, script: string): { status: number | null; out: string; report: string } {
  const id = Math.random().toString(36).slice(2);
  const bin = join(work, `bin-${id}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'kubeadm'), `#!/bin/sh\nif [ "$1" = join ]; then shift; exec "${tb.kubeadm}" join phase preflight --ignore-preflight-errors=all "$@"; fi\nexec "${tb.kubeadm}" "$@"\n`);
  chmodSync(join(bin, 'kubeadm'), 0o755);
  const report = join(work, `report-${id}.txt`);
  const runner = join(work, `runner-${id}.sh`);
  writeFileSync(
    runner,
    `set -e
for d in /etc/kubernetes /run/kubeadm /run/cluster-api /var/lib/kubelet; do mkdir -p "$d"; mount -t tmpfs -o mode=0755 tmpfs "$d"; done
set +e
PATH="${bin}:$PATH" sh "$1"
rc=$?
# what the script left behind, with modes, for the test to read after the namespace is gone
{ echo "rc=$rc"; find /etc/kubernetes /run/kubeadm /run/cluster-api -type f -exec stat -c '%a %U %n' {} \\; ; } > "${report}"
exit $rc
`,
  );
  const r = spawnSync('unshare', ['-m', 'sh', runner, script], { encoding: 'utf8', timeout: 180_000 });
  let files = '';
  try {
    files = readFileSync(report, 'utf8');
  } catch {
    // no report: the runner failed before the script
  }
  return { status: r.status, out: r.stdout + r.stderr, report: files };
}

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
