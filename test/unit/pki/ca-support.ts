/**
 * Test CAs made on the fly: with openssl (RSA, EC, Ed25519) and with the real kubeadm v1.20.2
 * (`kubeadm init phase certs ca`), plus the reference pin computed by openssl alone.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeBinaries } from '../../support/kube-bin.js';

export const KEY_TYPES = {
  'RSA 2048': ['-newkey', 'rsa:2048'],
  'EC P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'EC P-384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  Ed25519: ['-newkey', 'ed25519'],
} as const;

export type KeyType = keyof typeof KEY_TYPES;

/** Runs `fn` with a fresh temporary directory that is removed afterwards. */
export function withTmpDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-pki-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed CA certificate (PEM) of the given key type, made by openssl in `dir`. */
export function opensslCa(dir: string, type: KeyType, name = 'ca'): string {
  const crt = join(dir, `${name}.crt`);
  execFileSync('openssl', [
    'req', '-x509', '-new', ...KEY_TYPES[type], '-nodes', '-days', '1',
    '-keyout', join(dir, `${name}.key`), '-out', crt, '-subj', `/CN=${name}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(crt, 'utf8');
}

/** `openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum`, as a pin. */
export function opensslPin(pem: string): string {
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: pem });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const sum = execFileSync('sha256sum', [], { input: der }).toString('utf8').split(' ')[0];
  return `sha256:${sum}`;
}

/** The PEM of a CA made by the real `kubeadm init phase certs ca`, or `{missing}` to skip with. */
export function kubeadmCa(dir: string): { pem: string } | { missing: string } {
  const bins = kubeBinaries();
  if ('missing' in bins) return bins;
  execFileSync(bins.kubeadm, ['init', 'phase', 'certs', 'ca', '--cert-dir', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { pem: readFileSync(join(dir, 'ca.crt'), 'utf8') };
}

/** `withTmpDir` for async work: the directory is removed once `fn` settles. */
export async function withTmpDirAsync<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'joinery-pki-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
