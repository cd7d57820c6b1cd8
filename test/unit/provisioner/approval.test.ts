import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import {
  kubeletClientCsrVerdict,
  kubeletClientUsageSets,
  parseCertificateRequest,
  APPROVED_REASON,
  CSR_INVALID,
  JOINERY_NODE_GROUP,
  KUBELET_CLIENT_SIGNER,
  type CsrInput,
} from '../../../src/provisioner/approval/index.js';
import {
  bmp,
  derCsr,
  ecKey,
  keyObjectOf,
  kubeletSubject,
  OID,
  opensslCsr,
  opensslText,
  opensslVerifies,
  pemOf,
  printable,
  seq,
  tlv,
  utf8,
} from './csr-support.js';

const KUBELET = '/O=system:nodes/CN=system:node:worker-a';
const USAGES_RSA = ['digital signature', 'key encipherment', 'client auth'];
const USAGES_NO_RSA = ['digital signature', 'client auth'];
const V1_20 = { major: 1, minor: 20 };
const V1_25 = { major: 1, minor: 25 };

/** A CSR as the API returns it: spec.request is the base64 of the PEM. */
function csrOf(pem: string, over: Partial<CsrInput> = {}): CsrInput {
  return {
    username: 'system:bootstrap:abcdef',
    groups: [JOINERY_NODE_GROUP, 'system:authenticated'],
    signerName: KUBELET_CLIENT_SIGNER,
    usages: USAGES_RSA,
    request: Buffer.from(pem, 'utf8').toString('base64'),
    ...over,
  };
}
const bound = { nodeName: 'worker-a' };

test('openssl requests (RSA, EC P-256/P-384, Ed25519): subject, key and a verified signature', () => {
  const cases = [
    ['rsa2048', 'RSA', 2048, 'SHA256-RSA'],
    ['ec-p256', 'ECDSA', 256, 'ECDSA-SHA256'],
    ['ec-p384', 'ECDSA', 384, 'ECDSA-SHA256'],
    ['ed25519', 'Ed25519', undefined, 'Ed25519'],
  ] as const;
  for (const [type, alg, bits, sig] of cases) {
    const pem = opensslCsr(type, KUBELET);
    const r = parseCertificateRequest(pem);
    assert.equal(r.commonName, 'system:node:worker-a', type);
    assert.deepEqual(r.commonNames, ['system:node:worker-a']);
    assert.deepEqual(r.organizations, ['system:nodes']);
    assert.equal(r.publicKeyAlgorithm, alg);
    assert.equal(r.publicKeyBits, bits);
    assert.equal(r.signatureAlgorithm, sig);
    assert.equal(r.signatureValid, true, type);
    assert.equal(r.hasSubjectAltName, false);
    assert.deepEqual([r.dnsNames, r.ipAddresses, r.emailAddresses, r.uris], [[], [], [], []]);
    assert.deepEqual(parseCertificateRequest(Buffer.from(pem)), r, 'PEM bytes read as the PEM string');
  }
});

test('subjectAltNames as openssl writes them', () => {
  const pem = opensslCsr('ec-p256', KUBELET, {
    addext: ['subjectAltName=DNS:worker-a,DNS:*.example.com,IP:10.0.0.7,IP:2001:db8::1,email:n@example.com,URI:spiffe://x/y'],
  });
  const text = opensslText(pem);
  assert.match(text, /DNS:worker-a/);
  const r = parseCertificateRequest(pem);
  assert.equal(r.hasSubjectAltName, true);
  assert.deepEqual(r.dnsNames, ['worker-a', '*.example.com']);
  assert.deepEqual(r.ipAddresses, ['10.0.0.7', '2001:db8::1']);
  assert.deepEqual(r.emailAddresses, ['n@example.com']);
  assert.deepEqual(r.uris, ['spiffe://x/y']);
  assert.equal(r.signatureValid, true);
});

test('several O and CN are kept in order; the last CN is commonName, as in Go', () => {
  const r = parseCertificateRequest(opensslCsr('ec-p256', '/O=system:nodes/O=system:masters/OU=x/CN=system:node:a/CN=system:node:b'));
  assert.deepEqual(r.organizations, ['system:nodes', 'system:masters']);
  assert.deepEqual(r.commonNames, ['system:node:a', 'system:node:b']);
  assert.equal(r.commonName, 'system:node:b');
});

