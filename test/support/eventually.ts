/**
 * Polls `probe` until it gives a value (not undefined), for tests that wait on the cluster or the service:
 * every `everyMs` (100 ms), failing after `timeoutMs` with "timed out waiting for <what>". With
 * `ignoreErrors`, a probe that throws (a service being restarted, an API server away) counts as "not yet".
 */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs?: number; everyMs?: number; ignoreErrors?: boolean } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const v = options.ignoreErrors === true ? await probe().catch(() => undefined) : await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
}
