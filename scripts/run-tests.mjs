#!/usr/bin/env node
// Runs every test file under test/ (unit and integration) with node:test and tsx.
// Node 20's `--test` does not discover .ts files by itself, so the list is built here.
// Arguments narrow the run to paths containing any of them: `npm test -- token pki`.
//
// Unit files run once. When integration files are selected, they run once per Kubernetes version of
// `joinery testbed versions` (1.20.2 and the versions testbed/k8s builds from Go modules), sequentially,
// each against its own testbed (a real control plane, src/testbed) passed in JOINERY_TESTBED_DIR and
// KUBE_BIN; each testbed is stopped and removed after its run, also when a test fails or the run is
// interrupted. Missing binaries are built first (`testbed up --build`: 1.20.2 from Debian's source package,
// the others from Go modules, cached per version). A version that cannot be had on this machine (no Go)
// is reported as NOT AVAILABLE in the summary; with JOINERY_REQUIRE_ALL_VERSIONS=1 (CI) that fails the run.
// A run with integration files gets every version's binaries first (`testbed build`), before the unit tests,
// so that unit tests comparing with the real kubeadm run on a fresh machine instead of skipping.
// JOINERY_TEST_VERSIONS=v1.30.4,v1.36.3 narrows the versions.
import { readdirSync, readFileSync, rmSync, statSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = walk('test')
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const joinery = ['bin/joinery'];
const integration = files.some((f) => f.startsWith(join('test', 'integration')));
if (!integration || process.env.JOINERY_TESTBED_DIR !== undefined) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

/** Runs node:test on `list`; returns its exit status and the counts of its TAP summary. */
function runTests(list, env, extra = []) {
  const tapDir = mkdtempSync(join(tmpdir(), 'joinery-tap-'));
  const tap = join(tapDir, 'report.tap');
  const reporter = process.stdout.isTTY ? 'spec' : 'tap';
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', ...extra, `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...list],
    { stdio: 'inherit', env },
  );
  let text = '';
  try {
    text = readFileSync(tap, 'utf8');
  } catch {
    // no report: counts stay empty
  }
  rmSync(tapDir, { recursive: true, force: true });
  const count = (k) => Number(new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return { status: r.status ?? 1, tests: count('tests'), pass: count('pass'), fail: count('fail'), skipped: count('skipped') };
}

const seconds = (t0) => `${Math.round((Date.now() - t0) / 1000)} s`;
const unit = files.filter((f) => !f.startsWith(join('test', 'integration')));
const integ = files.filter((f) => f.startsWith(join('test', 'integration')));
const summary = [];
let failed = false;

const listed = spawnSync(process.execPath, [...joinery, 'testbed', 'versions', '-o', 'json'], { encoding: 'utf8' });
if (listed.status !== 0) {
  console.error(`joinery testbed versions failed:\n${listed.stderr}`);
  process.exit(1);
}
const only = (process.env.JOINERY_TEST_VERSIONS ?? '').split(',').filter((v) => v !== '');
const versions = JSON.parse(listed.stdout).versions.filter((v) => only.length === 0 || only.includes(v.version));

// A full run gets every version's binaries first (built when missing), so that the unit tests that compare
// with the real kubeadm of each version run instead of skipping on a fresh machine.
const prepared = new Map();
if (integ.length > 0) {
  for (const v of versions.filter((x) => x.available || x.buildable)) {
    const t0 = Date.now();
    const b = spawnSync(process.execPath, [...joinery, 'testbed', 'build', '--kubernetes-version', v.version], { stdio: ['ignore', 'ignore', 'inherit'] });
    prepared.set(v.version, b.status === 0 ? `binaries ready in ${seconds(t0)}` : `binaries FAILED after ${seconds(t0)}`);
  }
}

if (unit.length > 0) {
  const t0 = Date.now();
  const u = runTests(unit, { ...process.env });
  summary.push(`unit: ${u.pass}/${u.tests} passed, ${u.fail} failed, ${u.skipped} skipped (${seconds(t0)})`);
  failed ||= u.status !== 0;
}

let current;
const down = () => {
  if (current !== undefined) spawnSync(process.execPath, [...joinery, 'testbed', 'down', '--dir', current], { stdio: 'inherit' });
  current = undefined;
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    down();
    process.exit(130);
  });
}

let missing = 0;
for (const v of versions) {
  if (!v.available && !v.buildable) {
    summary.push(`${v.version} (${v.configApi}): NOT AVAILABLE on this machine, integration tests not run: ${v.detail}`);
    missing++;
    continue;
  }
  console.error(`\n=== integration tests on Kubernetes ${v.version} (kubeadm config ${v.configApi}) ===`);
  current = mkdtempSync(join(tmpdir(), `joinery-testbed-${v.version}-`));
  const t0 = Date.now();
  // `up --build` builds missing binaries (and prints how long that took) before starting the testbed.
  const up = spawnSync(process.execPath, [...joinery, 'testbed', 'up', '--build', '--kubernetes-version', v.version, '--dir', current], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (up.status !== 0) {
    down();
    summary.push(`${v.version} (${v.configApi}): NOT AVAILABLE, the testbed did not start (see above), integration tests not run`);
    missing++;
    continue;
  }
  const ready = seconds(t0);
  const binDir = JSON.parse(readFileSync(join(current, 'testbed.json'), 'utf8')).binDir;
  const t1 = Date.now();
  // Integration files one at a time, since some (doctor) briefly break and restore the shared cluster,
  // which must not race with another file's join.
  const i = runTests(integ, { ...process.env, JOINERY_TESTBED_DIR: current, KUBE_BIN: binDir }, ['--test-concurrency=1']);
  down();
  summary.push(`${v.version} (${v.configApi}): ${i.pass}/${i.tests} passed, ${i.fail} failed, ${i.skipped} skipped (${prepared.get(v.version) ?? 'binaries not prepared'}, testbed up in ${ready}, tests ${seconds(t1)})`);
  failed ||= i.status !== 0;
}

console.error(`\n=== summary ===\n${summary.join('\n')}`);
if (missing > 0 && process.env.JOINERY_REQUIRE_ALL_VERSIONS === '1') {
  console.error(`${missing} Kubernetes version(s) not available, and JOINERY_REQUIRE_ALL_VERSIONS=1 asks for all`);
  failed = true;
}
process.exit(failed ? 1 : 0);
