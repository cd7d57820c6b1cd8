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

export interface CaHashOptions {
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
  if (options.certFiles.length === 0) {
    throw new JoineryError(
      'CA_CERT_REQUIRED',
      'ca-hash needs at least one --cert FILE',
      'run `joinery ca-hash --cert /etc/kubernetes/pki/ca.crt` (the flag may be repeated for several CAs)',
      { path: '--cert', family: 'usage' },
    );
  }
  const pinned: PinnedCertificate[] = [];
  for (const file of options.certFiles) {
    const bytes = await readCertFile(file);
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
      `no CA certificate in ${options.certFiles.join(', ')}: a pin of a leaf certificate never matches kubeadm discovery`,
      'give the cluster CA certificate (/etc/kubernetes/pki/ca.crt on a control-plane node), not a serving or client certificate',
      { path: '--cert' },
    );
  }
  io.stdout(await formatOutput(options.output, pinned, () => pinned.map((p) => `${p.pin}\n`).join('')));
  return 0;
}
