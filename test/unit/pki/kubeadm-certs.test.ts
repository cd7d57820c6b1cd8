import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { decodeTokenSecret } from '../../../src/token/index.js';
import { throwsCode } from '../../support/errors.js';
import {
  KUBEADM_CERTS_TOKEN_TTL,
  clusterCasOfKubeadmCerts,
  decodeKubeadmCertsSecret,
  decryptWithCertificateKey,
  generateCertificateKey,
  kubeadmCertsOwnerToken,
  kubeadmCertsRbac,
  kubeadmCertsSecret,
  kubeadmCertsSecretKeys,
  type ClusterCas,
  type KubeadmCerts,
} from '../../../src/pki/index.js';
import { generateClusterCas } from '../../../src/pki/ca.js';

const NOW = new Date('2024-03-01T12:34:56.789Z');
const OWNER = { name: 'bootstrap-token-abcdef', uid: '3f1c2d6e-8a0b-4c1d-9e2f-0123456789ab' };
const KEY = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

let shared: Promise<ClusterCas> | undefined;
function cas(): Promise<ClusterCas> {
  shared ??= generateClusterCas({ now: NOW, keyAlgorithm: 'ECDSA-P256' });
  return shared;
}

/** A counter-based random source: deterministic, and different for every call. */
function counter(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => Uint8Array.from({ length: n }, () => i++ & 0xff);
}

/** Go's crypto.EncryptBytes for a known nonce, computed here without our code: nonce || gcm.Seal(data). */
function goSeal(data: string, keyHex: string, nonce: Uint8Array): string {
  const c = createCipheriv('aes-256-gcm', Buffer.from(keyHex, 'hex'), nonce);
  const sealed = Buffer.concat([c.update(data, 'utf8'), c.final()]);
  return Buffer.concat([nonce, sealed, c.getAuthTag()]).toString('base64');
}

/** The files of copycerts.certsToTransfer, with `/` turned into `-` as certOrKeyNameToSecretName does. */
const KUBEADM_STACKED = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.pub', 'sa.key', 'etcd/ca.crt', 'etcd/ca.key'];
const KUBEADM_EXTERNAL = ['ca.crt', 'ca.key', 'front-proxy-ca.crt', 'front-proxy-ca.key', 'sa.pub', 'sa.key', 'external-etcd-ca.crt', 'external-etcd.crt', 'external-etcd.key'];
const secretName = (file: string): string => file.replace(/\//g, '-');

function noSecretsIn(err: JoineryError, c: ClusterCas, key = KEY): void {
  const shown = JSON.stringify(err.toJSON());
  assert.ok(!shown.includes(key.slice(0, 16)), 'the certificate key leaks');
  for (const pem of [c.ca.key, c.etcdCa.key, c.frontProxyCa.key, c.serviceAccount.privateKey]) {
    assert.ok(!shown.includes(pem.split('\n')[1]!.slice(0, 24)), 'a private key leaks');
  }
}

test('kubeadmCertsSecret: the data keys are exactly kubeadm\'s (stacked and external etcd)', async () => {
  assert.deepEqual(kubeadmCertsSecretKeys(), KUBEADM_STACKED.map(secretName).sort());
  assert.deepEqual(kubeadmCertsSecretKeys(true), KUBEADM_EXTERNAL.map(secretName).sort());
  const secret = kubeadmCertsSecret(await cas(), KEY, OWNER);
  assert.deepEqual(Object.keys(secret.data), KUBEADM_STACKED.map(secretName).sort(), 'in Go\'s map order');
});

test('kubeadmCertsSecret: metadata, owner reference and each value as kubeadm\'s UploadCerts writes them', async () => {
  const c = await cas();
  const random = counter();
  const secret = kubeadmCertsSecret(c, KEY, OWNER, random);
  assert.deepEqual(
    { apiVersion: secret.apiVersion, kind: secret.kind, metadata: secret.metadata },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'kubeadm-certs',
        namespace: 'kube-system',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: OWNER.name, uid: OWNER.uid, controller: true, blockOwnerDeletion: true }],
      },
    },
  );
  assert.equal('type' in secret, false, 'kubeadm sets no type (the API server stores Opaque)');
  const files: Record<string, string> = {
    'ca.crt': c.ca.cert,
    'ca.key': c.ca.key,
    'etcd-ca.crt': c.etcdCa.cert,
    'etcd-ca.key': c.etcdCa.key,
    'front-proxy-ca.crt': c.frontProxyCa.cert,
    'front-proxy-ca.key': c.frontProxyCa.key,
    'sa.key': c.serviceAccount.privateKey,
    'sa.pub': c.serviceAccount.publicKey,
  };
  const replay = counter();
  for (const name of Object.keys(secret.data)) {
    assert.equal(secret.data[name], goSeal(files[name]!, KEY, replay(12)), `${name} is nonce || AES-GCM(file) || tag`);
    assert.equal(decryptWithCertificateKey(Buffer.from(secret.data[name]!, 'base64'), KEY).toString('utf8'), files[name]);
  }
  const fresh = kubeadmCertsSecret(c, KEY, OWNER);
  const nonces = Object.values(fresh.data).map((v) => Buffer.from(v, 'base64').subarray(0, 12).toString('hex'));
  assert.equal(new Set(nonces).size, nonces.length, 'a fresh nonce per value');
  for (const v of Object.values(fresh.data)) for (const pem of Object.values(files)) assert.ok(!v.includes(Buffer.from(pem).toString('base64').slice(0, 20)));
});