test('requests encoded here and signed with Node crypto verify in openssl and here; corrupted ones in neither', () => {
  const key = ecKey();
  const good = pemOf(derCsr(key, { subject: kubeletSubject('worker-a') }));
  assert.ok(opensslVerifies(good));
  assert.equal(parseCertificateRequest(good).signatureValid, true);
  const bad = pemOf(derCsr(key, { subject: kubeletSubject('worker-a'), corruptSignature: true }));
  assert.ok(!opensslVerifies(bad));
  assert.equal(parseCertificateRequest(bad).signatureValid, false);
  const swapped = pemOf(derCsr(key, { subject: kubeletSubject('worker-a'), spkiOf: ecKey() }));
  assert.ok(!opensslVerifies(swapped));
  assert.equal(parseCertificateRequest(swapped).signatureValid, false);
  const ed = keyObjectOf('ed25519');
  const edPem = pemOf(derCsr(ed, { subject: kubeletSubject('worker-a'), algorithm: { oid: OID.ed25519, hash: null } }));
  assert.ok(opensslVerifies(edPem));
  assert.equal(parseCertificateRequest(edPem).signatureValid, true);
});

test('SHA-1 signatures and algorithm/key mismatches are not valid', () => {
  const sha1 = opensslCsr('rsa2048', KUBELET, { digest: 'sha1' });
  assert.ok(opensslVerifies(sha1));
  const r = parseCertificateRequest(sha1);
  assert.equal(r.signatureAlgorithm, '1.2.840.113549.1.1.5');
  assert.equal(r.signatureValid, false);
  const rsa = keyObjectOf('rsa2048');
  const mismatch = derCsr(rsa, { subject: kubeletSubject('worker-a'), algorithm: { oid: OID.ecdsaSha256, hash: 'sha256' } });
  assert.equal(parseCertificateRequest(mismatch).signatureValid, false);
  const rsaOk = derCsr(rsa, { subject: kubeletSubject('worker-a'), algorithm: { oid: OID.sha256Rsa, hash: 'sha256', params: tlv(0x05) } });
  assert.equal(parseCertificateRequest(rsaOk).signatureValid, true);
});

test('directory strings: PrintableString and BMPString are read; other value types are skipped as Go skips them', () => {
  const der = derCsr(ecKey(), {
    subject: [
      [OID.o, printable('system:nodes')],
      [OID.o, tlv(0x02, Buffer.from([1]))],
      [OID.cn, bmp('system:node:w\u00e9')],
    ],
  });
  const r = parseCertificateRequest(der);
  assert.deepEqual(r.organizations, ['system:nodes']);
  assert.equal(r.commonName, 'system:node:w\u00e9');
  throwsCode(() => parseCertificateRequest(derCsr(ecKey(), { subject: [[OID.cn, tlv(0x0c, Buffer.from([0xff, 0xfe]))]] })), CSR_INVALID);
});

test('malformed requests are CSR_INVALID', () => {
  const good = derCsr(ecKey(), { subject: kubeletSubject('worker-a') });
  const bad: (string | Uint8Array)[] = [
    '',
    'hello',
    pemOf(good).replace(/CERTIFICATE REQUEST/g, 'CERTIFICATE'),
    pemOf(good) + pemOf(good),
    pemOf(good).replace(/\n[A-Za-z]/, '\n!'),
    Buffer.concat([good, Buffer.from([0])]),
    good.subarray(0, good.length - 1),
    seq(),
    seq(seq(), seq(), tlv(0x03, Buffer.from([0]))),
    Buffer.from([0x30, 0x80, 0, 0]),
    Buffer.from([0x30, 0x81, 0x05, 1, 2, 3, 4, 5]),
    Buffer.alloc(70 * 1024, 0x30),
  ];
  for (const b of bad) throwsCode(() => parseCertificateRequest(b), CSR_INVALID);
});

test('property: arbitrary input and mutated requests give a value or CSR_INVALID, never another error', () => {
  const good = derCsr(ecKey(), { subject: kubeletSubject('worker-a'), extensions: [[OID.san, seq(tlv(0x82, Buffer.from('x')))]] });
  const check = (input: string | Uint8Array) => {
    try {
      const r = parseCertificateRequest(input);
      assert.equal(typeof r.signatureValid, 'boolean');
    } catch (err) {
      assert.ok(err instanceof JoineryError && err.code === CSR_INVALID, String(err));
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(b)), { numRuns: 500 });
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => check(s)), { numRuns: 300 });
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(3), (at, byte, mode) => {
      const b = Buffer.from(good);
      if (mode === 0) b[at] = byte;
      if (mode === 1) return check(b.subarray(0, at));
      if (mode === 2) return check(Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]));
      if (mode === 3) b[at] = (b[at] as number) ^ 0x80;
      const r = (() => {
        try {
          return parseCertificateRequest(b);
        } catch (err) {
          assert.ok(err instanceof JoineryError && err.code === CSR_INVALID, String(err));
          return undefined;
        }
      })();
      // Any changed byte leaves no valid signature behind.
      if (r && !b.equals(good)) assert.equal(r.signatureValid, false, `byte ${at} changed and the signature still verifies`);
    }),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const b = Buffer.from(good);
      b[at] = (b[at] as number) ^ x;
      const csr = csrOf(pemOf(b), { usages: USAGES_NO_RSA });
      const v = kubeletClientCsrVerdict(csr, bound, V1_25);
      // Flipping any byte of an approvable request must never still be approved.
      assert.notEqual(v.verdict, 'approve', `byte ${at} ^ ${x} was approved`);
    }),
    { numRuns: 1500 },
  );
});

