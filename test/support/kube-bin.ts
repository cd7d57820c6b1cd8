/**
 * The real Kubernetes v1.20.2 binaries (kubeadm, kubelet, kube-apiserver, kube-controller-manager) for
 * tests: unpacked once from ../shared/testbed/ into a cache directory outside the work tree after
 * checking the archive against SHA256SUMS. Returns undefined (and the reason) when the archive is not on
 * this machine, so that a test can skip with that reason instead of passing silently.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const SHARED_TESTBED = resolve(here, '../../../shared/testbed');
const ARCHIVE = 'kubernetes-1.20.2-linux-amd64.tar.xz';

export function cacheRoot(): string {
  return process.env['JOINERY_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'joinery');
}

export interface KubeBinaries {
  dir: string;
  kubeadm: string;
  version: string;
}

let memo: KubeBinaries | { missing: string } | undefined;

/** The v1.20.2 binaries, or `{missing: reason}`. */
export function kubeBinaries(): KubeBinaries | { missing: string } {
  if (memo) return memo;
  const dir = join(cacheRoot(), 'kubernetes', 'v1.20.2');
  const kubeadm = join(dir, 'kubeadm');
  if (!existsSync(kubeadm)) {
    const archive = join(SHARED_TESTBED, ARCHIVE);
    if (!existsSync(archive)) {
      memo = { missing: `${archive} is not on this machine` };
      return memo;
    }
    const want = readFileSync(join(SHARED_TESTBED, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .find((l) => l.endsWith(ARCHIVE))
      ?.split(/\s+/)[0];
    const got = createHash('sha256').update(readFileSync(archive)).digest('hex');
    if (want !== got) {
      memo = { missing: `${archive} does not match SHA256SUMS (got ${got})` };
      return memo;
    }
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('tar', ['-xJf', archive, '-C', tmp]);
    mkdirSync(dirname(dir), { recursive: true });
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another test process won the race
    }
  }
  memo = { dir, kubeadm, version: 'v1.20.2' };
  return memo;
}

/** What `kubeadm config migrate` printed, and how it exited. */
export interface KubeadmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `kubeadm config migrate --old-config <file>` of the real kubeadm, with `text` written to a temporary file. */
export function kubeadmConfigMigrate(kubeadm: string, text: string): KubeadmRun {
  return kubeadmWithConfig(kubeadm, text, (file) => ['config', 'migrate', '--old-config', file]);
}

/**
 * `kubeadm config images list --config FILE`: runs kubeadm's defaulting and full validation of an
 * InitConfiguration/ClusterConfiguration offline (exit 0 only for a config kubeadm init would accept).
 */
export function kubeadmValidateInit(kubeadm: string, text: string): KubeadmRun {
  return kubeadmWithConfig(kubeadm, text, (file) => ['config', 'images', 'list', '--config', file]);
}

function kubeadmWithConfig(kubeadm: string, text: string, args: (file: string) => string[]): KubeadmRun {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-kubeadm-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, text);
    const r = spawnSync(kubeadm, args(file), { encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
