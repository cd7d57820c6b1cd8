/**
 * `npm run bench:serve`: the burst benchmark of `joinery serve` (issue 6 §4) on its own testbed, in one run:
 *   - raw (the floor): BENCH_N bare bootstrap-token Secret creates straight to kube-apiserver with the admin
 *     credentials (dist/cluster KubeClient: node:https, keep-alive), each Secret made as joinery makes them
 *     (tokenSecret + createTokenSecret: a fresh random token, usage authentication, joinery's node group,
 *     15 min TTL, labels and annotations of the same size), but labelled `joinery.dev/bench-raw` instead of
 *     joinery.dev/managed, so that the running service's informer does not see them;
 *   - serve: BENCH_N `POST /v1/machines` (worker profile, inline delivery: a token minted and the bootstrap
 *     data rendered per request) to a `joinery serve` child process that uses the testbed's admin kubeconfig
 *     (over TLS with a certificate made for the run, node:https with keep-alive, as it is deployed; BENCH_TLS=0:
 *     plain HTTP on loopback).
 * Both at BENCH_CONCURRENCY in flight, with the same load generator (bench/harness.ts burst: a keep-alive
 * node Agent with maxSockets = concurrency). Each path is warmed up first (BENCH_WARMUP requests, not
 * counted: 1000 each, because serve's CPU per request falls by half over its first few thousand requests as
 * V8 optimizes its code, 0.98 -> 0.46 ms over five repetitions after a warm-up of 100, and the load
 * generator's too; a long-running service is measured in its steady state). The measured requests run in
 * BENCH_ROUNDS alternating rounds of BENCH_N / BENCH_ROUNDS each, in ABBA order (raw, serve, serve, raw, ...),
 * to spread the drift of this shared machine over both: 10 rounds
 * of 100 by default, because this machine's speed changes within seconds (one run's rounds of the floor alone
 * went from 500/s to 958/s; with 2 rounds of 500, two runs on v1.20.2 gave ratios of 1.01 and 0.78). Every
 * phase starts from the same Secrets in etcd: the tokens of the phase before are deleted first.
 * Any failed request (a 429 from a rate-limited API key included) fails the run with the first errors; the bench's
 * API key has the highest rate limit the config takes (BENCH_RATE_LIMIT=default: the service's default, 50/s).
 *
 * All of that is one repetition; BENCH_REPEATS of them (5 by default) run on the same testbed and service, one
 * after the other, and the headline figures are their medians (each repetition's figures are printed too).
 *
 * Prints throughput as a ratio of the floor (goal >= 0.9), p50/p99 against the floor's (goal p99 <= 1.2x),
 * for each repetition with a 95% interval over its rounds (bench/harness.ts pairedInterval: the ABBA pairs of rounds
 * drawn again with replacement), which shows how far this machine's drift alone moves the figure,
 * the serve process's peak RSS (VmHWM of the node process running serve; goal <= 150 MB) and the size of
 * kube-public/cluster-info's data before and after (goal: unchanged); also the CPU time each process
 * (serve, etcd, kube-apiserver, kube-controller-manager, this load generator) spent per request in each kind
 * of phase, from /proc/<pid>/stat, and their ratio: on a machine whose cores are the limit (this one: 2
 * cores for all of them), that is the throughput ratio to expect. The last line is one JSON object.
 *
 * By default the processes are pinned (BENCH_PIN, below): serve on a core of its own, as it is deployed.
 *
 * Env: KUBERNETES_VERSION (v1.20.2), BENCH_N (1000), BENCH_CONCURRENCY (32), BENCH_ROUNDS (10),
 * BENCH_WARMUP (1000), BENCH_REPEATS (5), BENCH_PROFILE=1 (V8's sampling profiler in the serve process, as `node --cpu-prof`,
 * which node 20 refuses in NODE_OPTIONS: a module preloaded with --import; the .cpuprofile is written to
 * BENCH_PROFILE_DIR, default $TMPDIR/joinery-bench-profiles, with the serve phases' time windows beside it in
 * windows.json; the figures of such a run are slowed by the profiler).
 */
import { readFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import os, { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { testbedDown, testbedNodeSpec, testbedUp } from '../dist/testbed/index.js';
import { createTokenSecret, getConfigMap, KubeClient, kubeconfigCredentials, KUBE_SYSTEM, DEFAULT_RETRY } from '../dist/cluster/index.js';
import { bootstrapToken, tokenSecret } from '../dist/token/index.js';
import { JOINERY_NODE_GROUP } from '../dist/provisioner/approval/index.js';
import { apiKey, ServeProcess } from '../test/support/serve.js';
import { opensslServerPki } from '../test/support/openssl.js';
import { burst, median, pairedInterval, percentile } from './harness.js';

const N = Number(process.env['BENCH_N'] ?? 1000);
const C = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 10);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 1000);
/**
 * Repetitions of the whole measurement (BENCH_N of each kind in BENCH_ROUNDS rounds) on the same testbed and
 * service; the headline figures are their medians. One repetition's throughput ratio moves by ±0.15 with this
 * machine's drift alone (its 95% interval), so a single one cannot tell 0.85 from 0.95.
 */
const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 5);
const PROFILE = process.env['BENCH_PROFILE'] === '1';
/**
 * The deployment model (default): joinery serve on CPU 1, the control plane and the load generator on CPU 0, as
 * in a cluster, where the service's pods run on worker nodes (kubeadm taints control-plane nodes) and do not
 * take the API server's cores. BENCH_PIN=0: all processes share all cores (on 2 cores, serve's CPU then comes
 * out of the API server's). Needs 2 CPUs and taskset; without them, nothing is pinned.
 */
const PIN = process.env['BENCH_PIN'] !== '0' && os.cpus().length >= 2 && spawnSync('taskset', ['-p', String(process.pid)]).status === 0;
const VERSION = process.env['KUBERNETES_VERSION'] ?? 'v1.20.2';
/**
 * serve speaks TLS (default), as it is deployed, so that the load generator does the same work per request in
 * both phases (a TLS client, as towards kube-apiserver) and serve's side of TLS is counted in serve's CPU.
 * BENCH_TLS=0: plain HTTP on loopback (tls.insecureLoopback), which spares the load generator ~0.1 ms per
 * request in the serve phase only.
 */
const TLS = process.env['BENCH_TLS'] !== '0';
/**
 * The bench key's rate limit (apiKeys[].rateLimit): the default (50/s, bursts of 100) would answer most of
 * the burst with 429, which fails the run; BENCH_RATE_LIMIT=default keeps the service's default.
 */
const RATE_LIMIT = process.env['BENCH_RATE_LIMIT'] === 'default' ? 'null' : '{requestsPerSecond: 1000000, burst: 1000000}';
const root = resolve(import.meta.dirname, '..');
const RAW_LABEL = 'joinery.dev/bench-raw';
const PROFILE_NAME = 'worker';
const SECRETS = `/api/v1/namespaces/${KUBE_SYSTEM}/secrets`;

type Kind = 'raw' | 'serve';
/** One repetition's measured rounds of each kind. */
type Rounds = Record<Kind, { wallMs: number; perRound: number[]; roundLatencies: number[][] }>;

/** The first few errors of a phase, readable (a JoineryError's code and message, an HTTP status and body). */
function describeErrors(kind: string, errors: unknown[]): string {
  const lines = errors.slice(0, 5).map((e) => {
    const err = e as { code?: string; message?: string };
    return `  ${err.code ?? ''} ${err.message ?? String(e)}`.slice(0, 600);
  });
  const limited = errors.some((e) => /\b429\b/.test(String((e as Error).message)));
  return `${kind}: ${errors.length} request(s) failed${limited ? ' (429: rate limited — an apiKeys[] rate limit in the serve config?)' : ''}; the first:\n${lines.join('\n')}`;
}

