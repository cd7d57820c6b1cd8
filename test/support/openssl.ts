/**
 * Certificates made by openssl for tests: a CA and a server certificate signed by it with any validity
 * period (`openssl ca -startdate/-enddate`, so also not yet valid or long expired) and any SANs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** `start`/`end` as openssl takes them: YYYYMMDDHHMMSSZ. `sans` as subjectAltName, e.g. `IP:127.0.0.1,DNS:localhost`. */
export function opensslServerPki(options: { start?: string; end?: string; sans?: string } = {}): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-openssl-'));
  try {
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '3650']);
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 's.key', '-out', 's.csr', '-subj', '/CN=kube-apiserver']);
    mkdirSync(join(dir, 'db'));
    writeFileSync(join(dir, 'db/index.txt'), '');
    writeFileSync(join(dir, 'db/serial'), '1000\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      '[ca]\ndefault_ca = d\n[d]\ndatabase = db/index.txt\nnew_certs_dir = db\nserial = db/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\nx509_extensions = ext\n' +
        `[p]\ncommonName = supplied\n[ext]\nbasicConstraints = CA:FALSE\nsubjectAltName = ${options.sans ?? 'IP:127.0.0.1,DNS:localhost'}\n`,
    );
    const now = new Date();
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
    const start = options.start ?? stamp(new Date(now.getTime() - 3600_000));
    const end = options.end ?? stamp(new Date(now.getTime() + 365 * 86400_000));
    run(['ca', '-config', 'ca.cnf', '-batch', '-notext', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-startdate', start, '-enddate', end, '-in', 's.csr', '-out', 's.crt']);
    return { caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'), certPem: readFileSync(join(dir, 's.crt'), 'utf8'), keyPem: readFileSync(join(dir, 's.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
