/**
 * `npm run bench`: operations per second of the protocol core on one core, each beside its named
 * baseline measured in the same run:
 *   token generate+encode  vs  crypto.randomBytes(32), the entropy alone a token needs
 *   CA pin (RSA 2048)      vs  the openssl pipeline it replaces (openssl x509 | openssl pkey | sha256sum),
 *                              run as processes, as people run it
 *   JWS sign+verify        vs  one bare HMAC-SHA256 of the same content (sign+verify is two of them)
 *   JoinConfiguration emit vs  yaml.stringify of the same versioned document (no key sorting, no Go style)
 * It measures the compiled code in dist/ (built first), as the CLI runs it. The last line is one JSON
 * object with every figure.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { measure, rate, type Measurement } from './harness.js';
import { bootstrapToken, generateBootstrapToken, tokenSecret } from '../dist/token/index.js';
import { caPin } from '../dist/pki/index.js';
import { detachedJws, verifyDetachedJws } from '../dist/discovery/index.js';
import { emitKubeadmYaml, joinConfigurationDocument, type JoinConfiguration } from '../dist/kubeadm/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const RSA_CERT_FILE = join(here, '../test/unit/pki/fixtures/rsa2048.crt');
const seconds = Number(process.env['BENCH_SECONDS'] ?? '1');
const ms = seconds * 1000;

interface Row {
  name: string;
  joinery: Measurement;
  baseline: Measurement;
}

const rows: Row[] = [];
function row(name: string, joinery: Measurement, baseline: Measurement): void {
  rows.push({ name, joinery, baseline });
  const ratio = joinery.opsPerSec / baseline.opsPerSec;
  console.log(
    `${name.padEnd(24)} ${rate(joinery.opsPerSec).padStart(12)} ops/s   baseline ${baseline.name}: ${rate(baseline.opsPerSec).padStart(10)} ops/s   ratio ${ratio.toFixed(3)}`,
  );
}

// 1. Token generate + encode as a Secret.
const now = new Date('2026-11-22T00:00:00Z');
row(
  'token generate+encode',
  measure('token generate+encode', () => tokenSecret(bootstrapToken({ token: generateBootstrapToken() }), now), ms),
  measure('randomBytes(32)', () => randomBytes(32), ms),
);

// 2. CA pin of a 2048-bit RSA certificate, from PEM text.
const rsaPem = readFileSync(RSA_CERT_FILE, 'utf8');
const pipeline = `openssl x509 -pubkey -noout -in ${RSA_CERT_FILE} | openssl pkey -pubin -outform der | sha256sum`;
const expectedPin = `sha256:${execSync(pipeline).toString().split(' ')[0]}`;
if (caPin(rsaPem) !== expectedPin) throw new Error(`caPin disagrees with openssl: ${caPin(rsaPem)} != ${expectedPin}`);
row(
  'CA pin (RSA 2048)',
  measure('CA pin', () => caPin(rsaPem), ms),
  measure('openssl pipeline', () => execSync(pipeline), 2 * ms, 100),
);

// 3. JWS detached signature: sign and verify, as bootstrapsigner and the joining node do.
const content = stringify({ clusters: [{ cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': rsaPem } }] });
const tokenId = 'abcdef';
const tokenSecretText = '0123456789abcdef';
row(
  'JWS sign+verify',
  measure('JWS sign+verify', () => verifyDetachedJws(detachedJws(content, tokenId, tokenSecretText), content, tokenId, tokenSecretText), ms),
  measure('one HMAC-SHA256', () => createHmac('sha256', tokenSecretText).update(content).digest(), ms),
);

// 4. JoinConfiguration emit (token discovery, v1beta3), the document every join needs.
const joinConfig: JoinConfiguration = {
  discovery: {
    bootstrapToken: {
      token: 'abcdef.0123456789abcdef',
      apiServerEndpoint: '10.0.0.1:6443',
      caCertHashes: [expectedPin],
    },
  },
  nodeRegistration: {
    name: 'worker-1',
    criSocket: 'unix:///run/containerd/containerd.sock',
    kubeletExtraArgs: [{ name: 'node-labels', value: 'role=worker' }],
    taints: [],
  },
};
const versioned = joinConfigurationDocument(joinConfig, 'v1beta3');
row(
  'JoinConfiguration emit',
  measure('JoinConfiguration emit', () => emitKubeadmYaml([joinConfigurationDocument(joinConfig, 'v1beta3')]), ms),
  measure('yaml.stringify', () => stringify(versioned), ms),
);

const summary: Record<string, number> = {};
for (const r of rows) {
  const key = r.name.replace(/[^a-zA-Z0-9]+/g, '_').replace(/_$/, '').toLowerCase();
  summary[`${key}_ops_per_sec`] = Math.round(r.joinery.opsPerSec);
  summary[`${key}_baseline_ops_per_sec`] = Math.round(r.baseline.opsPerSec);
  summary[`${key}_ratio`] = Number((r.joinery.opsPerSec / r.baseline.opsPerSec).toFixed(4));
}
console.log(JSON.stringify(summary));
