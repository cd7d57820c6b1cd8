import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { HOUR } from '../../../src/duration/index.js';
import { throwsCode } from '../../support/errors.js';
import { kubeBinaries } from '../../support/kube-bin.js';
import { kubeadmCa, opensslCa, withTmpDir, withTmpDirAsync } from './ca-support.js';
import {
  CA_KEY_ALGORITHMS,
  CLUSTER_CA_FILE_NAMES,
  DEFAULT_CA_VALIDITY,
  clusterCaFiles,
  generateClusterCas,
  loadClusterCas,
  pemEncode,
  type CaKeyAlgorithm,
  type CertificateAuthority,
  type ClusterCaFileName,
  type ClusterCas,
} from '../../../src/pki/ca.js';

const NOW = new Date('2024-03-01T12:34:56.789Z');
const SECOND_NOW = new Date('2024-03-01T12:34:56.000Z');

let shared: Promise<ClusterCas> | undefined;
/** One default set of CAs for the tests that only read them. */
function defaultCas(): Promise<ClusterCas> {
  shared ??= generateClusterCas({ now: NOW });
  return shared;
}

function spki(key: KeyObject): Buffer {
  return (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
}

/** The subjectPublicKey BIT STRING contents, computed without any ASN.1 library (PKCS#1 for RSA, the EC point). */
function subjectPublicKeyBits(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') return key.export({ type: 'pkcs1', format: 'der' });
  const jwk = key.export({ format: 'jwk' });
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
}

/** The X509v3 extensions as `openssl x509 -text` prints them: name line, then value lines. */
function opensslExtensions(pem: string): string {
  const text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: pem }).toString('utf8');
  const start = text.indexOf('X509v3 extensions:');
  const end = text.indexOf('Signature Algorithm:', start);
  return text.slice(start, end);
}

/** Every check a generated CA must pass, against Node's parser (OpenSSL) rather than the library that made it. */
function assertCa(ca: CertificateAuthority, cn: string, now: Date, validityNs: bigint, algorithm: CaKeyAlgorithm): X509Certificate {
  const cert = new X509Certificate(ca.cert);
  assert.equal(cert.ca, true, `${cn} is a CA`);
  assert.equal(cert.subject, `CN=${cn}`);
  assert.equal(cert.issuer, `CN=${cn}`);
  assert.equal(cert.subjectAltName, `DNS:${cn}`);
  assert.ok(cert.checkIssued(cert), 'self-issued');
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  const start = Math.floor(now.getTime() / 1000) * 1000;
  assert.equal(Date.parse(cert.validFrom), start);
  assert.equal(Date.parse(cert.validTo), start + Number(validityNs / 1_000_000_000n) * 1000);
  const serial = BigInt(`0x${cert.serialNumber}`);
  assert.ok(serial > 0n && serial < 1n << 63n, `serial ${cert.serialNumber} in [1, 2^63)`);

  const key = createPrivateKey(ca.key);
  assert.ok(spki(key).equals(spki(cert.publicKey)), 'the key belongs to the certificate');
  if (algorithm.startsWith('RSA')) {
    assert.match(ca.key, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, Number(algorithm.slice(4)));
    assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
  } else {
    assert.match(ca.key, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, algorithm === 'ECDSA-P256' ? 'prime256v1' : 'secp384r1');
  }
  const ext = opensslExtensions(ca.cert);
  assert.match(ext, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
  assert.match(ext, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
  const ski = createHash('sha1').update(subjectPublicKeyBits(cert.publicKey)).digest('hex').toUpperCase().match(/../g)!.join(':');
  assert.match(ext, new RegExp(`X509v3 Subject Key Identifier: \\n\\s+${ski}\\n`), 'SKI is SHA-1 of the public key, as Go');
  assert.doesNotMatch(ext, /Authority Key Identifier/);
  return cert;
}

function assertServiceAccount(cas: ClusterCas, algorithm: CaKeyAlgorithm): void {
  assert.match(cas.serviceAccount.publicKey, /^-----BEGIN PUBLIC KEY-----\n/);
  const key = createPrivateKey(cas.serviceAccount.privateKey);
  assert.equal(key.asymmetricKeyType, algorithm.startsWith('RSA') ? 'rsa' : 'ec');
  assert.ok(spki(key).equals(spki(createPublicKey(cas.serviceAccount.publicKey))));
}

function caFileMap(cas: ClusterCas): Partial<Record<ClusterCaFileName, string>> {
  return Object.fromEntries(clusterCaFiles(cas).map((f) => [f.path, f.content]));
}

function writeCaFiles(dir: string, cas: ClusterCas): void {
  for (const f of clusterCaFiles(cas)) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content, { mode: f.mode });
  }
}

