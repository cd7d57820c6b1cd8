/**
 * The real Kubernetes v1.20.2 binaries (kubeadm, kubelet, kube-apiserver, kube-controller-manager) for
 * tests, found or unpacked by src/testbed (the cache, else ../shared/testbed/ checked against SHA256SUMS).
 * Returns `{missing: reason}` when they are not on this machine, so that a test can skip with that reason
 * instead of passing silently.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { kubernetesBinaries, sharedTestbedDir, cacheRoot as testbedCacheRoot } from '../../src/testbed/binaries.js';
import { readTestbedState } from '../../src/testbed/testbed.js';

export const SHARED_TESTBED = sharedTestbedDir();

export function cacheRoot(): string {
  return testbedCacheRoot();
}

export interface KubeBinaries {
  dir: string;
  kubeadm: string;
  kubelet: string;
  version: string;
}

let memo: KubeBinaries | { missing: string } | undefined;

/** The v1.20.2 binaries, or `{missing: reason}`. */
export function kubeBinaries(): KubeBinaries | { missing: string } {
  if (memo) return memo;
  try {
    const b = kubernetesBinaries('v1.20.2');
    memo = { dir: b.dir, kubeadm: b.kubeadm, kubelet: b.kubelet, version: b.version };
  } catch (err) {
    memo = { missing: (err as Error).message };
  }
  return memo;
}

/**
 * The binaries of the Kubernetes version this run tests: `$KUBE_BIN` (scripts/run-tests.mjs sets it per
 * version), else the binDir of the testbed in `$JOINERY_TESTBED_DIR`, else `{missing: reason}`. The version
 * is what that kubeadm reports of itself.
 */
export function runKubeBinaries(): KubeBinaries | { missing: string } {
  let dir = process.env['KUBE_BIN'];
  const tbDir = process.env['JOINERY_TESTBED_DIR'];
  if ((dir === undefined || dir === '') && tbDir !== undefined && tbDir !== '') dir = readTestbedState(tbDir)?.binDir;
  if (dir === undefined || dir === '') return { missing: 'neither KUBE_BIN nor a testbed (JOINERY_TESTBED_DIR) names the binaries of this run' };
  const kubeadm = join(dir, 'kubeadm');
  const v = spawnSync(kubeadm, ['version', '-o', 'short'], { encoding: 'utf8' });
  if (v.status !== 0) return { missing: `${kubeadm} does not run: ${v.error?.message ?? v.stderr}` };
  return { dir, kubeadm, kubelet: join(dir, 'kubelet'), version: v.stdout.trim() };
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
