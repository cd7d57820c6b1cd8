/**
 * The container image of the Dockerfile, built and run here, where there is no container engine and no
 * registry (issue 6 §1: "a Dockerfile builds the image"):
 *   - buildah builds the unchanged Dockerfile (`buildah bud --pull=never`) on a local stand-in of its base
 *     image, docker.io/library/node:20-bookworm-slim (scripts/stand-in-node-image.sh: Debian bookworm from
 *     Debian's mirror plus this machine's Node.js 20, laid out as the official image lays it out). The one
 *     adaptation to this workplace: where this machine reaches the npm registry through a proxy with a CA of
 *     its own (npm's cafile, or NODE_EXTRA_CA_CERTS), that CA is mounted into the build's RUN steps with an npmrc naming it;
 *     the Dockerfile and the image do not contain it;
 *   - runc — the runtime containerd starts a pod's containers with — runs the image as a kubelet would run
 *     the Deployment of `joinery manifests`: the container's args after the image's entrypoint, the image's
 *     env and working directory, POD_NAME/POD_NAMESPACE from the downward API, uid/gid and fsGroup from the
 *     securityContext, a read-only root filesystem, no capabilities, no privilege escalation, the memory
 *     limit as a cgroup limit, the volume mounts (the projected Secret volume as files of the volume's mode
 *     owned by the fsGroup, the emptyDir as a tmpfs of its size limit), and the service account's token
 *     mounted where in-cluster configuration reads it. Not translated: the seccomp profile (RuntimeDefault
 *     is containerd's own profile) and the pod network (there is no CNI here: the container shares the
 *     host's network, as everything here listens on 127.0.0.1).
 * Needs root, buildah, runc and mmdebstrap (.ci/run installs them: scripts/install-deps.sh).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './testbed.js';
import { ServeProcess } from './serve.js';

export const BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';

/** Why the image cannot be built and run on this machine, or undefined when it can. */
export function imageToolsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (buildah and runc need root)';
  for (const tool of ['buildah', 'runc', 'mmdebstrap']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install -y buildah runc mmdebstrap)`;
  }
  return undefined;
}

function run(command: string, args: string[], cwd?: string): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(cwd === undefined ? {} : { cwd }) });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${(r.stdout ?? '').slice(-3000)}\n${(r.stderr ?? '').slice(-3000)}`);
  return r.stdout;
}

/** The OCI image config the Dockerfile declares (USER, ENTRYPOINT, CMD, ENV, WORKDIR, EXPOSE). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  ExposedPorts?: Record<string, unknown>;
}

export interface BuiltImage {
  name: string;
  config: ImageConfig;
  /** The image's size in buildah's store (its layers, uncompressed). */
  sizeBytes: number;
  /** Seconds the stand-in base image took to make (0 when it was in the store already) and the build took. */
  baseSeconds: number;
  buildSeconds: number;
}

function inspectImage(name: string): { OCIv1: { config: ImageConfig } } {
  return JSON.parse(run('buildah', ['inspect', '--type', 'image', name])) as { OCIv1: { config: ImageConfig } };
}

/** The CA file this machine's npm trusts for its registry (npm's `cafile`, else NODE_EXTRA_CA_CERTS), if any. */
function npmCaFile(): string | undefined {
  const cafile = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (cafile !== '' && cafile !== 'null' && cafile !== 'undefined') return cafile;
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  return extra === undefined || extra === '' ? undefined : extra;
}

/** Builds the Dockerfile as `name` (the stand-in base image first, when the store lacks it). */
export function buildImage(name: string): BuiltImage {
  let t = Date.now();
  let baseSeconds = 0;
  if (spawnSync('buildah', ['inspect', '--type', 'image', BASE_IMAGE], { stdio: 'ignore' }).status !== 0) {
    run('bash', [join(PROJECT_ROOT, 'scripts/stand-in-node-image.sh'), BASE_IMAGE]);
    baseSeconds = (Date.now() - t) / 1000;
  }
  t = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'joinery-image-'));
  try {
    const args = ['bud', '--pull=never', '--network=host', '--layers=false', '--quiet', '-t', name];
    const proxyCa = npmCaFile();
    if (proxyCa !== undefined) {
      writeFileSync(join(work, 'npmrc'), 'cafile=/etc/ssl/certs/joinery-build-proxy-ca.crt\n');
      args.push('-v', `${proxyCa}:/etc/ssl/certs/joinery-build-proxy-ca.crt:ro`, '-v', `${join(work, 'npmrc')}:/root/.npmrc:ro`);
    }
    run('buildah', [...args, PROJECT_ROOT], PROJECT_ROOT);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const buildSeconds = (Date.now() - t) / 1000;
  const listed = JSON.parse(run('buildah', ['images', '--json', '--noheading', name])) as { size?: string }[];
  const size = /^([\d.]+)\s*(kB|MB|GB)$/.exec(listed[0]?.size ?? '');
  const sizeBytes = size === null ? NaN : Number(size[1]) * { kB: 1e3, MB: 1e6, GB: 1e9 }[size[2] as 'kB' | 'MB' | 'GB'];
  return { name, config: inspectImage(name).OCIv1.config, sizeBytes, baseSeconds, buildSeconds };
}