/** Base64 lines of every private key, to prove that no error quotes them. */
function keyLines(cas: ClusterCas): string[] {
  return [cas.ca.key, cas.etcdCa.key, cas.frontProxyCa.key, cas.serviceAccount.privateKey].map((k) => k.split('\n')[1]!);
}

test('generateClusterCas: kubeadm\'s three CAs and sa key pair by default (RSA 2048, 87600h from now)', async () => {
  const cas = await defaultCas();
  assert.equal(DEFAULT_CA_VALIDITY, 87_600n * HOUR);
  assertCa(cas.ca, 'kubernetes', NOW, DEFAULT_CA_VALIDITY, 'RSA-2048');
  assertCa(cas.etcdCa, 'etcd-ca', NOW, DEFAULT_CA_VALIDITY, 'RSA-2048');
  assertCa(cas.frontProxyCa, 'front-proxy-ca', NOW, DEFAULT_CA_VALIDITY, 'RSA-2048');
  assertServiceAccount(cas, 'RSA-2048');
  const moduli = [cas.ca.key, cas.etcdCa.key, cas.frontProxyCa.key, cas.serviceAccount.privateKey];
  assert.equal(new Set(moduli).size, 4, 'four distinct keys');
  assert.equal(new Date(new X509Certificate(cas.ca.cert).validFrom).getTime(), SECOND_NOW.getTime());
  for (const pem of [cas.ca.cert, cas.ca.key, cas.serviceAccount.publicKey]) {
    assert.ok(pem.endsWith('-----\n'));
    for (const line of pem.split('\n').slice(1, -2)) assert.ok(line.length === 64 || !line.includes('-'), 'Go pem line width');
  }
});

