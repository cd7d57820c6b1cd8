/**
 * A stand-in kube-apiserver for running the real kubeadm v1.20.2 against: answers every GET of a list
 * with the given Secrets, every GET of one object with 404, and echoes every POST (recording its body).
 * Only for the oracle tests of src/token.
 */
import http from 'node:http';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export interface FakeApiServer {
  posts: unknown[];
  /** Runs kubeadm with a kubeconfig pointing at this server. */
  kubeadm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function fakeApiServer(kubeadmPath: string, listItems: unknown[] = []): Promise<FakeApiServer> {
  const posts: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'POST') {
        posts.push(JSON.parse(body));
        res.statusCode = 201;
        res.end(body);
      } else if (req.method === 'GET' && path.endsWith('/secrets')) {
        res.end(JSON.stringify({ kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: listItems }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'joinery-token-oracle-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- cluster: {server: "http://127.0.0.1:${port}"}`,
      '  name: fake',
      'contexts:',
      '- context: {cluster: fake, user: fake}',
      '  name: fake',
      'current-context: fake',
      'users:',
      '- name: fake',
      '  user: {token: fake}',
      '',
    ].join('\n'),
  );
  return {
    posts,
    kubeadm: (args) =>
      new Promise((resolve) => {
        execFile(kubeadmPath, [...args, '--kubeconfig', kubeconfig], { timeout: 60_000 }, (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        });
      }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