test('decodeKubeadmCertsSecret opens what kubeadmCertsSecret sealed (round trip)', async () => {
  const c = await cas();
  const key = generateCertificateKey();
  const decoded = decodeKubeadmCertsSecret(kubeadmCertsSecret(c, key, OWNER), key);
  assert.deepEqual(decoded, c);
  assert.deepEqual(clusterCasOfKubeadmCerts(decoded), c);
  assert.deepEqual(decodeKubeadmCertsSecret(kubeadmCertsSecret(c, Buffer.from(key, 'hex'), OWNER), key.toUpperCase()), c);
  // the Secret as the API returns it: JSON, with type and server fields added
  const wire = JSON.parse(JSON.stringify({ ...kubeadmCertsSecret(c, key, OWNER), type: 'Opaque' }));
  wire.metadata.uid = 'x';
  assert.deepEqual(decodeKubeadmCertsSecret(wire, key), c);
});

test('decodeKubeadmCertsSecret: a wrong certificate key is CERTIFICATE_KEY_MISMATCH (trust), quoting nothing', async () => {
  const c = await cas();
  const secret = kubeadmCertsSecret(c, KEY, OWNER);
  const wrong = generateCertificateKey();
  const err = throwsCode(() => decodeKubeadmCertsSecret(secret, wrong), 'CERTIFICATE_KEY_MISMATCH');
  assert.equal(err.family, 'trust');
  noSecretsIn(err, c, wrong);
  noSecretsIn(err, c, KEY);
  // one altered value fails the whole Secret, as DownloadCerts
  const altered = structuredClone(secret);
  const bytes = Buffer.from(altered.data['sa.pub']!, 'base64');
  bytes[20] = (bytes[20] as number) ^ 1;
  altered.data['sa.pub'] = bytes.toString('base64');
  assert.equal(throwsCode(() => decodeKubeadmCertsSecret(altered, KEY), 'CERTIFICATE_KEY_MISMATCH').family, 'trust');
  throwsCode(() => decodeKubeadmCertsSecret(secret, 'not-a-key'), 'CERTIFICATE_KEY_INVALID');
});