test('generateClusterCas: extensions are byte-identical to those of the real kubeadm v1.20.2 CA', async (t) => {
  const cas = await defaultCas();
  await withTmpDirAsync(async (dir) => {
    const real = kubeadmCa(dir);
    if ('missing' in real) return t.skip(real.missing);
    const theirs = opensslExtensions(real.pem).replace(/Identifier: \n\s+[0-9A-F:]+\n/, 'Identifier: X\n');
    const ours = opensslExtensions(cas.ca.cert).replace(/Identifier: \n\s+[0-9A-F:]+\n/, 'Identifier: X\n');
    // v1.20.2 adds no SAN; newer kubeadm adds the CN as a DNS name, which we do.
    assert.equal(ours.replace(/\s+X509v3 Subject Alternative Name: \n\s+DNS:kubernetes\n/, '\n'), theirs);
    const kubeadmCert = new X509Certificate(real.pem);
    assert.equal(new X509Certificate(cas.ca.cert).subject, kubeadmCert.subject);
    assert.match(readFileSync(join(dir, 'ca.key'), 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----\n/, 'kubeadm writes PKCS#1 too');
  });
});

test('generateClusterCas: serials come from `random`, positive and below 2^63', async () => {
  const cas = await generateClusterCas({ now: NOW, random: (n) => new Uint8Array(n).fill(0xff), keyAlgorithm: 'ECDSA-P256' });
  assert.equal(new X509Certificate(cas.ca.cert).serialNumber, '7FFFFFFFFFFFFFFF');
  const zero = await generateClusterCas({ now: NOW, random: (n) => new Uint8Array(n), keyAlgorithm: 'ECDSA-P256' });
  assert.equal(new X509Certificate(zero.etcdCa.cert).serialNumber, '01');
  const leadingZero = await generateClusterCas({ now: NOW, random: () => Uint8Array.from([0, 0x9a, 1, 2, 3, 4, 5, 6]), keyAlgorithm: 'ECDSA-P256' });
  assert.equal(new X509Certificate(leadingZero.ca.cert).serialNumber, '9A010203040506', 'minimal DER integer');
  await assert.rejects(
    generateClusterCas({ now: NOW, random: () => new Uint8Array(3), keyAlgorithm: 'ECDSA-P256' }),
    (err: unknown) => err instanceof JoineryError && err.code === 'INTERNAL_RANDOM_SHORT',
  );
});

test('generateClusterCas: validity as a Go duration or nanoseconds; bad options are typed errors', async () => {
  const cas = await generateClusterCas({ now: NOW, validity: '1h30m', keyAlgorithm: 'ECDSA-P256' });
  assertCa(cas.frontProxyCa, 'front-proxy-ca', NOW, 90n * 60n * 1_000_000_000n, 'ECDSA-P256');
  const ns = await generateClusterCas({ now: NOW, validity: 1_500_000_000n, keyAlgorithm: 'ECDSA-P256' });
  assert.equal(Date.parse(new X509Certificate(ns.ca.cert).validTo) - SECOND_NOW.getTime(), 1000, 'whole seconds');
  const far = await generateClusterCas({ now: NOW, validity: 100n * 365n * 24n * HOUR, keyAlgorithm: 'ECDSA-P256' });
  assert.equal(new Date(new X509Certificate(far.ca.cert).validTo).getUTCFullYear(), 2124, 'GeneralizedTime after 2049');

  const rejects = async (options: Parameters<typeof generateClusterCas>[0], code: string, path?: string): Promise<void> => {
    await assert.rejects(generateClusterCas(options), (err: unknown) => {
      assert.ok(err instanceof JoineryError, String(err));
      assert.equal(err.code, code);
      if (path !== undefined) assert.equal(err.path, path);
      return true;
    });
  };
  await rejects({ now: NOW, validity: 0n }, 'CA_VALIDITY_INVALID', 'validity');
  await rejects({ now: NOW, validity: -HOUR }, 'CA_VALIDITY_INVALID', 'validity');
  await rejects({ now: NOW, validity: '-1h' }, 'CA_VALIDITY_INVALID', 'validity');
  await rejects({ now: NOW, validity: 'ten years' }, 'DURATION_INVALID', 'validity');
  await rejects({ now: NOW, validity: 8000n * 365n * 24n * HOUR }, 'CA_VALIDITY_INVALID', 'validity');
  await rejects({ now: new Date(Number.NaN) }, 'CA_VALIDITY_INVALID', 'now');
  await rejects({ now: new Date('1949-12-31T23:59:59Z') }, 'CA_VALIDITY_INVALID', 'now');
  await rejects({ now: NOW, keyAlgorithm: 'RSA-1024' as CaKeyAlgorithm }, 'CA_KEY_ALGORITHM_INVALID', 'keyAlgorithm');
});

test('generateClusterCas keeps the CAs in `existing` and makes only the others', async () => {
  const given = await defaultCas();
  const cas = await generateClusterCas({ now: NOW, keyAlgorithm: 'ECDSA-P256', existing: { ca: given.ca, serviceAccount: given.serviceAccount } });
  assert.equal(cas.ca, given.ca);
  assert.equal(cas.serviceAccount, given.serviceAccount);
  assert.notEqual(cas.etcdCa.cert, given.etcdCa.cert);
  assertCa(cas.etcdCa, 'etcd-ca', NOW, DEFAULT_CA_VALIDITY, 'ECDSA-P256');
});

test('property: every key algorithm and validity yields valid CAs with matching keys', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...CA_KEY_ALGORITHMS.filter((a) => a !== 'RSA-4096')),
      fc.bigInt({ min: 1_000_000_000n, max: 200n * 365n * 24n * HOUR }),
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2500-01-01T00:00:00Z'), noInvalidDate: true }),
      async (algorithm, validity, now) => {
        const cas = await generateClusterCas({ now, validity, keyAlgorithm: algorithm });
        assertCa(cas.ca, 'kubernetes', now, validity, algorithm);
        assertCa(cas.etcdCa, 'etcd-ca', now, validity, algorithm);
        assertCa(cas.frontProxyCa, 'front-proxy-ca', now, validity, algorithm);
        assertServiceAccount(cas, algorithm);
        assert.deepEqual(loadClusterCas(caFileMap(cas), now), cas);
      },
    ),
    { numRuns: 12 },
  );
});

