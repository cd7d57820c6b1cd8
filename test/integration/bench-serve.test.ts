/**
 * `npm run bench:serve` (issue 6 §4) still runs: a short run (2 repetitions of 40 requests of each kind in 4
 * ABBA rounds, on its own testbed of the shared testbed's Kubernetes version, processes not pinned) must exit 0
 * and end with the one JSON object the issue names, its headline figures the medians of the repetitions. Not a
 * measurement: the figures of a run this short say nothing about the goals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT, requireTestbed } from '../support/testbed.js';

const tb = requireTestbed();

test('bench:serve runs briefly and ends with the issue\'s JSON object: the medians of its repetitions, each with its 95% intervals', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/serve.bench.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: { ...process.env, KUBERNETES_VERSION: tb.version, BENCH_N: '40', BENCH_ROUNDS: '4', BENCH_WARMUP: '8', BENCH_CONCURRENCY: '8', BENCH_PIN: '0', BENCH_REPEATS: '2' },
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const figures = JSON.parse(lines[lines.length - 1] as string) as Record<string, unknown>;
  for (const key of ['throughput_ratio', 'p50_ms', 'p99_ms', 'raw_p50_ms', 'raw_p99_ms', 'peak_rss_mb', 'cluster_info_bytes_before', 'cluster_info_bytes_after']) {
    assert.ok(typeof figures[key] === 'number' && (figures[key] as number) > 0, `${key} = ${String(figures[key])}`);
  }
  assert.equal(figures['cluster_info_bytes_after'], figures['cluster_info_bytes_before'], 'cluster-info unchanged');
  assert.equal(figures['version'], tb.version);
  assert.equal(figures['n'], 40);
  assert.equal(figures['repeats'], 2);
  const reps = figures['repetitions'] as Record<string, unknown>[];
  assert.equal(reps.length, 2);
  for (const rep of reps) {
    for (const [key, point] of [['throughput_ratio_ci95', 'throughput_ratio'], ['p99_ratio_ci95', 'p99_ratio']] as const) {
      const interval = rep[key] as number[];
      assert.ok(Array.isArray(interval) && interval.length === 2 && (interval[0] as number) > 0 && (interval[0] as number) <= (interval[1] as number), `${key} = ${JSON.stringify(interval)}`);
      assert.ok(typeof rep[point] === 'number' && (rep[point] as number) > 0, point);
    }
  }
  // The headline is the median of the repetitions (of two: their mean).
  for (const key of ['throughput_ratio', 'p99_ratio'] as const) {
    const mean = ((reps[0]?.[key] as number) + (reps[1]?.[key] as number)) / 2;
    assert.ok(Math.abs((figures[key] as number) - mean) <= 0.0015, `${key} ${String(figures[key])} is the median of ${reps.map((r) => String(r[key])).join(', ')}`);
  }
  assert.ok((figures['peak_rss_mb'] as number) < 1024, 'a peak RSS in MB, not in bytes');
  assert.match(r.stdout, /throughput ratio \d\.\d\d, the median of 2 repetitions \(goal >= 0\.9; each: \d\.\d\d, \d\.\d\d\)/);
  assert.equal((r.stdout.match(/^  repetition \d: .*throughput ratio \d\.\d\d \(\d\.\d\d-\d\.\d\d\)/gm) ?? []).length, 2);
  assert.match(r.stdout, /all processes on all cores/);
});
