/**
 * The real Kubernetes binaries of a testbed (kube-apiserver, kube-controller-manager, kubeadm, kubelet),
 * from, in order: the cache directory (`$JOINERY_CACHE` or `~/.cache/joinery/kubernetes/<version>`),
 * the archive in `../shared/testbed/` (checked against its SHA256SUMS, then unpacked into the cache),
 * or a build: 1.20.2 from Debian's source package by `testbed/build-kubernetes-1.20-from-debian.sh`, every
 * version with a Go module in `testbed/k8s/kubernetes-<version>/` from the Go modules by `testbed/k8s/build.sh`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
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
  /**
   * Build them when neither the cache nor the archive has them: 1.20.2 from Debian's source package (needs
   * root, ~10 min), a version of testbed/k8s from Go modules (needs Go, ~13 min on 2 cores).
   */
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
  const buildable = goModuleVersions().includes(version);
  if (buildable && options.build === true) {
    goBuild(version, options.log);
    if (complete(dir)) return binariesIn(dir, version, 'built');
  }
  throw new JoineryError(
    'TESTBED_BINARIES_MISSING',
    `the Kubernetes ${version} binaries are not on this machine (not in ${dir}${version === DEFAULT_KUBERNETES_VERSION ? `, no ${archive}` : ''})`,
    version === DEFAULT_KUBERNETES_VERSION
      ? 'run `joinery testbed up --build` (builds them from Debian\'s source package, needs root and about 10 minutes), or put the archive into ../shared/testbed/'
      : buildable
        ? `build them from Go modules: joinery testbed up --build --kubernetes-version ${version} (or bash testbed/k8s/build.sh ${version}; needs Go >= 1.24)`
        : `joinery has no build for ${version}: use one of ${[DEFAULT_KUBERNETES_VERSION, ...goModuleVersions()].join(', ')} (joinery testbed versions)`,
    { family: 'io' },
  );
}

/** The folder of testbed/k8s/build.sh and its Go modules. */
function goModulesDir(): string {
  return join(PROJECT_ROOT, 'testbed', 'k8s');
}

/** The Kubernetes versions with a Go module in testbed/k8s (`kubernetes-<version>/go.mod`), oldest first. */
export function goModuleVersions(): string[] {
  return goModules('kubernetes-');
}

function goModules(prefix: string): string[] {
  const root = goModulesDir();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((d) => d.startsWith(`${prefix}v`) && existsSync(join(root, d, 'go.mod')))
    .map((d) => d.slice(prefix.length))
    .sort(compareVersions);
}

