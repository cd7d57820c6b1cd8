/**
 * `joinery serve` as a child process for tests and the demo: started with a config file on a free port,
 * its log (stdout and stderr) captured whole, so that a test can search it for secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
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

/** An answer's body as JSON, or {} when it is not JSON (userdata, metrics). */
function jsonBody(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export class ServeProcess {
  readonly child: ChildProcess;
  log = '';
  url = '';
  /** The CA of an https service's certificate (requests trust it alone). */
  ca: string | undefined;
  private exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Starts `joinery serve --config <config> --port 0` and waits for its "listening on" line. */
  static start(config: string, env: Record<string, string> = {}, extraArgs: string[] = []): Promise<ServeProcess> {
    return ServeProcess.startCommand(process.execPath, [JOINERY_BIN, 'serve', '--config', config, '--port', '0', ...extraArgs], env);
  }

  /**
   * Starts any command that runs `joinery serve` in the foreground and passes its output through (a container
   * runtime, say: test/support/image.ts), and waits for serve's "listening on" line.
   */
  static async startCommand(command: string, args: string[], env: Record<string, string> = {}, ca?: string): Promise<ServeProcess> {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const s = new ServeProcess(child);
    s.ca = ca;
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
    if (this.ca !== undefined) return this.httpsRequest(method, path, headers, payload, this.ca);
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    const text = await res.text();
    return { status: res.status, body: jsonBody(text), text, headers: res.headers };
  }

  /** The same over node:https, trusting `ca` only (fetch takes no CA). */
  private httpsRequest(method: string, path: string, headers: Record<string, string>, payload: string | undefined, ca: string): Promise<{ status: number; body: Record<string, unknown>; text: string; headers: Headers }> {
    return new Promise((resolvePromise, reject) => {
      const req = httpsRequest(`${this.url}${path}`, { method, headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolvePromise({ status: res.statusCode ?? 0, body: jsonBody(text), text, headers: h });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
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
