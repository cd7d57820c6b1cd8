import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { endpointUnreachable, isTlsVerificationCode, parseApiServerEndpoint, tlsFailureDiagnosis, type TlsFailure } from '../../../src/discovery/index.js';
import { JoineryError } from '../../../src/errors/index.js';
import { throwsCode } from '../../support/errors.js';
import { opensslServerPki } from '../../support/openssl.js';

/** A server certificate valid from `start` to `end` (YYYYMMDDHHMMSSZ), made by openssl. */
function opensslCertificate(start: string, end: string): X509Certificate {
  return new X509Certificate(opensslServerPki({ start, end }).certPem);
}

function failureOf(cert: X509Certificate, code: string, now: Date, serverDate?: Date): TlsFailure {
  return {
    code,
    host: '10.0.0.1',
    hostPort: '10.0.0.1:6443',
    trustedCa: 'the cluster CA',
    peer: { subjectAltName: cert.subjectAltName ?? '', validFrom: new Date(cert.validFrom), validTo: new Date(cert.validTo) },
    now,
    ...(serverDate === undefined ? {} : { serverDate }),
  };
}

test('a certificate whose notBefore is ahead of this clock is clock skew, with the offset from the Date header', () => {
  const cert = opensslCertificate('20990101000000Z', '21000101000000Z');
  const now = new Date('2026-01-01T00:00:00Z');
  const serverDate = new Date('2099-03-01T00:00:00Z');
  const err = tlsFailureDiagnosis(failureOf(cert, 'CERT_NOT_YET_VALID', now, serverDate));
  assert.equal(err.code, 'DISCOVERY_CLOCK_SKEW');
  assert.equal(err.family, 'trust');
  assert.match(err.message, /is not valid yet by this machine's clock/);
  assert.match(err.message, /valid from 2099-01-01T00:00:00.000Z/);
  assert.match(err.message, /is \d+h0m0s ahead of this machine's/);
  assert.match(err.fix, /NTP/);
});

test('clock skew without a server clock still says the certificate is not valid yet, without an offset', () => {
  const cert = opensslCertificate('20990101000000Z', '21000101000000Z');
  const err = tlsFailureDiagnosis(failureOf(cert, 'CERT_NOT_YET_VALID', new Date('2026-01-01T00:00:00Z')));
  assert.equal(err.code, 'DISCOVERY_CLOCK_SKEW');
  assert.doesNotMatch(err.message, /ahead|behind/);
});

test('an expired certificate is clock skew when the server clock is behind, a real expiry when it agrees', () => {
  const cert = opensslCertificate('20000101000000Z', '20010101000000Z');
  const now = new Date('2026-01-01T00:00:00Z');
  const skew = tlsFailureDiagnosis(failureOf(cert, 'CERT_HAS_EXPIRED', now, new Date('2000-06-01T00:00:00Z')));
  assert.equal(skew.code, 'DISCOVERY_CLOCK_SKEW');
  assert.match(skew.message, /behind this machine's/);
  const expired = tlsFailureDiagnosis(failureOf(cert, 'CERT_HAS_EXPIRED', now, new Date(now.getTime() + 1000)));
  assert.equal(expired.code, 'DISCOVERY_CERT_EXPIRED');
  assert.match(expired.message, /agrees with this machine's/);
  assert.match(expired.fix, /kubeadm certs renew/);
});

test('a name mismatch says which names the certificate has and suggests certSANs', () => {
  const cert = opensslCertificate('20200101000000Z', '20990101000000Z');
  const err = tlsFailureDiagnosis(failureOf(cert, 'ERR_TLS_CERT_ALTNAME_INVALID', new Date()));
  assert.equal(err.code, 'DISCOVERY_CERT_NAME_MISMATCH');
  assert.match(err.message, /does not name "10\.0\.0\.1"/);
  assert.match(err.message, /IP Address:127\.0\.0\.1, DNS:localhost/);
  assert.match(err.fix, /apiServer\.certSANs/);
});

test('an unknown issuer is DISCOVERY_CERT_UNTRUSTED, anything else DISCOVERY_TLS_FAILED', () => {
  const base = { host: 'h', hostPort: 'h:1', trustedCa: 'the pinned CA', now: new Date() };
  assert.equal(tlsFailureDiagnosis({ ...base, code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }).code, 'DISCOVERY_CERT_UNTRUSTED');
  assert.equal(tlsFailureDiagnosis({ ...base, code: 'SELF_SIGNED_CERT_IN_CHAIN' }).code, 'DISCOVERY_CERT_UNTRUSTED');
  assert.equal(tlsFailureDiagnosis({ ...base, code: 'ERR_TLS_CERT_SOMETHING_NEW' }).code, 'DISCOVERY_TLS_FAILED');
  assert.ok(isTlsVerificationCode('CERT_HAS_EXPIRED'));
  assert.ok(!isTlsVerificationCode('ECONNREFUSED'));
  assert.ok(!isTlsVerificationCode(undefined));
});

test('endpointUnreachable names host:port and the cause', () => {
  const err = endpointUnreachable('10.0.0.1:6443', 'ECONNREFUSED', 2500, 3);
  assert.equal(err.code, 'DISCOVERY_ENDPOINT_UNREACHABLE');
  assert.match(err.message, /10\.0\.0\.1:6443: the connection was refused: .*3 attempt\(s\) in 3s/);
});

test('parseApiServerEndpoint takes host:port and [v6]:port, refuses the rest with DISCOVERY_ENDPOINT_INVALID', () => {
  assert.deepEqual(parseApiServerEndpoint('10.0.0.1:6443'), { host: '10.0.0.1', port: 6443, hostPort: '10.0.0.1:6443', url: 'https://10.0.0.1:6443' });
  assert.deepEqual(parseApiServerEndpoint('[fd00::1]:6443'), { host: 'fd00::1', port: 6443, hostPort: '[fd00::1]:6443', url: 'https://[fd00::1]:6443' });
  assert.equal(parseApiServerEndpoint('https://cp.example:443').host, 'cp.example');
  for (const bad of ['', 'cp.example', 'fd00::1:6443', 'h:0', 'h:70000', 'h:6443/x', 'a b:1']) throwsCode(() => parseApiServerEndpoint(bad), 'DISCOVERY_ENDPOINT_INVALID');
  fc.assert(
    fc.property(fc.string(), (s) => {
      try {
        const e = parseApiServerEndpoint(s);
        assert.ok(e.port >= 1 && e.port <= 65535);
      } catch (err) {
        assert.ok(err instanceof JoineryError);
      }
    }),
  );
});
