#!/usr/bin/env node
// Runs every test file under test/ (unit and integration) with node:test and tsx.
// Node 20's `--test` does not discover .ts files by itself, so the list is built here.
// Arguments narrow the run to paths containing any of them: `npm test -- token pki`.
//
// When integration tests are selected, one testbed (a real control plane, src/testbed) is started for the
// whole run and shared by every test file through JOINERY_TESTBED_DIR; it is stopped and removed at the
// end, also when a test fails or the run is interrupted. The binaries come from ../shared/testbed or the
// cache, else they are built from Debian's source package (`testbed up --build`).
import { readdirSync, statSync, mkdtempSync } from 'node:fs';
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
const env = { ...process.env };
let testbedDir;
const integration = files.some((f) => f.startsWith(join('test', 'integration')));
if (integration && process.env.JOINERY_TESTBED_DIR === undefined) {
  testbedDir = mkdtempSync(join(tmpdir(), 'joinery-testbed-run-'));
  const down = () => spawnSync(process.execPath, [...joinery, 'testbed', 'down', '--dir', testbedDir], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      down();
      process.exit(130);
    });
  }
  const up = spawnSync(process.execPath, [...joinery, 'testbed', 'up', '--build', '--dir', testbedDir], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (up.status !== 0) {
    down();
    console.error('the testbed did not start: the integration tests cannot run (see above)');
    process.exit(1);
  }
  env.JOINERY_TESTBED_DIR = testbedDir;
  // Unit files run in parallel; integration files one at a time, since some (doctor) briefly break and
  // restore the shared cluster, which must not race with another file's join.
  const unit = files.filter((f) => !f.startsWith(join('test', 'integration')));
  const integ = files.filter((f) => f.startsWith(join('test', 'integration')));
  const u = unit.length === 0 ? { status: 0 } : spawnSync(process.execPath, ['--import', 'tsx', '--test', ...unit], { stdio: 'inherit', env });
  const i = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...integ], { stdio: 'inherit', env });
  down();
  process.exit(u.status === 0 && i.status === 0 ? 0 : (u.status || i.status || 1));
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
