/**
 * `joinery ca-hash --cert FILE...`: the pin of each CA certificate in the files, one per line, in the
 * form `kubeadm join --discovery-token-ca-cert-hash` takes. Certificates that are not CAs are left out
 * with a warning: their pin can never match discovery, and printing it would only mislead.
 */
import { readFile } from 'node:fs/promises';
import { JoineryError } from '../errors/index.js';
import { bundleCertificates, caPin } from '../pki/index.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';
import type { ClusterOptions } from './cluster-options.js';

export interface CaHashOptions extends ClusterOptions {
  certFiles: string[];
  output: OutputFormat;
}

interface PinnedCertificate {
  file: string;
  /** Position of the certificate's block in the file's PEM blocks, from 1. */
  block: number;
  subject: string;
  pin: string;
}

async function readCertFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message;
    throw new JoineryError('FILE_UNREADABLE', `cannot read --cert ${file}: ${reason}`, 'give the path of the cluster CA certificate (on a control-plane node: /etc/kubernetes/pki/ca.crt)', {
      path: '--cert',
      family: 'io',
      cause: err,
    });
  }
}

export async function caHash(options: CaHashOptions, io: Io): Promise<number> {
  const sources: { file: string; bytes: Buffer | string }[] = [];
  if (options.certFiles.length === 0) {
    sources.push(await clusterCa(options, io));
  }
  for (const file of options.certFiles) sources.push({ file, bytes: await readCertFile(file) });
  const pinned: PinnedCertificate[] = [];
  for (const { file, bytes } of sources) {
    for (const { certificate, block } of bundleCertificates(bytes, `--cert ${file}`)) {
      const subject = certificate.subject.replace(/\n/g, ', ');
      if (!certificate.ca) {
        io.stderr(`warning: ${file}: certificate ${block} (${subject}) is not a CA certificate; left out\n`);
        continue;
      }
      pinned.push({ file, block, subject, pin: caPin(certificate) });
    }
  }
  if (pinned.length === 0) {
    throw new JoineryError(
      'CA_CERT_NOT_CA',
      `no CA certificate in ${sources.map((s) => s.file).join(', ')}: a pin of a leaf certificate never matches kubeadm discovery`,
      'give the cluster CA certificate (/etc/kubernetes/pki/ca.crt on a control-plane node), not a serving or client certificate',
      { path: '--cert' },
    );
  }
  io.stdout(await formatOutput(options.output, pinned, () => pinned.map((p) => `${p.pin}\n`).join('')));
  return 0;
}

/** The cluster's CA: the kubeconfig's certificate-authority, else cluster-info's (read anonymously readable data with the credentials). */
async function clusterCa(options: CaHashOptions, io: Io): Promise<{ file: string; bytes: string }> {
  const { clusterClient } = await import('./cluster-options.js');
  let client;
  try {
    client = clusterClient(options, io);
  } catch (err) {
    if (err instanceof JoineryError && err.code === 'NO_CREDENTIALS') {
      throw new JoineryError(
        'CA_CERT_REQUIRED',
        'ca-hash needs --cert FILE, or a cluster to read the CA from (--kubeconfig, $KUBECONFIG, ~/.kube/config)',
        'run `joinery ca-hash --cert /etc/kubernetes/pki/ca.crt`, or `joinery ca-hash --kubeconfig /etc/kubernetes/admin.conf`',
        { path: '--cert', family: 'usage' },
      );
    }
    throw err;
  }
  try {
    if (client.credentials.ca !== undefined && !client.credentials.source.startsWith('in-cluster')) {
      return { file: client.credentials.source, bytes: client.credentials.ca };
    }
    const { clusterInfoConfigMap } = await import('../cluster/index.js');
    const { parseClusterInfoKubeconfig } = await import('../discovery/index.js');
    const cm = await clusterInfoConfigMap(client);
    return { file: 'kube-public/cluster-info', bytes: parseClusterInfoKubeconfig(cm.data?.['kubeconfig'] ?? '').caPem };
  } finally {
    client.close();
  }
}
