/**
 * `joinery serve` as a child process for tests and the demo: started with a config file on a free port,
 * its log (stdout and stderr) captured whole, so that a test can search it for secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { JOINERY_BIN } from './testbed.js';

export interface ApiKeyPair {
  name: string;
  key: string;
  sha256: string;
}

/** A fresh API key with its sha256 (what the config stores). */
export function apiKey(name: string): ApiKeyPair {
  const key = randomBytes(24).toString('base64url');
  return { name, key, sha256: createHash('sha256').update(key).digest('hex') };
}

export class ServeProcess {
  readonly child: ChildProcess;
  log = '';
  url = '';
  private exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Starts `joinery serve --config <config> --port 0` and waits for its "listening on" line. */
  static async start(config: string, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<ServeProcess> {
    const child = spawn(process.execPath, [JOINERY_BIN, 'serve', '--config', config, '--port', '0', ...extraArgs], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new ServeProcess(child);
    const onData = (d: Buffer): void => {
      s.log += d.toString();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const m = /listening on (https?:\/\/[^\s]+)/.exec(s.log);
      if (m !== null) {
        s.url = m[1] as string;
        return s;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`joinery serve did not start:\n${s.log}`);
  }

  /** One JSON request to the service. */
  async request(method: string, path: string, options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.key !== undefined) headers['authorization'] = `Bearer ${options.key}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON (userdata, metrics)
    }
    return { status: res.status, body, text, headers: res.headers };
  }

  /** SIGTERM, then waits for the exit (SIGKILL after 10 s). */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}