/** The parts of a pod template that a kubelet turns into the container's runtime spec (one container). */
export interface PodTemplateSpec {
  securityContext?: { runAsUser?: number; runAsGroup?: number; runAsNonRoot?: boolean; fsGroup?: number };
  containers: {
    name: string;
    command?: string[];
    args?: string[];
    env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
    resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
    securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[]; add?: string[] } };
    volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  }[];
  volumes?: { name: string; emptyDir?: { sizeLimit?: string }; projected?: { defaultMode?: number; sources: { secret?: { name: string; items?: { key: string; path: string }[] } }[] } }[];
}

/** A Kubernetes quantity in bytes ("256Mi", "16Mi", "1G"). */
export function quantityBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(q);
  if (m === null) throw new Error(`quantity ${q}: not translated`);
  const unit = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1e3, M: 1e6, G: 1e9 }[m[2] as 'Ki'] ?? 1;
  return Number(m[1]) * unit;
}

/** CPU shares of a CPU request ("100m" -> 102), as the kubelet sets them. */
function cpuShares(q: string): number {
  const m = /^(\d+)(m)?$/.exec(q);
  if (m === null) throw new Error(`cpu ${q}: not translated`);
  const milli = m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
  return Math.max(2, Math.floor((milli * 1024) / 1000));
}

export interface PodRunOptions {
  image: BuiltImage;
  template: PodTemplateSpec;
  podName: string;
  namespace: string;
  /** The files of each Secret a projected volume names: secret name -> key -> content. */
  secrets: Record<string, Record<string, string>>;
  /** The service account's token, the cluster CA (PEM) and the API server's address (KUBERNETES_SERVICE_HOST/PORT). */
  serviceAccount: { token: string; caPem: string; host: string; port: string };
  /** The CA of the serving certificate, for the test's requests. */
  servingCaPem: string;
}

/** A pod's container run by runc: `service` is serve inside it (its log, its requests). */
export interface PodContainer {
  service: ServeProcess;
  id: string;
  /** The runtime spec runc was given. */
  spec: Record<string, unknown>;
  /** pid (on this machine) of the container's first process. */
  pid(): number;
  /** Runs a command in the container as its user; its exit status and output. */
  exec(args: string[]): { status: number | null; stdout: string; stderr: string };
  /** Stops serve (SIGTERM through runc) and removes the container, its bundle and the working container. */
  stop(): Promise<number | null>;
}

/** Writes `content` to `path` owned by root:gid with `mode`, its parent directories 0755 (as a kubelet makes a projected volume). */
function volumeFile(path: string, content: string, mode: number, gid: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, content);
  chownSync(path, 0, gid);
  chmodSync(path, mode);
}