test('generateClusterCas: RSA-4096 keys', async () => {
  const cas = await generateClusterCas({ now: NOW, keyAlgorithm: 'RSA-4096', existing: { etcdCa: (await defaultCas()).etcdCa } });
  assertCa(cas.ca, 'kubernetes', NOW, DEFAULT_CA_VALIDITY, 'RSA-4096');
  assertServiceAccount(cas, 'RSA-4096');
});

test('clusterCaFiles: kubeadm\'s paths under certificatesDir, keys and sa.pub 0600', async () => {
  const cas = await defaultCas();
  const files = clusterCaFiles(cas);
  assert.deepEqual(files.map((f) => f.path), CLUSTER_CA_FILE_NAMES);
  assert.deepEqual(
    Object.fromEntries(files.map((f) => [f.path, f.mode.toString(8)])),
    {
      'ca.crt': '644',
      'ca.key': '600',
      'etcd/ca.crt': '644',
      'etcd/ca.key': '600',
      'front-proxy-ca.crt': '644',
      'front-proxy-ca.key': '600',
      'sa.key': '600',
      'sa.pub': '600',
    },
  );
  assert.equal(files.find((f) => f.path === 'etcd/ca.key')?.content, cas.etcdCa.key);
});

/** `kubeadm init phase certs all` over a certificatesDir holding our CAs. */
function kubeadmCertsAll(kubeadm: string, dir: string): { status: number | null; out: string } {
  const config = `apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.0.2.10
  bindPort: 6443
nodeRegistration:
  name: cp-0
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
kubernetesVersion: v1.20.2
clusterName: joinery-test
certificatesDir: ${dir}
controlPlaneEndpoint: cp.example.test:6443
apiServer:
  certSANs:
  - api.example.test
  - 198.51.100.7
`;
  const file = join(dir, 'kubeadm.yaml');
  writeFileSync(file, config);
  const r = spawnSync(kubeadm, ['init', 'phase', 'certs', 'all', '--config', file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

for (const algorithm of ['RSA-2048', 'ECDSA-P256', 'ECDSA-P384'] as const) {
  test(`the real kubeadm v1.20.2 reuses our ${algorithm} CAs and signs its certificates with them`, async (t) => {
    const bins = kubeBinaries();
    if ('missing' in bins) return t.skip(bins.missing);
    const cas = algorithm === 'RSA-2048' ? await defaultCas() : await generateClusterCas({ now: new Date(Date.now() - 60_000), keyAlgorithm: algorithm });
    withTmpDir((dir) => {
      writeCaFiles(dir, cas);
      const r = kubeadmCertsAll(bins.kubeadm, dir);
      assert.equal(r.status, 0, r.out);
      for (const ca of ['ca', 'front-proxy-ca', 'etcd/ca']) {
        assert.ok(r.out.includes(`[certs] Using existing ${ca} certificate authority`), `${ca}: ${r.out}`);
        assert.ok(!r.out.includes(`Generating "${ca}" certificate and key`), r.out);
      }
      assert.ok(r.out.includes('[certs] Using the existing "sa" key'), r.out);
      for (const f of clusterCaFiles(cas)) assert.equal(readFileSync(join(dir, f.path), 'utf8'), f.content, `${f.path} untouched`);

      const signed: Array<[string, string, CertificateAuthority]> = [
        ['ca.crt', 'apiserver.crt', cas.ca],
        ['ca.crt', 'apiserver-kubelet-client.crt', cas.ca],
        ['front-proxy-ca.crt', 'front-proxy-client.crt', cas.frontProxyCa],
        ['etcd/ca.crt', 'etcd/server.crt', cas.etcdCa],
        ['etcd/ca.crt', 'apiserver-etcd-client.crt', cas.etcdCa],
      ];
      for (const [caFile, leafFile, ca] of signed) {
        const leaf = new X509Certificate(readFileSync(join(dir, leafFile)));
        const caCert = new X509Certificate(ca.cert);
        assert.ok(leaf.checkIssued(caCert), `${leafFile} issued by ${caFile}`);
        assert.ok(leaf.verify(caCert.publicKey), `${leafFile} signed by our ${caFile} key`);
        const v = spawnSync('openssl', ['verify', '-CAfile', join(dir, caFile), join(dir, leafFile)], { encoding: 'utf8' });
        assert.equal(v.status, 0, v.stderr);
        assert.equal(v.stdout.trim(), `${join(dir, leafFile)}: OK`);
      }
      const apiserver = new X509Certificate(readFileSync(join(dir, 'apiserver.crt')));
      assert.match(apiserver.subjectAltName ?? '', /DNS:api\.example\.test/);
      assert.match(apiserver.subjectAltName ?? '', /IP Address:198\.51\.100\.7/);
      // what kubeadm would generate instead is signed by another key: the check above can fail
      const other = new X509Certificate(opensslCa(dir, 'RSA 2048', 'other'));
      assert.equal(apiserver.verify(other.publicKey), false);
    });
  });
}

test('loadClusterCas: generated and kubeadm-made CA files load unchanged', async (t) => {
  const cas = await defaultCas();
  assert.deepEqual(loadClusterCas(caFileMap(cas), NOW), cas);
  assert.deepEqual(loadClusterCas({}, NOW), {});
  assert.deepEqual(loadClusterCas({ 'ca.crt': cas.ca.cert, 'ca.key': cas.ca.key }, NOW), { ca: cas.ca });
  const derived = loadClusterCas({ 'sa.key': cas.serviceAccount.privateKey }, NOW);
  assert.deepEqual(derived, { serviceAccount: cas.serviceAccount }, 'sa.pub derived as kubeadm writes it');

  const pkcs8 = createPrivateKey(cas.frontProxyCa.key).export({ type: 'pkcs8', format: 'pem' }) as string;
  assert.deepEqual(loadClusterCas({ 'front-proxy-ca.crt': cas.frontProxyCa.cert, 'front-proxy-ca.key': pkcs8 }, NOW), {
    frontProxyCa: { cert: cas.frontProxyCa.cert, key: pkcs8 },
  });

  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  withTmpDir((dir) => {
    execFileSync(bins.kubeadm, ['init', 'phase', 'certs', 'all', '--cert-dir', dir, '--kubernetes-version', 'v1.20.2'], { stdio: 'ignore' });
    const files = Object.fromEntries(CLUSTER_CA_FILE_NAMES.map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
    const loaded = loadClusterCas(files, new Date());
    assert.equal(loaded.etcdCa?.key, files['etcd/ca.key']);
    assert.equal(loaded.serviceAccount?.publicKey, files['sa.pub']);
    // a leaf certificate is not a CA
    const leaf = { 'ca.crt': readFileSync(join(dir, 'apiserver.crt'), 'utf8'), 'ca.key': readFileSync(join(dir, 'apiserver.key'), 'utf8') };
    assert.equal(throwsCode(() => loadClusterCas(leaf, new Date()), 'CA_CERT_NOT_CA').path, 'ca.crt');
  });
});

test('loadClusterCas: each broken rule is a typed error naming the file, never quoting a key', async () => {
  const cas = await defaultCas();
  const other = await generateClusterCas({ now: NOW, keyAlgorithm: 'ECDSA-P256' });
  const secrets = [...keyLines(cas), ...keyLines(other)];
  const expectError = (files: Partial<Record<ClusterCaFileName, string>>, code: string, path: string, now = NOW): JoineryError => {
    const err = throwsCode(() => loadClusterCas(files, now), code);
    assert.equal(err.path, path);
    const shown = JSON.stringify(err.toJSON());
    for (const s of secrets) assert.ok(!shown.includes(s.slice(0, 24)), `${code} leaks key material`);
    return err;
  };
  const base = caFileMap(cas);
  expectError({ ...base, 'ca.key': other.ca.key }, 'CA_KEY_MISMATCH', 'ca.key');
  expectError({ ...base, 'etcd/ca.key': cas.ca.key }, 'CA_KEY_MISMATCH', 'etcd/ca.key');
  expectError({ ...base, 'etcd/ca.key': undefined as unknown as string }, 'CA_KEY_MISSING', 'etcd/ca.key');
  delete base['etcd/ca.key'];
  expectError(base, 'CA_KEY_MISSING', 'etcd/ca.key');
  expectError({ 'front-proxy-ca.key': cas.frontProxyCa.key }, 'CA_CERT_MISSING', 'front-proxy-ca.crt');
  expectError({ 'ca.crt': 'not a certificate', 'ca.key': cas.ca.key }, 'CA_CERT_MISSING', 'ca.crt');
  const corrupt = cas.ca.cert.replace(/\n(....)/, '\nAAAA');
  expectError({ 'ca.crt': corrupt, 'ca.key': cas.ca.key }, 'CA_CERT_INVALID', 'ca.crt');
  expectError({ 'ca.crt': cas.ca.cert, 'ca.key': 'garbage' }, 'CA_KEY_INVALID', 'ca.key');
  expectError({ 'ca.crt': cas.ca.cert, 'ca.key': cas.ca.cert }, 'CA_KEY_INVALID', 'ca.key');
  const encrypted = createPrivateKey(cas.ca.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string;
  expectError({ 'ca.crt': cas.ca.cert, 'ca.key': encrypted }, 'CA_KEY_INVALID', 'ca.key');
  expectError({ ...caFileMap(cas) }, 'CA_CERT_EXPIRED', 'ca.crt', new Date(NOW.getTime() + 3650 * 86_400_000 + 1000));
  expectError({ ...caFileMap(cas) }, 'CA_CERT_NOT_YET_VALID', 'ca.crt', new Date(NOW.getTime() - 1000));
  // the edges are valid: notBefore and notAfter themselves
  loadClusterCas(caFileMap(cas), SECOND_NOW);
  loadClusterCas(caFileMap(cas), new Date(SECOND_NOW.getTime() + 3650 * 86_400_000));
  expectError({ 'sa.pub': cas.serviceAccount.publicKey }, 'SA_KEY_MISSING', 'sa.key');
  expectError({ 'sa.key': cas.serviceAccount.privateKey, 'sa.pub': other.serviceAccount.publicKey }, 'SA_KEY_MISMATCH', 'sa.pub');
  expectError({ 'sa.key': cas.serviceAccount.privateKey, 'sa.pub': 'nope' }, 'SA_KEY_INVALID', 'sa.pub');
  expectError({ 'sa.key': 'nope' }, 'SA_KEY_INVALID', 'sa.key');
  expectError({ 'ca.pem': cas.ca.cert } as Partial<Record<ClusterCaFileName, string>>, 'CA_FILE_UNKNOWN', 'ca.pem');
  throwsCode(() => loadClusterCas(null as unknown as Record<string, string>, NOW), 'CA_FILES_INVALID');

  withTmpDir((dir) => {
    opensslCa(dir, 'Ed25519', 'ed');
    const edFiles = { 'ca.crt': readFileSync(join(dir, 'ed.crt'), 'utf8'), 'ca.key': readFileSync(join(dir, 'ed.key'), 'utf8') };
    assert.match(expectError(edFiles, 'CA_KEY_INVALID', 'ca.key', new Date()).message, /ed25519.*RSA and ECDSA/);
    execFileSync('openssl', [
      'req', '-x509', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'nosign.key'), '-out', join(dir, 'nosign.crt'), '-subj', '/CN=nosign',
      '-addext', 'keyUsage=critical,digitalSignature', '-addext', 'basicConstraints=critical,CA:TRUE',
    ], { stdio: 'ignore' });
    const noSign = { 'ca.crt': readFileSync(join(dir, 'nosign.crt'), 'utf8'), 'ca.key': readFileSync(join(dir, 'nosign.key'), 'utf8') };
    assert.match(expectError(noSign, 'CA_CERT_NOT_CA', 'ca.crt', new Date()).message, /keyCertSign/);
  });
});

test('property: loadClusterCas returns CAs or throws JoineryError on arbitrary and mutated files', async () => {
  const cas = await defaultCas();
  const files = caFileMap(cas);
  const mutate = (text: string) =>
    fc.tuple(fc.nat(text.length - 1), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => text.slice(0, i) + s + text.slice(i + 1));
  fc.assert(
    fc.property(
      fc.constantFrom(...CLUSTER_CA_FILE_NAMES),
      fc.oneof(fc.string(), fc.anything(), mutate(cas.ca.cert), mutate(cas.ca.key), mutate(cas.serviceAccount.publicKey)),
      (name, value) => {
        try {
          loadClusterCas({ ...files, [name]: value }, NOW);
        } catch (err) {
          assert.ok(err instanceof JoineryError, String(err));
        }
      },
    ),
    { numRuns: 300 },
  );
});

/** A certificate's DER with `bytes` written at `offset`, as PEM (the signature is left as it was). */
function editedCertificate(der: Buffer, offset: number, bytes: number[]): string {
  const edited = Buffer.from(der);
  edited.set(bytes, offset);
  return pemEncode('CERTIFICATE', edited);
}

test('loadClusterCas: a certificate OpenSSL reads but whose extensions or key are broken is CA_CERT_INVALID', async () => {
  const cas = await defaultCas();
  // the KeyUsage extension's `critical FF, OCTET STRING` turned into `FE, constructed OCTET STRING` (BER, not
  // DER), the mutation fast-check found; the signature is left as is
  const der = new X509Certificate(cas.ca.cert).raw;
  const at = der.indexOf(Buffer.from('551d0f0101ff04', 'hex'));
  assert.ok(at > 0);
  const pem = editedCertificate(der, at + 5, [0xfe, 0x24]);
  new X509Certificate(pem); // OpenSSL still parses it
  assert.equal(throwsCode(() => loadClusterCas({ 'ca.crt': pem, 'ca.key': cas.ca.key }, NOW), 'CA_CERT_INVALID').path, 'ca.crt');
  // the rsaEncryption OID of the public key altered (also found by fast-check): OpenSSL parses the
  // certificate but cannot decode its key. Altered in the DER (the OID's length 09 -> 0b, its first byte
  // 2a -> fa, what the base64 edit CSqG -> C/qG did), so that it does not depend on where the key falls in
  // the base64 text: that moves with the length of the random serial number.
  const oid = der.indexOf(Buffer.from('06092a864886f70d010101', 'hex'));
  assert.ok(oid > 0);
  const badKey = editedCertificate(der, oid + 1, [0x0b, 0xfa]);
  assert.notEqual(badKey, cas.ca.cert);
  new X509Certificate(badKey); // OpenSSL still parses it
  const err = throwsCode(() => loadClusterCas({ 'ca.crt': badKey, 'ca.key': cas.ca.key }, NOW), 'CA_CERT_INVALID');
  assert.match(err.message, /public key cannot be read/);
});