test('decodeKubeadmCertsSecret: missing, empty, non-base64 or mistyped entries are KUBEADM_CERTS_INVALID', async () => {
  const c = await cas();
  const secret = kubeadmCertsSecret(c, KEY, OWNER, counter());
  for (const name of kubeadmCertsSecretKeys()) {
    const without = structuredClone(secret);
    delete without.data[name];
    const err = throwsCode(() => decodeKubeadmCertsSecret(without, KEY), 'KUBEADM_CERTS_INVALID');
    assert.equal(err.path, `data[${name}]`);
    without.data[name] = '';
    throwsCode(() => decodeKubeadmCertsSecret(without, KEY), 'KUBEADM_CERTS_INVALID');
  }
  const notBase64 = structuredClone(secret);
  notBase64.data['ca.crt'] = 'not base64!';
  assert.equal(throwsCode(() => decodeKubeadmCertsSecret(notBase64, KEY), 'KUBEADM_CERTS_INVALID').path, 'data[ca.crt]');
  // a certificate where the CA key should be, sealed with the right key: the content check of writeCertOrKey
  const swapped = structuredClone(secret);
  swapped.data['ca.key'] = goSeal(c.ca.cert, KEY, new Uint8Array(12));
  const err = throwsCode(() => decodeKubeadmCertsSecret(swapped, KEY), 'KUBEADM_CERTS_INVALID');
  assert.match(err.message, /ca\.key is not a PEM private key/);
  const keyAsCert = structuredClone(secret);
  keyAsCert.data['etcd-ca.crt'] = goSeal(c.etcdCa.key, KEY, new Uint8Array(12));
  noSecretsIn(throwsCode(() => decodeKubeadmCertsSecret(keyAsCert, KEY), 'KUBEADM_CERTS_INVALID'), c);
  const pubAsKey = structuredClone(secret);
  pubAsKey.data['sa.pub'] = goSeal('hello', KEY, new Uint8Array(12));
  throwsCode(() => decodeKubeadmCertsSecret(pubAsKey, KEY), 'KUBEADM_CERTS_INVALID');
  for (const bad of [{}, { data: null }, { data: [] }, null]) {
    throwsCode(() => decodeKubeadmCertsSecret(bad as never, KEY), 'KUBEADM_CERTS_INVALID');
  }
});

test('external etcd: the three external-etcd files, a missing one uploaded empty; decoded back', async () => {
  const c = await cas();
  const external: KubeadmCerts = {
    ca: c.ca,
    frontProxyCa: c.frontProxyCa,
    serviceAccount: c.serviceAccount,
    externalEtcd: { ca: c.etcdCa.cert, cert: c.frontProxyCa.cert, key: c.etcdCa.key },
  };
  const secret = kubeadmCertsSecret(external, KEY, OWNER);
  assert.deepEqual(Object.keys(secret.data), kubeadmCertsSecretKeys(true));
  assert.deepEqual(decodeKubeadmCertsSecret(secret, KEY), external);
  throwsCode(() => clusterCasOfKubeadmCerts(external), 'KUBEADM_CERTS_INVALID');

  const insecure: KubeadmCerts = { ...external, externalEtcd: {} };
  const empty = kubeadmCertsSecret(insecure, KEY, OWNER);
  assert.equal(empty.data['external-etcd.key'], '');
  assert.equal(empty.data['external-etcd-ca.crt'], '');
  assert.deepEqual(decodeKubeadmCertsSecret(empty, KEY), insecure);

  throwsCode(() => kubeadmCertsSecret({ ...external, etcdCa: c.etcdCa }, KEY, OWNER), 'KUBEADM_CERTS_INVALID');
  const { etcdCa: _dropped, ...noEtcd } = c;
  throwsCode(() => kubeadmCertsSecret(noEtcd, KEY, OWNER), 'KUBEADM_CERTS_INVALID');
});

