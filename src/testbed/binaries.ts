/**
 * The real Kubernetes binaries of a testbed (kube-apiserver, kube-controller-manager, kubeadm, kubelet),
 * from, in order: the cache directory (`$JOINERY_CACHE` or `~/.cache/joinery/kubernetes/<version>`),
 * the archive in `../shared/testbed/` (checked against its SHA256SUMS, then unpacked into the cache),
 * or a build from Debian's source package by `testbed/build-kubernetes-1.20-from-debian.sh`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JoineryError } from '../errors/index.js';

/** The project's root (src/testbed and dist/testbed are both two levels below it). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The version every testbed runs unless told otherwise. */
export const DEFAULT_KUBERNETES_VERSION = 'v1.20.2';

export const KUBE_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kubeadm', 'kubelet'] as const;

export interface KubernetesBinaries {
  version: string;
  dir: string;
  kubeadm: string;
  kubelet: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  /** Where they came from: `cache`, `archive <path>` or `built`. */
  origin: string;
}

/** `../shared/testbed` beside the project, or `$JOINERY_SHARED_TESTBED`. */
export function sharedTestbedDir(): string {
  return process.env['JOINERY_SHARED_TESTBED'] ?? resolve(PROJECT_ROOT, '../shared/testbed');
}

export function cacheRoot(): string {
  return process.env['JOINERY_CACHE'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'joinery');
}

function archiveName(version: string): string {
  return `kubernetes-${version.replace(/^v/, '')}-linux-amd64.tar.xz`;
}

function binariesIn(dir: string, version: string, origin: string): KubernetesBinaries {
  return {
    version,
    dir,
    kubeadm: join(dir, 'kubeadm'),
    kubelet: join(dir, 'kubelet'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    origin,
  };
}

function complete(dir: string): boolean {
  return KUBE_COMMANDS.every((c) => existsSync(join(dir, c)));
}

/** The SHA-256 SUMS line for `name` in `sums`, or undefined. */
function expectedSum(sumsFile: string, name: string): string | undefined {
  if (!existsSync(sumsFile)) return undefined;
  return readFileSync(sumsFile, 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+\*?/))
    .find((f) => f[1] === name)?.[0];
}

function unpack(archive: string, dir: string): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xJf', archive, '-C', tmp]);
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another process unpacked it first
  }
}

export interface BinariesOptions {
  /** Build from Debian's source package when neither the cache nor the archive has them (needs root, ~10 min). */
  build?: boolean;
  log?: (line: string) => void;
}

/**
 * The binaries of `version`, or a typed error that says why they are not on this machine and how to get them.
 * Only 1.20.2 comes from the archive or Debian's source; other versions come from the cache, where the
 * Go-module build puts them.
 */
export function kubernetesBinaries(version: string = DEFAULT_KUBERNETES_VERSION, options: BinariesOptions = {}): KubernetesBinaries {
  const dir = join(cacheRoot(), 'kubernetes', version);
  if (complete(dir)) return binariesIn(dir, version, 'cache');
  const shared = sharedTestbedDir();
  const name = archiveName(version);
  const archive = join(shared, name);
  if (existsSync(archive)) {
    const want = expectedSum(join(shared, 'SHA256SUMS'), name);
    const got = createHash('sha256').update(readFileSync(archive)).digest('hex');
    if (want !== got) {
      throw new JoineryError(
        'TESTBED_ARCHIVE_MISMATCH',
        `${archive} does not match ${join(shared, 'SHA256SUMS')} (sha256 ${got}, expected ${want ?? 'no entry'})`,
        `rebuild it with testbed/build-kubernetes-1.20-from-debian.sh, or remove it so that joinery builds the binaries itself`,
        { family: 'io' },
      );
    }
    options.log?.(`unpacking ${archive} into ${dir}`);
    unpack(archive, dir);
    if (complete(dir)) return binariesIn(dir, version, `archive ${archive}`);
  }
  if (version === DEFAULT_KUBERNETES_VERSION && options.build === true) {
    const script = join(PROJECT_ROOT, 'testbed', 'build-kubernetes-1.20-from-debian.sh');
    const out = join(cacheRoot(), 'build');
    options.log?.(`building Kubernetes ${version} from Debian's source package (about 10 minutes on 2 cores)`);
    execFileSync('bash', [script, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    unpack(join(out, name), dir);
    if (complete(dir)) return binariesIn(dir, version, 'built');
  }
  throw new JoineryError(
    'TESTBED_BINARIES_MISSING',
    `the Kubernetes ${version} binaries are not on this machine (not in ${dir}${version === DEFAULT_KUBERNETES_VERSION ? `, no ${archive}` : ''})`,
    version === DEFAULT_KUBERNETES_VERSION
      ? 'run `joinery testbed up --build` (builds them from Debian\'s source package, needs root and about 10 minutes), or put the archive into ../shared/testbed/'
      : `build them first (see testbed/README.md), or use ${DEFAULT_KUBERNETES_VERSION}`,
    { family: 'io' },
  );
}

/** The etcd server: `$JOINERY_ETCD`, or Debian's `etcd-server` package. */
export function etcdBinary(): string {
  const candidates = [process.env['JOINERY_ETCD'], '/usr/bin/etcd', '/usr/local/bin/etcd'].filter((c): c is string => c !== undefined && c !== '');
  const hit = candidates.find((c) => existsSync(c));
  if (hit === undefined) {
    throw new JoineryError('TESTBED_ETCD_MISSING', 'etcd is not installed', "install Debian's etcd-server package (scripts/install-deps.sh does), or set JOINERY_ETCD to an etcd binary", {
      family: 'io',
    });
  }
  return hit;
}
