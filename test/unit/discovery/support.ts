/** Shared helpers of the discovery tests: fixtures, golden files and the kubeadm oracle. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

/** A committed public CA certificate of the pki tests. */
export function fixtureCa(name = 'rsa2048.crt'): string {
  return readFileSync(join(here, '..', 'pki', 'fixtures', name), 'utf8');
}

/** Compares `actual` with golden/<name> byte for byte, or rewrites the file when UPDATE_GOLDEN=1. */
export function assertGolden(name: string, actual: string): void {
  const file = join(here, 'golden', name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `output differs from golden/${name} (UPDATE_GOLDEN=1 rewrites it)`);
}

const execFileAsync = promisify(execFile);

/**
 * `kubeadm alpha kubeconfig user --client-name <user> --token <token>` of the real kubeadm v1.20.2,
 * which writes kubeconfigutil.CreateWithToken(...) through clientcmd.Write to stdout (plus one newline).
 */
export async function kubeadmTokenKubeconfig(kubeadm: string, configFile: string, user: string, token: string): Promise<string> {
  const { stdout } = await execFileAsync(
    kubeadm,
    ['alpha', 'kubeconfig', 'user', '--client-name', user, '--token', token, '--config', configFile],
    { maxBuffer: 1 << 20 },
  );
  assert.ok(stdout.endsWith('\n\n'), 'kubeadm prints the kubeconfig and one more newline');
  return stdout.slice(0, -1);
}

/** Runs `fn` over `items` with at most `limit` running at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
