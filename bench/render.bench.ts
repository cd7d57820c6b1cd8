/**
 * `npm run bench:render`: bootstrap documents rendered per second on one core for each format (cloud-config,
 * Ignition 3.4.0, shell script), for a worker plan shaped like Cluster API's (kubeadm join config, user
 * files, users, NTP, binaries, commands), and the byte size of each role x format. It measures the compiled
 * code in dist/ (build first), as the CLI runs it. The last line is one JSON object with the worker
 * documents per second of each format. Goal: >= 20,000 per format.
 */
import { measure, rate } from './harness.js';
import { renderCloudConfig, renderIgnition, renderScript, renderedSize } from '../dist/userdata/render/index.js';
import { bootPlan } from '../dist/userdata/roles/index.js';
import { parseMachineSpec } from '../dist/userdata/spec/index.js';
import { FIXTURE_TOKEN, FIXTURES, workerPlan } from '../test/unit/userdata/render/fixtures.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? '1');
const ms = seconds * 1000;

const FORMATS = {
  'cloud-config': (p: ReturnType<typeof workerPlan>) => renderCloudConfig(p),
  ignition: (p: ReturnType<typeof workerPlan>) => renderIgnition(p, { version: '3.4.0' }),
  script: (p: ReturnType<typeof workerPlan>) => renderScript(p),
} as const;
type FormatName = keyof typeof FORMATS;

// Every document is for another machine: its own node name and token in the kubeadm join config, as the
// provisioner renders them (the renderers memoize gzip by content, so one plan over and over would flatter
// Ignition). The plans are built before the clock starts.
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const workers = Array.from({ length: 4096 }, (_, i) => {
  const plan = workerPlan();
  const token = `${i.toString(36).padStart(6, '0')}.${(i * 7919).toString(16).padStart(16, '0')}`;
  plan.nodeName = `worker-${i}`;
  plan.files = plan.files.map((f) =>
    f.secret ? { ...f, content: encoder.encode(decoder.decode(f.content).replace(FIXTURE_TOKEN, token).replace('worker-1', plan.nodeName)) } : f,
  );
  return plan;
});
let next = 0;
const worker = () => workers[next++ & 4095] as ReturnType<typeof workerPlan>;
const perSecond = {} as Record<FormatName, number>;
// Baseline, same run: JSON.stringify of the finished Ignition document as a plain object, the cost of
// serialising the same data with no encoding work at all (no data URLs, gzip, quoting or YAML).
const ignitionObjects = workers.slice(0, 256).map((p) => JSON.parse(renderIgnition(p, { version: '3.4.0' })) as unknown);
let nextObject = 0;
const baseline = measure('baseline', () => JSON.stringify(ignitionObjects[nextObject++ & 255]), ms, 300);
console.log(`worker documents per second (one core); baseline JSON.stringify of the same Ignition data: ${rate(baseline.opsPerSec)}/s`);
for (const name of Object.keys(FORMATS) as FormatName[]) {
  const render = FORMATS[name];
  const m = measure(name, () => render(worker()), ms, 300);
  perSecond[name] = Math.round(m.opsPerSec);
  console.log(`  ${name.padEnd(14)} ${rate(m.opsPerSec).padStart(10)} docs/s   ratio to baseline ${(m.opsPerSec / baseline.opsPerSec).toFixed(2)}   goal >= 20,000`);
}

// End to end as the CLI and the provisioner do it: spec -> boot plan (kubeadm join config emitted) -> document.
const spec = parseMachineSpec('preKubeadmCommands: [echo hi]\nfiles:\n- {path: /etc/motd, content: hello, permissions: "0644"}\n');
const ca = ['sha256:' + 'ab'.repeat(32)];
let n = 0;
const creds = () => {
  n += 1;
  return { nodeName: `worker-${n & 4095}`, kubernetesVersion: 'v1.30.0', endpoint: '10.0.0.1:6443', token: `${(n & 4095).toString(36).padStart(6, '0')}.0123456789abcdef`, caPins: ca, discovery: { kind: 'token' as const } };
};
console.log('worker documents per second from a machine spec (boot plan included)');
for (const name of Object.keys(FORMATS) as FormatName[]) {
  const render = FORMATS[name];
  const m = measure(`${name} e2e`, () => render(bootPlan(spec, 'worker', creds())), ms, 300);
  console.log(`  ${name.padEnd(14)} ${rate(m.opsPerSec).padStart(10)} docs/s`);
}

console.log('\nbytes per document');
console.log(`  ${'role'.padEnd(14)} ${Object.keys(FORMATS).map((f) => f.padStart(14)).join('')}`);
for (const [role, build] of Object.entries(FIXTURES)) {
  const plan = build();
  const sizes = (Object.keys(FORMATS) as FormatName[]).map((f) => String(renderedSize(FORMATS[f](plan))).padStart(14));
  console.log(`  ${role.padEnd(14)} ${sizes.join('')}`);
}
console.log(JSON.stringify(perSecond));