/** Bytes of cluster-info's data (keys and values), as `joinery doctor` counts them. */
async function clusterInfoBytes(admin: KubeClient): Promise<number> {
  const cm = await getConfigMap(admin, 'kube-public', 'cluster-info');
  return Object.entries(cm?.data ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/** Deletes the Secrets matching `labelSelector` in kube-system (one deletecollection) and waits until none is listed. */
async function deleteTokens(admin: KubeClient, labelSelector: string): Promise<void> {
  await admin.request(SECRETS, { method: 'DELETE', query: { labelSelector }, action: { verb: 'delete', resource: 'secrets', namespace: KUBE_SYSTEM } });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = await admin.request<{ items?: unknown[] }>(SECRETS, { query: { labelSelector, limit: '1' }, action: { verb: 'list', resource: 'secrets', namespace: KUBE_SYSTEM } });
    if ((list?.items ?? []).length === 0) return;
    if (Date.now() > deadline) throw new Error(`Secrets ${labelSelector} still listed 30 s after their deletion`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** VmHWM and VmRSS (MB) of a process, from /proc/<pid>/status. */
function memoryOf(pid: number): { hwmMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** CPU time (user + system, ms) a process has used, from /proc/<pid>/stat; NaN when it is gone. */
function cpuMsOf(pid: number, tickMs: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * tickMs;
  } catch {
    return NaN;
  }
}

/** The figures of one repetition: BENCH_N requests of each kind in BENCH_ROUNDS ABBA rounds. */
interface Repetition {
  rawPerS: number;
  servePerS: number;
  ratio: number;
  ratioInterval: [number, number];
  raw50: number;
  raw99: number;
  p50: number;
  p99: number;
  p99Ratio: number;
  p99Interval: [number, number];
  rawRounds: number[];
  serveRounds: number[];
  serveCpuMs: number;
}

function repetitionFigures(results: Rounds, n: number, serveCpuMs: number): Repetition {
  const s = results.serve;
  const f = results.raw;
  const rounds = f.perRound.length;
  const fl = f.roundLatencies.flat();
  const sl = s.roundLatencies.flat();
  const rawPerS = (n * 1000) / f.wallMs;
  const servePerS = (n * 1000) / s.wallMs;
  const raw99 = percentile(fl, 99);
  const p99 = percentile(sl, 99);
  // How far the machine's drift alone moves these figures: 95% intervals over the rounds, drawn again in their
  // ABBA pairs (round i of the floor with round i of serve). Rounds have equal sizes: throughput = time over time.
  const ratioInterval = pairedInterval(rounds, (ix) => {
    const time = (rates: number[]): number => ix.reduce((a, i) => a + 1 / (rates[i] as number), 0);
    return time(f.perRound) / time(s.perRound);
  });
  const p99Interval = pairedInterval(rounds, (ix) => percentile(ix.flatMap((i) => s.roundLatencies[i] as number[]), 99) / percentile(ix.flatMap((i) => f.roundLatencies[i] as number[]), 99));
  return {
    rawPerS,
    servePerS,
    ratio: servePerS / rawPerS,
    ratioInterval,
    raw50: percentile(fl, 50),
    raw99,
    p50: percentile(sl, 50),
    p99,
    p99Ratio: p99 / raw99,
    p99Interval,
    rawRounds: f.perRound,
    serveRounds: s.perRound,
    serveCpuMs,
  };
}

async function main(): Promise<void> {
  if (!(N > 0 && C > 0 && ROUNDS > 0 && N % ROUNDS === 0)) throw new Error(`BENCH_N (${N}) must be a positive multiple of BENCH_ROUNDS (${ROUNDS}), BENCH_CONCURRENCY (${C}) positive`);
  if (!(Number.isInteger(REPEATS) && REPEATS >= 1)) throw new Error(`BENCH_REPEATS (${process.env['BENCH_REPEATS']}) must be a whole number >= 1`);
  const dir = mkdtempSync(join(tmpdir(), 'joinery-bench-serve-'));
  const work = mkdtempSync(join(tmpdir(), 'joinery-bench-serve-work-'));
  const profileDir = resolve(process.env['BENCH_PROFILE_DIR'] ?? join(tmpdir(), 'joinery-bench-profiles'));
  let service: ServeProcess | undefined;
  let admin: KubeClient | undefined;
  let cleaner: KubeClient | undefined;
  const pki = TLS ? opensslServerPki({ sans: 'IP:127.0.0.1' }) : undefined;
  const agent = pki === undefined ? new HttpAgent({ keepAlive: true, maxSockets: C }) : new HttpsAgent({ keepAlive: true, maxSockets: C, ca: pki.caPem });
  const sendRequest = pki === undefined ? httpRequest : httpsRequest;
  try {
    const tb = await testbedUp({ dir, kubernetesVersion: VERSION, log: (l) => console.error(l) });
    const env = { ...process.env, KUBECONFIG: tb.kubeconfig };
    const setup = spawnSync(process.execPath, [join(root, 'bin/joinery'), 'setup'], { env, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`joinery setup failed: ${setup.stderr}`);

    const key = apiKey('bench');
    const config = join(work, 'joinery.yaml');
    let tlsConfig = '{insecureLoopback: true}';
    if (pki !== undefined) {
      writeFileSync(join(work, 'serve.crt'), pki.certPem);
      writeFileSync(join(work, 'serve.key'), pki.keyPem, { mode: 0o600 });
      tlsConfig = `{certFile: ${join(work, 'serve.crt')}, keyFile: ${join(work, 'serve.key')}}`;
    }
    writeFileSync(
      config,
      `listen: 127.0.0.1:0\ntls: ${tlsConfig}\nkubeconfig: ${tb.kubeconfig}\napiKeys:\n  - {name: bench, sha256: ${key.sha256}, scope: admin, rateLimit: ${RATE_LIMIT}}\nprofiles:\n  ${PROFILE_NAME}:\n    role: worker\n    format: script\n    tokenTTL: 15m\n    nodeNamePattern: "^bench-[a-z0-9-]+$"\n    spec: ${JSON.stringify(testbedNodeSpec(tb))}\n`,
      { mode: 0o600 },
    );
    if (PROFILE) mkdirSync(profileDir, { recursive: true });
    const profileTag = `serve-${VERSION}-${Date.now()}`;
    const cpuProfDir = join(profileDir, profileTag);
    let serveEnv: Record<string, string> = {};
    if (PROFILE) {
      // node 20 refuses --cpu-prof in NODE_OPTIONS, and ServeProcess starts `node bin/joinery serve` itself: a
      // preloaded module runs V8's sampling profiler (as --cpu-prof does) and writes it when serve exits.
      mkdirSync(cpuProfDir, { recursive: true });
      const preload = join(work, 'cpu-profile.mjs');
      writeFileSync(
        preload,
        `import { Session } from 'node:inspector';\nimport { writeFileSync } from 'node:fs';\n` +
          `const s = new Session(); s.connect(); s.post('Profiler.enable'); s.post('Profiler.setSamplingInterval', { interval: 500 }); s.post('Profiler.start');\n` +
          `process.on('exit', () => s.post('Profiler.stop', (err, r) => { if (!err) writeFileSync(${JSON.stringify(join(cpuProfDir, 'serve.cpuprofile'))}, JSON.stringify(r.profile)); }));\n`,
      );
      serveEnv = { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${preload}`.trim() };
    }
    service = await ServeProcess.start(config, serveEnv);
    const pid = service.child.pid as number;
    // The pid must be the node process that runs serve (ServeProcess spawns node itself, no wrapper).
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline.includes('serve') || !/node/.test(cmdline[0] ?? '')) throw new Error(`pid ${pid} is not the node process of joinery serve: ${cmdline.join(' ')}`);
    if (PIN) {
      // The deployment model: joinery serve on a core of its own (another node, in a cluster), the control plane
      // and this load generator on the other, in both phases alike.
      const pin = (cpu: string, p: number): void => {
        const r = spawnSync('taskset', ['-a', '-p', '-c', cpu, String(p)], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`taskset ${cpu} ${p}: ${r.stderr}`);
      };
      for (const p of Object.values(tb.pids)) pin('0', p);
      pin('0', process.pid);
      pin('1', pid);
      console.error('pinned: kube-apiserver, etcd, kube-controller-manager and the load generator on CPU 0, joinery serve on CPU 1');
    }
    const serveUrl = new URL(service.url);
    const rssAtStart = memoryOf(pid);

    let retries = 0;
    const direct = new KubeClient(kubeconfigCredentials(tb.kubeconfig), { ...DEFAULT_RETRY, onRetry: () => void (retries += 1) }, C);
    admin = direct;
    const kc = new KubeClient(kubeconfigCredentials(tb.kubeconfig));
    cleaner = kc;
    const clusterInfoBefore = await clusterInfoBytes(kc);

    /** One raw create: a token Secret as joinery's mint makes it (mintNodeToken for a machine of the worker profile). */
    const raw = async (name: string): Promise<void> => {
      const token = bootstrapToken({ ttl: '900s', usages: ['authentication'], description: `joinery: machine ${name} (profile ${PROFILE_NAME})`, groups: [JOINERY_NODE_GROUP] });
      const manifest = tokenSecret(token, new Date(), {
        labels: { [RAW_LABEL]: 'true', 'joinery.dev/machine': name, 'joinery.dev/profile': PROFILE_NAME },
        annotations: { 'joinery.dev/node-name': name, 'joinery.dev/format': 'script', 'joinery.dev/delivery': 'inline' },
      });
      const stored = await createTokenSecret(direct, manifest);
      if (stored?.metadata?.name !== manifest.metadata.name) throw new Error(`create ${manifest.metadata.name}: unexpected answer`);
    };
    /** One POST /v1/machines; fails unless 201 with bootstrap data. */
    const serve = (name: string): Promise<void> =>
      new Promise((resolvePromise, reject) => {
        const payload = JSON.stringify({ name, profile: PROFILE_NAME, delivery: 'inline' });
        const req = sendRequest(
          {
            hostname: serveUrl.hostname,
            port: Number(serveUrl.port),
            path: '/v1/machines',
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), accept: 'application/json' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              if (res.statusCode !== 201) return reject(new Error(`POST /v1/machines ${name}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
              const body = JSON.parse(text) as { userdata?: unknown };
              if (typeof body.userdata !== 'string' || body.userdata.length < 100) return reject(new Error(`POST /v1/machines ${name}: no bootstrap data in the answer`));
              resolvePromise();
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const selector: Record<Kind, string> = { raw: `${RAW_LABEL}=true`, serve: `joinery.dev/managed=true,joinery.dev/profile=${PROFILE_NAME}` };
    const request: Record<Kind, (name: string) => Promise<void>> = { raw, serve };

    const emptyRounds = (): Rounds => ({ raw: { wallMs: 0, perRound: [], roundLatencies: [] }, serve: { wallMs: 0, perRound: [], roundLatencies: [] } });
    /** The rounds of each repetition; the last is the one being measured. */
    const measured: Rounds[] = [];
    let results = emptyRounds();
    /** Wall time of each kind over all repetitions (for the CPU figures). */
    const wallMs = (kind: Kind): number => measured.reduce((a, r) => a + r[kind].wallMs, 0);
    const windows: { kind: Kind; startUs: string; endUs: string }[] = [];
    const clusterInfoReadings: number[] = [];
    // CPU used during the measured phases, per process: where the 2 cores go in each kind of burst.
    const tickMs = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
    const procs: Record<string, number> = { 'joinery serve': pid, ...tb.pids };
    const cpu: Record<Kind, Record<string, number>> = { raw: {}, serve: {} };
    const cpuNow = (): Record<string, number> => {
      const out: Record<string, number> = Object.fromEntries(Object.entries(procs).map(([name, p]) => [name, cpuMsOf(p, tickMs)]));
      const self = process.cpuUsage();
      out['load generator (this process)'] = (self.user + self.system) / 1000;
      return out;
    };
    const phase = async (kind: Kind, label: string, n: number, record: boolean): Promise<void> => {
      // Every phase starts from the same Secrets in etcd: the tokens of the phases before are gone.
      await deleteTokens(kc, selector.raw);
      await deleteTokens(kc, selector.serve);
      const c0 = cpuNow();
      const t0 = process.hrtime.bigint();
      const r = await burst(n, C, (i) => request[kind](`bench-${label}-${i}`));
      const t1 = process.hrtime.bigint();
      const c1 = cpuNow();
      if (r.errors.length > 0) throw new Error(describeErrors(`${kind} ${label}`, r.errors));
      const rps = (n * 1000) / r.wallMs;
      console.error(`${label} ${kind}: ${n} in ${(r.wallMs / 1000).toFixed(2)} s, ${rps.toFixed(0)}/s, p50 ${percentile(r.latencies, 50).toFixed(1)} ms, p99 ${percentile(r.latencies, 99).toFixed(1)} ms`);
      if (!record) return;
      results[kind].wallMs += r.wallMs;
      results[kind].perRound.push(rps);
      results[kind].roundLatencies.push(r.latencies);
      for (const name of Object.keys(c1)) cpu[kind][name] = (cpu[kind][name] ?? 0) + ((c1[name] as number) - (c0[name] as number));
      windows.push({ kind, startUs: String(t0 / 1000n), endUs: String(t1 / 1000n) });
      if (kind === 'serve') {
        // With the service's tokens still there, and a second for kube-controller-manager's bootstrapsigner
        // (a token with the signing usage would add a JWS to cluster-info).
        await new Promise((res) => setTimeout(res, 1000));
        clusterInfoReadings.push(await clusterInfoBytes(kc));
      }
    };

    const load = (): string => readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
    const loadBefore = load();
    await phase('raw', 'warm', WARMUP, false);
    await phase('serve', 'warm', WARMUP, false);
    // Background CPU (controllers, heartbeats, timers) accrues with time, not with requests: measured while idle.
    const IDLE_MS = 3000;
    const i0 = cpuNow();
    await new Promise((res) => setTimeout(res, IDLE_MS));
    const i1 = cpuNow();
    const idlePerSec: Record<string, number> = Object.fromEntries(Object.keys(i1).map((name) => [name, (((i1[name] as number) - (i0[name] as number)) * 1000) / IDLE_MS]));
    const per = N / ROUNDS;
    const span = (i: [number, number]): string => `${i[0].toFixed(2)}-${i[1].toFixed(2)}`;
    /** serve's CPU time in the measured serve phases so far (ms). */
    const serveCpu = (): number => cpu.serve['joinery serve'] ?? 0;
    const reps: Repetition[] = [];
    const repLines: string[] = [];
    for (let rep = 1; rep <= REPEATS; rep++) {
      results = emptyRounds();
      measured.push(results);
      const cpuBefore = serveCpu();
      for (let r = 0; r < ROUNDS; r++) {
        const order: Kind[] = r % 2 === 0 ? ['raw', 'serve'] : ['serve', 'raw'];
        for (const kind of order) await phase(kind, `${REPEATS > 1 ? `x${rep}-` : ''}r${r + 1}`, per, true);
      }
      const one = repetitionFigures(results, N, (serveCpu() - cpuBefore) / N);
      reps.push(one);
      if (REPEATS > 1) {
        repLines.push(
          `  repetition ${rep}: raw ${one.rawPerS.toFixed(0)}/s (p50 ${one.raw50.toFixed(1)}, p99 ${one.raw99.toFixed(1)} ms), serve ${one.servePerS.toFixed(0)}/s (p50 ${one.p50.toFixed(1)}, p99 ${one.p99.toFixed(1)} ms); ` +
            `throughput ratio ${one.ratio.toFixed(2)} (${span(one.ratioInterval)}), p99 ${one.p99Ratio.toFixed(2)}x (${span(one.p99Interval)}x); serve ${one.serveCpuMs.toFixed(2)} ms CPU/request`,
        );
      }
    }
    const loadAfter = load();
    // The largest size seen after a serve phase (its tokens still there): any growth shows.
    const clusterInfoAfter = Math.max(...clusterInfoReadings, await clusterInfoBytes(kc));
    const mem = memoryOf(pid);

    const mid = (pick: (r: Repetition) => number): number => median(reps.map(pick));
    const ratio = mid((r) => r.ratio);
    const p99Ratio = mid((r) => r.p99Ratio);
    const p = { raw50: mid((r) => r.raw50), raw99: mid((r) => r.raw99), p50: mid((r) => r.p50), p99: mid((r) => r.p99) };
    const thr = { raw: mid((r) => r.rawPerS), serve: mid((r) => r.servePerS) };
    const only = reps[0] as Repetition;
    const total = N * REPEATS;
    const of = REPEATS > 1 ? `, the median of ${REPEATS} repetitions` : '';
    console.log(`Kubernetes ${tb.version}, ${REPEATS > 1 ? `${REPEATS} repetitions of ` : ''}${N} requests each at concurrency ${C}, ${ROUNDS} alternating rounds of ${per} (ABBA)${REPEATS > 1 ? ' in each' : ''}, after ${WARMUP} warm-up requests each; ${PIN ? 'serve on CPU 1, the control plane and the load generator on CPU 0 (BENCH_PIN=0: shared)' : 'all processes on all cores'}; serve over ${TLS ? 'TLS' : 'plain HTTP (BENCH_TLS=0)'}; load ${loadBefore} -> ${loadAfter}`);
    for (const line of repLines) console.log(line);
    if (REPEATS === 1) {
      console.log(`  raw Secret creates (floor)   ${thr.raw.toFixed(0)}/s   p50 ${p.raw50.toFixed(1)} ms   p99 ${p.raw99.toFixed(1)} ms   (rounds: ${only.rawRounds.map((x) => x.toFixed(0)).join(', ')}/s; ${retries} client retries)`);
      console.log(`  POST /v1/machines (serve)    ${thr.serve.toFixed(0)}/s   p50 ${p.p50.toFixed(1)} ms   p99 ${p.p99.toFixed(1)} ms   (rounds: ${only.serveRounds.map((x) => x.toFixed(0)).join(', ')}/s)`);
      console.log(`  throughput ratio ${ratio.toFixed(2)} (goal >= 0.9; 95% interval over the rounds ${span(only.ratioInterval)})   p50 ${(p.p50 / p.raw50).toFixed(2)}x   p99 ${p99Ratio.toFixed(2)}x (goal <= 1.2x; ${span(only.p99Interval)}x)`);
    } else {
      const list = (pick: (r: Repetition) => number): string => reps.map((r) => pick(r).toFixed(2)).join(', ');
      console.log(`  raw Secret creates (floor)   ${thr.raw.toFixed(0)}/s   p50 ${p.raw50.toFixed(1)} ms   p99 ${p.raw99.toFixed(1)} ms   (medians of the repetitions; ${retries} client retries)`);
      console.log(`  POST /v1/machines (serve)    ${thr.serve.toFixed(0)}/s   p50 ${p.p50.toFixed(1)} ms   p99 ${p.p99.toFixed(1)} ms   (medians of the repetitions)`);
      console.log(`  throughput ratio ${ratio.toFixed(2)}${of} (goal >= 0.9; each: ${list((r) => r.ratio)})   p50 ${(p.p50 / p.raw50).toFixed(2)}x   p99 ${p99Ratio.toFixed(2)}x${of} (goal <= 1.2x; each: ${list((r) => r.p99Ratio)})`);
    }
    const perReq = (kind: Kind): Record<string, number> => Object.fromEntries(Object.entries(cpu[kind]).map(([name, ms]) => [name, Number((ms / total).toFixed(2))]));
    const cpuLine = (kind: Kind): string => {
      const sum = Object.values(cpu[kind]).reduce((a, b) => a + b, 0);
      return `${(sum / total).toFixed(2)} ms/request (${Object.entries(cpu[kind]).map(([name, ms]) => `${name} ${(ms / total).toFixed(2)}`).join(', ')}); ${(sum / wallMs(kind)).toFixed(2)} of ${os.cpus().length} cores busy`;
    };
    const cpuTotal = (kind: Kind): number => Object.values(cpu[kind]).reduce((a, b) => a + b, 0);
    const cpuRatio = cpuTotal('raw') / cpuTotal('serve');
    const idleTotal = Object.values(idlePerSec).reduce((a, b) => a + b, 0);
    /** CPU per request without the background CPU of the phase's wall time. */
    const cpuNet = (kind: Kind): number => (cpuTotal(kind) - (idleTotal * wallMs(kind)) / 1000) / total;
    const cpuNetRatio = cpuNet('raw') / cpuNet('serve');
    console.log(`  CPU, raw:   ${cpuLine('raw')}`);
    console.log(`  CPU, serve: ${cpuLine('serve')}`);
    console.log(`  CPU while idle: ${Object.entries(idlePerSec).map(([name, ms]) => `${name} ${ms.toFixed(0)}`).join(', ')} ms/s; per request without it: raw ${cpuNet('raw').toFixed(2)} ms, serve path ${cpuNet('serve').toFixed(2)} ms`);
    console.log(`  CPU per request raw / serve path (all processes above) ${cpuRatio.toFixed(2)}, without the idle CPU ${cpuNetRatio.toFixed(2)}: the throughput ratio to expect when the cores are the limit`);
    console.log(`  joinery serve peak RSS ${mem.hwmMb.toFixed(1)} MB (goal <= 150 MB; ${rssAtStart.rssMb.toFixed(1)} MB after start, ${mem.rssMb.toFixed(1)} MB now)`);
    console.log(`  cluster-info data ${clusterInfoBefore} -> ${clusterInfoAfter} bytes (goal: unchanged)`);
    let profileFiles: string[] = [];
    if (PROFILE) {
      await service.stop();
      profileFiles = readdirSync(cpuProfDir).map((f) => join(cpuProfDir, f));
      writeFileSync(join(cpuProfDir, 'windows.json'), JSON.stringify(windows, null, 2));
      console.log(`  CPU profile of serve (the whole process; the serve phases' windows in windows.json, µs of CLOCK_MONOTONIC): ${profileFiles.join(' ')}`);
    }
    const r3 = (x: number): number => Number(x.toFixed(3));
    const r1 = (x: number): number => Number(x.toFixed(1));
    const interval = (i: [number, number]): number[] => i.map(r3);
    console.log(
      JSON.stringify({
        throughput_ratio: r3(ratio),
        ...(REPEATS === 1 ? { throughput_ratio_ci95: interval(only.ratioInterval) } : {}),
        p99_ratio: r3(p99Ratio),
        ...(REPEATS === 1 ? { p99_ratio_ci95: interval(only.p99Interval) } : {}),
        p50_ms: r1(p.p50),
        p99_ms: r1(p.p99),
        raw_p50_ms: r1(p.raw50),
        raw_p99_ms: r1(p.raw99),
        peak_rss_mb: r1(mem.hwmMb),
        cluster_info_bytes_before: clusterInfoBefore,
        cluster_info_bytes_after: clusterInfoAfter,
        version: tb.version,
        n: N,
        concurrency: C,
        rounds: ROUNDS,
        repeats: REPEATS,
        pinned: PIN,
        tls: TLS,
        raw_per_s: Math.round(thr.raw),
        serve_per_s: Math.round(thr.serve),
        raw_retries: retries,
        cpu_ratio: r3(cpuRatio),
        cpu_net_ratio: r3(cpuNetRatio),
        serve_cpu_ms_per_request: Number(((cpu.serve['joinery serve'] ?? NaN) / total).toFixed(2)),
        cpu_ms_per_request: { raw: perReq('raw'), serve: perReq('serve') },
        ...(REPEATS > 1
          ? {
              repetitions: reps.map((r) => ({
                throughput_ratio: r3(r.ratio),
                throughput_ratio_ci95: interval(r.ratioInterval),
                p99_ratio: r3(r.p99Ratio),
                p99_ratio_ci95: interval(r.p99Interval),
                raw_per_s: Math.round(r.rawPerS),
                serve_per_s: Math.round(r.servePerS),
                p50_ms: r1(r.p50),
                p99_ms: r1(r.p99),
                raw_p50_ms: r1(r.raw50),
                raw_p99_ms: r1(r.raw99),
                serve_cpu_ms_per_request: Number(r.serveCpuMs.toFixed(2)),
              })),
            }
          : {}),
        load: `${loadBefore} -> ${loadAfter}`,
        ...(PROFILE ? { profile: profileFiles[0] } : {}),
      }),
    );
  } finally {
    agent.destroy();
    admin?.close();
    cleaner?.close();
    await service?.stop();
    testbedDown(dir);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
