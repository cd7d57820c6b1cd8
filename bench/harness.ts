/**
 * A small in-process benchmark harness: runs a function for a fixed time after a warm-up and reports
 * operations per second. Every joinery benchmark measures its named baseline in the same run and
 * prints the ratio, so figures from different machines stay comparable.
 */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  opsPerSec: number;
  iterations: number;
}

/** Runs `fn` repeatedly for `ms` milliseconds (after `warmupMs`) and returns operations per second. */
export function measure(name: string, fn: () => unknown, ms = 1000, warmupMs = 200): Measurement {
  let sink: unknown;
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) sink = fn();
  let iterations = 0;
  const start = performance.now();
  let now = start;
  const end = start + ms;
  // Check the clock every `batch` calls so that timing costs little next to fast functions.
  let batch = 1;
  while (now < end) {
    for (let i = 0; i < batch; i++) sink = fn();
    iterations += batch;
    now = performance.now();
    if (now - start < ms / 100) batch *= 2;
  }
  if (sink === Symbol.for('never')) console.log(sink); // keeps `sink` observable
  return { name, opsPerSec: (iterations * 1000) / (now - start), iterations };
}

/** Formats a rate with thousands separators. */
export function rate(opsPerSec: number): string {
  return Math.round(opsPerSec).toLocaleString('en-US');
}

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The p-th percentile of `xs` (0 < p <= 100), nearest rank. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] as number;
}

/**
 * Runs `n` calls of `fn(i)` with at most `concurrency` in flight; returns each call's latency in ms,
 * the wall time of the whole burst, and the errors (the burst goes on after one).
 */
export async function burst(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<{ latencies: number[]; wallMs: number; errors: unknown[] }> {
  const latencies: number[] = [];
  const errors: unknown[] = [];
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      try {
        await fn(i);
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { latencies, wallMs: performance.now() - start, errors };
}

/** mulberry32: a small seeded generator, so that an interval is the same for the same figures. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 95% interval of `statistic` over `n` paired rounds (round i of one kind with round i of the other, run
 * side by side, so that both met the same few seconds of the machine): the pairs are drawn again with
 * replacement `draws` times (a percentile bootstrap, seeded), and the 2.5th and 97.5th percentiles of the
 * statistic over those draws are returned. `statistic` gets the drawn pair indices (repeats included).
 */
export function pairedInterval(n: number, statistic: (indices: number[]) => number, draws = 2000, seed = 1): [number, number] {
  if (n < 1) throw new RangeError('pairedInterval needs at least one pair');
  const random = seeded(seed);
  const values: number[] = [];
  for (let d = 0; d < draws; d++) {
    const indices = Array.from({ length: n }, () => Math.floor(random() * n));
    values.push(statistic(indices));
  }
  return [percentile(values, 2.5), percentile(values, 97.5)];
}
