import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { program, VERSION } from '../../../src/cli/main.js';
import { cli } from '../../support/cli.js';
import { kubeBinaries } from '../../support/kube-bin.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TOKEN = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;


function opensslPin(certFile: string): string {
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', certFile]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return `sha256:${execFileSync('sha256sum', { input: der }).toString().split(' ')[0]}`;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'joinery-cli-'));
}

test('VERSION is package.json version', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test('token generate prints one fresh token per run', async () => {
  const a = await cli('token', 'generate');
  const b = await cli('token', 'generate');
  assert.equal(a.code, 0);
  assert.match(a.stdout, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  assert.notEqual(a.stdout, b.stdout);
  assert.equal(a.stderr, '');
});

test('every command answers --help with its usage and exit 0', async () => {
  const paths: string[][] = [[]];
  const walk = (cmd: Command, prefix: string[]) => {
    for (const sub of cmd.commands) {
      if (sub.name() === 'help') continue;
      paths.push([...prefix, sub.name()]);
      walk(sub, [...prefix, sub.name()]);
    }
  };
  walk(program({ stdout: () => {}, stderr: () => {} }, { code: 0 }), []);
  assert.ok(paths.length >= 4, `commands found: ${JSON.stringify(paths)}`);
  for (const p of paths) {
    const r = await cli(...p, '--help');
    assert.equal(r.code, 0, `${p.join(' ')} --help`);
    assert.match(r.stdout, new RegExp(`^Usage: joinery${p.length ? ` ${p.join(' ')}` : ''} `), `${p.join(' ')} --help`);
  }
});

test('unknown command and missing subcommand are usage errors (64)', async () => {
  assert.equal((await cli('bogus')).code, 64);
  assert.equal((await cli('token', 'bogus')).code, 64);
  assert.equal((await cli('token', 'generate', '--nope')).code, 64);
});

test('ca-hash equals the openssl pipeline for RSA, ECDSA and Ed25519 CAs, one line per CA', async () => {
  const dir = tmp();
  try {
    const files: string[] = [];
    for (const [name, alg] of [
      ['rsa', ['-newkey', 'rsa:2048']],
      ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']],
      ['ed', ['-newkey', 'ed25519']],
    ] as const) {
      const crt = join(dir, `${name}.crt`);
      execFileSync('openssl', ['req', '-x509', ...alg, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', crt, '-subj', `/CN=${name}-ca`, '-days', '1'], { stdio: 'ignore' });
      files.push(crt);
    }
    const r = await cli('ca-hash', ...files.flatMap((f) => ['--cert', f]));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, files.map((f) => `${opensslPin(f)}\n`).join(''));

    // A bundle file gives one pin per certificate, in order.
    const bundle = join(dir, 'bundle.pem');
    writeFileSync(bundle, files.map((f) => readFileSync(f, 'utf8')).join(''));
    const rb = await cli('ca-hash', '--cert', bundle);
    assert.equal(rb.stdout, r.stdout);

    // -o json and -o yaml carry the same pins as data.
    const json = JSON.parse((await cli('ca-hash', '--cert', bundle, '-o', 'json')).stdout) as Array<{ pin: string; block: number; subject: string }>;
    assert.deepEqual(json.map((x) => x.pin), r.stdout.trim().split('\n'));
    assert.deepEqual(json.map((x) => x.subject), ['CN=rsa-ca', 'CN=ec-ca', 'CN=ed-ca']);
    const yaml = parseYaml((await cli('ca-hash', '--cert', bundle, '-o', 'yaml')).stdout) as typeof json;
    assert.deepEqual(yaml, json);

    // A private key file is not a certificate, and its bytes never reach the output.
    const key = readFileSync(join(dir, 'rsa.key'), 'utf8');
    const rk = await cli('ca-hash', '--cert', join(dir, 'rsa.key'));
    assert.equal(rk.code, 65);
    assert.match(rk.stderr, /CA_CERT_MISSING/);
    const keyBody = key.split('\n')[1]!;
    assert.ok(!rk.stderr.includes(keyBody) && !rk.stdout.includes(keyBody));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ca-hash leaves out non-CA certificates with a warning and fails when none is a CA', async () => {
  const dir = tmp();
  try {
    const ca = join(dir, 'ca.crt');
    const leaf = join(dir, 'leaf.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-subj', '/CN=ca', '-days', '1'], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', leaf, '-subj', '/CN=leaf', '-days', '1', '-addext', 'basicConstraints=critical,CA:FALSE'], { stdio: 'ignore' });
    const both = await cli('ca-hash', '--cert', leaf, '--cert', ca);
    assert.equal(both.code, 0);
    assert.equal(both.stdout, `${opensslPin(ca)}\n`);
    assert.match(both.stderr, /leaf\.crt: certificate 1 \(CN=leaf\) is not a CA certificate/);
    const none = await cli('ca-hash', '--cert', leaf);
    assert.equal(none.code, 65);
    assert.match(none.stderr, /code: CA_CERT_NOT_CA/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ca-hash errors name the flag and the fix', async () => {
  // No --cert and no cluster credentials anywhere (no $KUBECONFIG, an empty HOME, not in a pod).
  const saved = { KUBECONFIG: process.env['KUBECONFIG'], HOME: process.env['HOME'], KUBERNETES_SERVICE_HOST: process.env['KUBERNETES_SERVICE_HOST'] };
  const home = mkdtempSync(join(tmpdir(), 'joinery-home-'));
  delete process.env['KUBECONFIG'];
  delete process.env['KUBERNETES_SERVICE_HOST'];
  process.env['HOME'] = home;
  let none;
  try {
    none = await cli('ca-hash');
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    rmSync(home, { recursive: true, force: true });
  }
  assert.equal(none.code, 64);
  assert.match(none.stderr, /error: ca-hash needs --cert FILE, or a cluster to read the CA from .*\n {2}fix: run `joinery ca-hash --cert/);
  const missing = await cli('ca-hash', '--cert', '/nonexistent/ca.crt');
  assert.equal(missing.code, 74);
  assert.match(missing.stderr, /cannot read --cert \/nonexistent\/ca\.crt: it does not exist/);
  const badOutput = await cli('ca-hash', '--cert', 'x', '-o', 'xml');
  assert.equal(badOutput.code, 64);
  assert.match(badOutput.stderr, /--output "xml" is not a known output format\n {2}fix: use one of: text, json, yaml/);
});

test('ca-hash of a real kubeadm v1.20.2 CA equals the openssl pipeline', async (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  const dir = tmp();
  try {
    execFileSync(bins.kubeadm, ['init', 'phase', 'certs', 'ca', '--cert-dir', dir], { stdio: 'ignore' });
    const r = await cli('ca-hash', '--cert', join(dir, 'ca.crt'));
    assert.equal(r.stdout, `${opensslPin(join(dir, 'ca.crt'))}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checkout binary works: ./bin/joinery --help and token generate', () => {
  const help = spawnSync(join(root, 'bin/joinery'), ['--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: joinery/);
  const gen = spawnSync(join(root, 'bin/joinery'), ['token', 'generate'], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  assert.match(gen.stdout.trim(), TOKEN);
});