test('kubeadmCertsSecret refuses a bad owner, certificate key or a missing PEM', async () => {
  const c = await cas();
  for (const owner of [{ name: 'kubeadm-certs', uid: 'u' }, { name: 'bootstrap-token-ABCDEF', uid: 'u' }, { name: OWNER.name, uid: '' }]) {
    throwsCode(() => kubeadmCertsSecret(c, KEY, owner), 'KUBEADM_CERTS_OWNER_INVALID');
  }
  const err = throwsCode(() => kubeadmCertsSecret(c, KEY.slice(2), OWNER), 'CERTIFICATE_KEY_INVALID');
  assert.ok(!JSON.stringify(err.toJSON()).includes(KEY.slice(2, 18)));
  throwsCode(() => kubeadmCertsSecret(c, new Uint8Array(31), OWNER), 'CERTIFICATE_KEY_INVALID');
  const e = throwsCode(() => kubeadmCertsSecret({ ...c, ca: { ...c.ca, key: '' } }, KEY, OWNER), 'KUBEADM_CERTS_INVALID');
  assert.equal(e.path, 'ca.key');
});

test('kubeadmCertsOwnerToken: kubeadm\'s 2h proxy token, no usages and no groups', () => {
  const { token, secret } = kubeadmCertsOwnerToken(NOW, counter());
  assert.equal(KUBEADM_CERTS_TOKEN_TTL, 7_200_000_000_000n);
  assert.equal(token.description, 'Proxy for managing TTL for the kubeadm-certs secret');
  assert.equal(token.ttl, KUBEADM_CERTS_TOKEN_TTL);
  assert.deepEqual(token.usages, []);
  assert.deepEqual(token.groups, []);
  assert.match(`${token.token.id}.${token.token.secret}`, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.equal(secret.metadata.name, `bootstrap-token-${token.token.id}`);
  assert.equal(secret.type, 'bootstrap.kubernetes.io/token');
  assert.deepEqual(Object.keys(secret.data), ['description', 'expiration', 'token-id', 'token-secret']);
  const decoded = decodeTokenSecret(secret);
  assert.equal(decoded.expiration, '2024-03-01T14:34:56Z');
  assert.equal(decoded.description, token.description);
  assert.deepEqual(decoded.usages, []);
  assert.deepEqual(decoded.groups, []);
  assert.deepEqual(kubeadmCertsOwnerToken(NOW, counter()), { token, secret }, 'deterministic under `random`');
  assert.notEqual(kubeadmCertsOwnerToken(NOW).token.token.secret, kubeadmCertsOwnerToken(NOW).token.token.secret);
});

test('kubeadmCertsRbac: the Role and RoleBinding of kubeadm\'s upload-certs', () => {
  assert.deepEqual(kubeadmCertsRbac(), [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
      rules: [{ verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['kubeadm-certs'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'kubeadm:kubeadm-certs', namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:kubeadm-certs' },
      subjects: [{ kind: 'Group', name: 'system:bootstrappers:kubeadm:default-node-token' }],
    },
  ]);
});

test('property: round trip under any key and nonces; decode of arbitrary or mutated Secrets returns or throws JoineryError', async () => {
  const c = await cas();
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), (key, nonce) => {
      const secret = kubeadmCertsSecret(c, key, OWNER, () => nonce);
      assert.deepEqual(decodeKubeadmCertsSecret(secret, key), c);
    }),
    { numRuns: 30 },
  );
  const secret = kubeadmCertsSecret(c, KEY, OWNER);
  const names = kubeadmCertsSecretKeys();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.anything(),
        fc.record({ data: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.base64String(), fc.anything())) }),
        fc.tuple(fc.constantFrom(...names), fc.nat(), fc.string({ minLength: 1, maxLength: 4 })).map(([name, i, s]) => {
          const m = structuredClone(secret);
          const v = m.data[name]!;
          const at = i % v.length;
          m.data[name] = v.slice(0, at) + s + v.slice(at + 1);
          return m;
        }),
      ),
      (input) => {
        try {
          decodeKubeadmCertsSecret(input as never, KEY);
        } catch (err) {
          assert.ok(err instanceof JoineryError, String(err));
          noSecretsIn(err, c);
        }
      },
    ),
    { numRuns: 300 },
  );
});