test('verdict: the kubelet client CSR of the bound node is approved (EC and RSA, request as base64 or PEM)', () => {
  for (const type of ['ec-p256', 'rsa2048', 'ed25519'] as const) {
    const v = kubeletClientCsrVerdict(csrOf(opensslCsr(type, KUBELET)), bound, V1_20);
    assert.deepEqual(v.verdict, 'approve', `${type}: ${v.message}`);
    assert.equal(v.reason, APPROVED_REASON);
    assert.match(v.message, /abcdef.*"worker-a"/);
  }
  const pem = opensslCsr('ec-p256', KUBELET);
  assert.equal(kubeletClientCsrVerdict(csrOf(pem, { request: pem }), bound, V1_20).verdict, 'approve');
  assert.equal(kubeletClientCsrVerdict(csrOf(pem, { request: Buffer.from(pem) }), bound, V1_20).verdict, 'approve');
});

test('verdict: a CSR for another node than the token was minted for is denied, naming both nodes', () => {
  const v = kubeletClientCsrVerdict(csrOf(opensslCsr('ec-p256', '/O=system:nodes/CN=system:node:worker-b')), bound, V1_20);
  assert.equal(v.verdict, 'deny');
  assert.equal(v.reason, 'NodeNameMismatch');
  assert.match(v.message, /"worker-b"/);
  assert.match(v.message, /"worker-a"/);
  assert.match(v.message, /abcdef/);
});

test('verdict: ignore CSRs of other requesters (kubeadm tokens, nodes renewing)', () => {
  const pem = opensslCsr('ec-p256', KUBELET);
  for (const groups of [['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token'], ['system:nodes'], []]) {
    const v = kubeletClientCsrVerdict(csrOf(pem, { groups }), undefined, V1_20);
    assert.equal(v.verdict, 'ignore');
  }
});

test('verdict: every other joinery-token CSR is denied with its reason', () => {
  const pem = opensslCsr('ec-p256', KUBELET);
  const cases: [CsrInput, { nodeName: string } | undefined, string][] = [
    [csrOf(pem, { username: 'system:node:worker-a' }), bound, 'UsernameNotBootstrapToken'],
    [csrOf(pem, { username: 'system:bootstrap:ABCDEF' }), bound, 'UsernameNotBootstrapToken'],
    [csrOf(pem), undefined, 'TokenNotLive'],
    [csrOf(pem, { signerName: 'kubernetes.io/kubelet-serving' }), bound, 'SignerNotKubeletClient'],
    [csrOf(pem, { signerName: 'kubernetes.io/kube-apiserver-client' }), bound, 'SignerNotKubeletClient'],
    [csrOf(pem, { request: 'not base64!' }), bound, 'RequestInvalid'],
    [csrOf('garbage'), bound, 'RequestInvalid'],
    [csrOf(pemOf(derCsr(ecKey(), { subject: kubeletSubject('worker-a'), corruptSignature: true }))), bound, 'SignatureInvalid'],
    [csrOf(opensslCsr('rsa2048', KUBELET, { digest: 'sha1' })), bound, 'SignatureInvalid'],
    [csrOf(opensslCsr('ec-p256', '/O=system:nodes/CN=worker-a')), bound, 'CommonNameInvalid'],
    [csrOf(opensslCsr('ec-p256', '/O=system:nodes')), bound, 'CommonNameInvalid'],
    [csrOf(opensslCsr('ec-p256', '/O=system:nodes/CN=system:node:worker-b/CN=system:node:worker-a')), bound, 'CommonNameInvalid'],
    [csrOf(opensslCsr('ec-p256', '/CN=system:node:worker-a')), bound, 'OrganizationInvalid'],
    [csrOf(opensslCsr('ec-p256', '/O=system:nodes/O=system:masters/CN=system:node:worker-a')), bound, 'OrganizationInvalid'],
    [csrOf(opensslCsr('ec-p256', '/O=system:masters/CN=system:node:worker-a')), bound, 'OrganizationInvalid'],
    [csrOf(opensslCsr('ec-p256', KUBELET, { addext: ['subjectAltName=DNS:worker-a'] })), bound, 'SubjectAltNamesPresent'],
    [csrOf(opensslCsr('ec-p256', KUBELET, { addext: ['subjectAltName=IP:10.0.0.1'] })), bound, 'SubjectAltNamesPresent'],
    [csrOf(pemOf(derCsr(ecKey(), { subject: kubeletSubject('worker-a'), extensions: [[OID.san, seq(tlv(0xa4, seq()))]] }))), bound, 'SubjectAltNamesPresent'],
    [csrOf(pem, { usages: ['client auth'] }), bound, 'UsagesInvalid'],
    [csrOf(pem, { usages: [...USAGES_RSA, 'server auth'] }), bound, 'UsagesInvalid'],
    [csrOf(pem, { usages: USAGES_NO_RSA }), bound, 'UsagesInvalid'],
    [csrOf(opensslCsr('rsa1024', KUBELET)), bound, 'PublicKeyUnsupported'],
    [csrOf(opensslCsr('ec-secp256k1', KUBELET)), bound, 'PublicKeyUnsupported'],
  ];
  for (const [csr, binding, reason] of cases) {
    const v = kubeletClientCsrVerdict(csr, binding, V1_20);
    assert.equal(v.verdict, 'deny', `${reason}: ${v.message}`);
    assert.equal(v.reason, reason, v.message);
    assert.ok(v.message.length > 0 && v.message.length < 600, v.message);
  }
});