function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The go command: `$JOINERY_GO`, else `go` on PATH, else /usr/local/go/bin/go (where Go's tarball installs). */
function goCommand(): string | undefined {
  const forced = process.env['JOINERY_GO'];
  if (forced !== undefined && forced !== '') return forced;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/** The Go toolchain's version (`go1.26.8`), or undefined when there is no Go (see goCommand). */
export function goVersion(): string | undefined {
  const go = goCommand();
  if (go === undefined) return undefined;
  const r = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs testbed/k8s/build.sh `target` (a Kubernetes version or `etcd-<version>`); its output goes to stderr. */
function goBuild(target: string, log?: (line: string) => void): void {
  if (goVersion() === undefined) {
    throw new JoineryError('TESTBED_GO_MISSING', `building ${target} needs Go, and there is none (not on PATH, not in /usr/local/go, no $JOINERY_GO)`, 'install Go >= 1.24 (with access to the Go module proxy), or use the default version', {
      family: 'io',
    });
  }
  const t0 = Date.now();
  const expect = target.startsWith('v') ? '5 to 13 minutes on 2 cores' : 'under a minute or two';
  log?.(`building ${target} from Go modules (testbed/k8s/build.sh; ${expect})`);
  const go = goCommand() as string;
  const env = go === 'go' ? process.env : { ...process.env, PATH: `${dirname(go)}:${process.env['PATH'] ?? ''}` };
  const r = spawnSync('bash', [join(goModulesDir(), 'build.sh'), target], { stdio: ['ignore', 2, 2], env });
  if (r.status !== 0) {
    throw new JoineryError('TESTBED_BUILD_FAILED', `testbed/k8s/build.sh ${target} failed (exit ${r.status ?? r.signal})`, 'see its output above; run it by hand to retry', { family: 'io' });
  }
  log?.(`built ${target} in ${Math.round((Date.now() - t0) / 1000)} s`);
}

/** The etcd of the Go module in testbed/k8s (`etcd-<version>`), for Kubernetes releases newer than 1.20. */
export function etcdModuleVersion(): string | undefined {
  return goModules('etcd-').at(-1);
}

/**
 * crictl, built from the Go module testbed/k8s/cri-tools-<version> into the cache (cri-tools is not in Debian 12):
 * kubeadm before 1.31 pulls a control plane's images through it, and a missing crictl is fatal there.
 * Built first when `build` is set; undefined when it is not on this machine (nodes then run without it).
 */
export function crictlBinary(options: BinariesOptions = {}): string | undefined {
  const v = goModules('cri-tools-').at(-1);
  if (v === undefined) return undefined;
  const bin = join(cacheRoot(), 'cri-tools', v, 'crictl');
  if (!existsSync(bin) && options.build === true && goVersion() !== undefined) goBuild(`cri-tools-${v}`, options.log);
  return existsSync(bin) ? bin : undefined;
}

/**
 * The etcd server for a Kubernetes version: `$JOINERY_ETCD`; for 1.20.2 Debian's `etcd-server` (3.4);
 * for newer releases the etcd built from testbed/k8s's module into the cache (3.5+, what they need),
 * built first when `build` is set.
 */
export function etcdBinary(kubernetesVersion: string = DEFAULT_KUBERNETES_VERSION, options: BinariesOptions = {}): string {
  const forced = process.env['JOINERY_ETCD'];
  if (forced !== undefined && forced !== '') return forced;
  if (kubernetesVersion !== DEFAULT_KUBERNETES_VERSION) {
    const v = etcdModuleVersion();
    const bin = v === undefined ? undefined : join(cacheRoot(), 'etcd', v, 'etcd');
    if (bin !== undefined && !existsSync(bin) && options.build === true) goBuild(`etcd-${v}`, options.log);
    if (bin !== undefined && existsSync(bin)) return bin;
    throw new JoineryError(
      'TESTBED_ETCD_MISSING',
      `Kubernetes ${kubernetesVersion} needs etcd >= 3.5, and ${bin ?? 'no etcd module in testbed/k8s'} is not built`,
      `build it: bash testbed/k8s/build.sh etcd-${v ?? '<version>'} (or joinery testbed up --build), or set JOINERY_ETCD to an etcd >= 3.5 binary`,
      { family: 'io' },
    );
  }
  const candidates = ['/usr/bin/etcd', '/usr/local/bin/etcd'];
  const hit = candidates.find((c) => existsSync(c));
  if (hit === undefined) {
    throw new JoineryError('TESTBED_ETCD_MISSING', 'etcd is not installed', "install Debian's etcd-server package (scripts/install-deps.sh does), or set JOINERY_ETCD to an etcd binary", {
      family: 'io',
    });
  }
  return hit;
}

export interface TestbedVersion {
  version: string;
  /** The binaries (and etcd) are on this machine: `testbed up` starts at once. */
  available: boolean;
  /** `--build` would make it available here (Go or Debian's source package). */
  buildable: boolean;
  /** Where the binaries are, or why they are not there and what building needs. */
  detail: string;
}

/**
 * The versions a testbed can run: the default (1.20.2, ../shared/testbed) and every Go module of
 * testbed/k8s, each available, buildable or missing with the reason. Does not unpack or build.
 */
export function testbedVersions(): TestbedVersion[] {
  const go = goVersion();
  const out: TestbedVersion[] = [];
  for (const version of [DEFAULT_KUBERNETES_VERSION, ...goModuleVersions()]) {
    const dir = join(cacheRoot(), 'kubernetes', version);
    if (version === DEFAULT_KUBERNETES_VERSION) {
      const archive = join(sharedTestbedDir(), archiveName(version));
      const have = complete(dir) || existsSync(archive);
      out.push({
        version,
        available: have,
        buildable: true,
        detail: complete(dir) ? dir : have ? archive : `not in ${dir} nor ${archive}; --build builds it from Debian's source package (root, ~10 min)`,
      });
      continue;
    }
    const etcd = etcdModuleVersion();
    const etcdBin = etcd === undefined ? undefined : join(cacheRoot(), 'etcd', etcd, 'etcd');
    const etcdOk = (process.env['JOINERY_ETCD'] ?? '') !== '' || (etcdBin !== undefined && existsSync(etcdBin));
    const have = complete(dir);
    const missing = [have ? undefined : `no binaries in ${dir}`, etcdOk ? undefined : `no etcd ${etcd ?? ''} in ${etcdBin ?? 'the cache'}`].filter((m) => m !== undefined);
    out.push({
      version,
      available: have && etcdOk,
      buildable: go !== undefined,
      detail:
        missing.length === 0
          ? `${dir} (etcd ${etcdBin ?? process.env['JOINERY_ETCD']})`
          : `${missing.join(', ')}; ${go === undefined ? 'not buildable here: Go is not installed (needs Go >= 1.24 and the module proxy)' : `--build builds it from Go modules with ${go}`}`,
    });
  }
  return out;
}
