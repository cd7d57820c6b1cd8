import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

test('npm run bench runs (briefly) and ends with one JSON object of positive figures', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/core.bench.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, BENCH_SECONDS: '0.05' },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const figures = JSON.parse(lines[lines.length - 1]!) as Record<string, number>;
  for (const op of ['token_generate_encode', 'ca_pin_rsa_2048', 'jws_sign_verify', 'joinconfiguration_emit']) {
    for (const suffix of ['ops_per_sec', 'baseline_ops_per_sec', 'ratio']) {
      const v = figures[`${op}_${suffix}`];
      assert.ok(typeof v === 'number' && v > 0, `${op}_${suffix} = ${v}`);
    }
  }
  assert.equal(lines.filter((l) => / ratio \d/.test(l)).length, 4);
});