test('usages per version: 1.20-1.24 exactly the RSA set; 1.25+ also {digital signature, client auth}; order and duplicates do not matter', () => {
  const pem = opensslCsr('ec-p256', KUBELET);
  const verdict = (usages: string[], v: { major: number; minor: number }) => kubeletClientCsrVerdict(csrOf(pem, { usages }), bound, v).verdict;
  assert.equal(verdict(USAGES_NO_RSA, { major: 1, minor: 24 }), 'deny');
  assert.equal(verdict(USAGES_NO_RSA, V1_25), 'approve');
  assert.equal(verdict(USAGES_NO_RSA, { major: 1, minor: 33 }), 'approve');
  assert.equal(verdict(USAGES_RSA, { major: 1, minor: 33 }), 'approve');
  assert.equal(verdict(['client auth', 'key encipherment', 'digital signature', 'client auth'], V1_20), 'approve');
  assert.equal(verdict(['digital signature', 'key encipherment'], V1_25), 'deny');
  assert.deepEqual(kubeletClientUsageSets(V1_20), [USAGES_RSA]);
  assert.deepEqual(kubeletClientUsageSets(V1_25), [USAGES_RSA, USAGES_NO_RSA]);
  const denied = kubeletClientCsrVerdict(csrOf(pem, { usages: USAGES_NO_RSA }), bound, V1_20);
  assert.match(denied.message, /Kubernetes 1\.20/);
});

test('property: the verdict on arbitrary input is a verdict, never an exception', () => {
  fc.assert(
    fc.property(
      fc.record({
        username: fc.oneof(fc.string(), fc.constant('system:bootstrap:abcdef')),
        groups: fc.array(fc.oneof(fc.string(), fc.constant(JOINERY_NODE_GROUP)), { maxLength: 3 }),
        signerName: fc.oneof(fc.string(), fc.constant(KUBELET_CLIENT_SIGNER)),
        usages: fc.array(fc.constantFrom(...USAGES_RSA, 'server auth', ''), { maxLength: 4 }),
        request: fc.oneof(fc.string(), fc.base64String(), fc.uint8Array({ maxLength: 200 })),
      }),
      fc.option(fc.record({ nodeName: fc.string() }), { nil: undefined }),
      (csr, binding) => {
        const v = kubeletClientCsrVerdict(csr, binding, V1_20);
        assert.ok(['ignore', 'deny'].includes(v.verdict));
      },
    ),
    { numRuns: 500 },
  );
});

test('a UTF-8 kubelet subject built here is approved, proving the encoder and verdict agree', () => {
  const pem = pemOf(derCsr(ecKey(), { subject: [[OID.o, utf8('system:nodes')], [OID.cn, utf8('system:node:worker-a')]] }));
  assert.equal(kubeletClientCsrVerdict(csrOf(pem), bound, V1_20).verdict, 'approve');
});