/** Starts the pod template's (first) container from the image with runc, as a kubelet would (see the file's comment). */
export async function runPodContainer(o: PodRunOptions): Promise<PodContainer> {
  const c = o.template.containers[0];
  if (c === undefined) throw new Error('the pod template has no container');
  const sc = c.securityContext ?? {};
  const psc = o.template.securityContext ?? {};
  const [imageUid, imageGid] = (o.image.config.User ?? '0:0').split(':').map(Number);
  const uid = sc.runAsUser ?? psc.runAsUser ?? imageUid ?? 0;
  const gid = sc.runAsGroup ?? psc.runAsGroup ?? imageGid ?? 0;
  if (psc.runAsNonRoot === true && uid === 0) throw new Error('runAsNonRoot, and the container would run as uid 0: the kubelet refuses to start it');
  const fsGroup = psc.fsGroup;
  if ((sc.capabilities?.drop ?? []).join() !== 'ALL' || (sc.capabilities?.add ?? []).length > 0) throw new Error('only capabilities {drop: [ALL]} are translated');

  const id = `joinery-pod-${process.pid}-${Date.now().toString(36)}`;
  const bundle = mkdtempSync(join(tmpdir(), 'joinery-pod-'));
  const working = run('buildah', ['from', '--pull=never', '--quiet', o.image.name]).trim();
  const rootfs = run('buildah', ['mount', working]).trim();
  const cleanup = (): void => {
    spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
    spawnSync('buildah', ['rm', working], { stdio: 'ignore' });
    rmSync(bundle, { recursive: true, force: true });
  };
  try {
    const mounts: Record<string, unknown>[] = [];
    for (const vm of c.volumeMounts ?? []) {
      const volume = (o.template.volumes ?? []).find((v) => v.name === vm.name);
      if (volume?.emptyDir !== undefined) {
        const size = volume.emptyDir.sizeLimit === undefined ? [] : [`size=${quantityBytes(volume.emptyDir.sizeLimit)}`];
        mounts.push({ destination: vm.mountPath, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', ...size] });
      } else if (volume?.projected !== undefined) {
        const dir = join(bundle, 'volumes', vm.name);
        for (const source of volume.projected.sources) {
          const s = source.secret;
          if (s === undefined) throw new Error(`volume ${vm.name}: only secret sources are translated`);
          for (const item of s.items ?? []) {
            const content = o.secrets[s.name]?.[item.key];
            if (content === undefined) throw new Error(`volume ${vm.name}: Secret ${s.name} has no key ${item.key} (the kubelet would not start the pod)`);
            volumeFile(join(dir, item.path), content, volume.projected.defaultMode ?? 0o644, fsGroup ?? 0);
          }
        }
        mounts.push({ destination: vm.mountPath, type: 'bind', source: dir, options: ['rbind', vm.readOnly === true ? 'ro' : 'rw'] });
      } else {
        throw new Error(`volume ${vm.name}: not translated`);
      }
    }
    // automountServiceAccountToken: the token, the CA and the namespace where in-cluster configuration reads them.
    const sa = join(bundle, 'serviceaccount');
    volumeFile(join(sa, 'token'), o.serviceAccount.token, 0o440, fsGroup ?? 0);
    volumeFile(join(sa, 'ca.crt'), o.serviceAccount.caPem, 0o444, fsGroup ?? 0);
    volumeFile(join(sa, 'namespace'), o.namespace, 0o444, fsGroup ?? 0);
    mounts.push({ destination: '/var/run/secrets/kubernetes.io/serviceaccount', type: 'bind', source: sa, options: ['rbind', 'ro'] });

    const fieldRefs: Record<string, string> = { 'metadata.name': o.podName, 'metadata.namespace': o.namespace };
    const env = [
      ...(o.image.config.Env ?? []),
      `HOSTNAME=${o.podName}`,
      `KUBERNETES_SERVICE_HOST=${o.serviceAccount.host}`,
      `KUBERNETES_SERVICE_PORT=${o.serviceAccount.port}`,
      ...(c.env ?? []).map((e) => {
        if (e.value !== undefined) return `${e.name}=${e.value}`;
        const path = e.valueFrom?.fieldRef?.fieldPath;
        const v = path === undefined ? undefined : fieldRefs[path];
        if (v === undefined) throw new Error(`env ${e.name}: not translated`);
        return `${e.name}=${v}`;
      }),
    ];
    // runc's default spec (the mounts of /proc, /dev, /sys, the masked and read-only paths), then the pod's settings.
    run('runc', ['spec', '--bundle', bundle]);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
      process: Record<string, unknown>;
      root: { path: string; readonly: boolean };
      hostname: string;
      mounts: Record<string, unknown>[];
      linux: { namespaces: { type: string }[]; resources: Record<string, unknown> };
    };
    spec.process = {
      ...spec.process,
      terminal: false,
      user: { uid, gid, ...(fsGroup === undefined ? {} : { additionalGids: [fsGroup] }) },
      args: [...(c.command ?? o.image.config.Entrypoint ?? []), ...(c.args ?? (c.command === undefined ? (o.image.config.Cmd ?? []) : []))],
      env,
      cwd: o.image.config.WorkingDir ?? '/',
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      // The kubelet sets no rlimits (the runtime's own are inherited); runc's default would lower them.
      rlimits: [],
      noNewPrivileges: sc.allowPrivilegeEscalation === false,
    };
    spec.root = { path: rootfs, readonly: sc.readOnlyRootFilesystem === true };
    spec.hostname = o.podName;
    spec.mounts = [...spec.mounts, ...mounts];
    // The host's network (no CNI here; everything listens on 127.0.0.1); pid, ipc, uts and mount namespaces of its own.
    spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    spec.linux.resources = {
      ...spec.linux.resources,
      ...(limits.memory === undefined ? {} : { memory: { limit: quantityBytes(limits.memory) } }),
      ...(requests.cpu === undefined ? {} : { cpu: { shares: cpuShares(requests.cpu) } }),
    };
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    const service = await ServeProcess.startCommand('runc', ['run', '--bundle', bundle, id], {}, o.servingCaPem);
    const pid = (): number => (JSON.parse(run('runc', ['state', id])) as { pid: number }).pid;
    return {
      service,
      id,
      spec: spec as unknown as Record<string, unknown>,
      pid,
      exec: (args) => {
        const r = spawnSync('runc', ['exec', '--user', `${uid}:${gid}`, id, ...args], { encoding: 'utf8' });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      stop: async () => {
        const code = await service.stop();
        cleanup();
        return code;
      },
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Removes an image from buildah's store (the stand-in base image stays, for the next build). */
export function removeImage(name: string): void {
  spawnSync('buildah', ['rmi', '--force', name], { stdio: 'ignore' });
}
