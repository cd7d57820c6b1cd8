import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { JoineryError } from '../../../src/errors/index.js';
import {
  clusterInfoKubeconfig,
  compareClusterInfo,
  detachedJws,
  verifyClusterInfo,
} from '../../../src/discovery/index.js';
import { caPin, parseCaPins } from '../../../src/pki/index.js';
import { kubeadmCa, withTmpDir } from '../pki/ca-support.js';
import { throwsCode } from '../../support/errors.js';
import { fixtureCa } from './support.js';

const TOKEN = { id: 'abcdef', secret: 's3cr3tv4lu3s3cr3' };
const SERVER = 'https://192.0.2.10:6443';

/** cluster-info data as the bootstrapsigner leaves it for TOKEN (and optionally other tokens). */
function signedData(kubeconfig: string, tokens = [TOKEN]): Record<string, string> {
  const data: Record<string, string> = { kubeconfig };
  for (const t of tokens) data[`jws-kubeconfig-${t.id}`] = detachedJws(kubeconfig, t.id, t.secret);
  return data;
}

function assertNoSecret(err: JoineryError): void {
  const all = JSON.stringify(err.toJSON());
  assert.ok(!all.includes(TOKEN.secret), `error leaks the token secret: ${all}`);
}

test('verifyClusterInfo returns the cluster when the JWS verifies and the CA is pinned', () => {
  const ca = fixtureCa();
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: ca });
  const other = { id: 'zzzzzz', secret: 'zzzzzzzzzzzzzzzz' };
  const got = verifyClusterInfo({
    configMapData: signedData(kubeconfig, [other, TOKEN]),
    token: TOKEN,
    caPins: [caPin(fixtureCa('ed25519.crt')), caPin(ca).toUpperCase().replace('SHA256', 'sha256')],
  });
  assert.equal(got.server, SERVER);
  assert.equal(got.caPem, ca);
  assert.deepEqual(got.caData, Buffer.from(ca));
  assert.equal(got.kubeconfig, kubeconfig);
  assert.equal(got.caPin, caPin(ca));
  const withSet = verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: parseCaPins([caPin(ca)]) });
  assert.equal(withSet.server, SERVER);
});

test('verifyClusterInfo with a real kubeadm CA', (t) => {
  withTmpDir((dir) => {
    const ca = kubeadmCa(dir);
    if ('missing' in ca) return t.skip(ca.missing);
    const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: ca.pem });
    const got = verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: [caPin(ca.pem)] });
    assert.equal(got.caPem, ca.pem);
    const err = throwsCode(
      () => verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: [caPin(fixtureCa())] }),
      'CA_PIN_MISMATCH',
    );
    assert.ok(err.message.includes(caPin(ca.pem)));
  });
});

test('without pins: CA_PIN_REQUIRED, unless unsafeSkipCAVerification', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: 'not even a certificate' });
  const err = throwsCode(() => verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: [] }), 'CA_PIN_REQUIRED');
  assert.equal(err.family, 'trust');
  assert.match(err.fix, /unsafeSkipCAVerification/);
  const got = verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: [], unsafeSkipCAVerification: true });
  assert.equal(got.server, SERVER);
  assert.equal(got.caPin, undefined);
});

test('invalid pins are CA_PIN_INVALID at discovery.bootstrapToken.caCertHashes[i]', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  const err = throwsCode(
    () => verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: [caPin(fixtureCa()), 'md5:00'] }),
    'CA_PIN_INVALID',
  );
  assert.equal(err.path, 'discovery.bootstrapToken.caCertHashes[1]');
});

test('no kubeconfig key, or one that does not parse: CLUSTER_INFO_INVALID', () => {
  const pins = [caPin(fixtureCa())];
  for (const data of [{}, { kubeconfig: '' }, { 'jws-kubeconfig-abcdef': 'x' }] as Array<Record<string, string>>) {
    const err = throwsCode(() => verifyClusterInfo({ configMapData: data, token: TOKEN, caPins: pins }), 'CLUSTER_INFO_INVALID');
    assert.equal(err.family, 'trust');
    assert.match(err.message, /no kubeconfig key/);
  }
  const signedGarbage = signedData('clusters: [');
  throwsCode(() => verifyClusterInfo({ configMapData: signedGarbage, token: TOKEN, caPins: pins }), 'CLUSTER_INFO_INVALID');
  const badCa = signedData(clusterInfoKubeconfig({ server: SERVER, caData: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }));
  const err = throwsCode(() => verifyClusterInfo({ configMapData: badCa, token: TOKEN, caPins: pins }), 'CLUSTER_INFO_INVALID');
  assert.match(err.message, /CA certificate in the cluster-info ConfigMap does not parse/);
  // kubeadm reads the CA with certutil.ParseCertsPEM: the same certificate in DER form is refused.
  const der = new X509Certificate(fixtureCa()).raw;
  const derCa = signedData(clusterInfoKubeconfig({ server: SERVER, caData: der }));
  const derErr = throwsCode(() => verifyClusterInfo({ configMapData: derCa, token: TOKEN, caPins: [caPin(fixtureCa())] }), 'CLUSTER_INFO_INVALID');
  assert.equal(derErr.family, 'trust');
});

test('no jws-kubeconfig-<id> key: TOKEN_UNKNOWN_OR_EXPIRED, without the secret', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  const data = signedData(kubeconfig, [{ id: 'zzzzzz', secret: 'zzzzzzzzzzzzzzzz' }]);
  for (const d of [data, { ...data, 'jws-kubeconfig-abcdef': '' }]) {
    const err = throwsCode(() => verifyClusterInfo({ configMapData: d, token: TOKEN, caPins: [caPin(fixtureCa())] }), 'TOKEN_UNKNOWN_OR_EXPIRED');
    assert.equal(err.family, 'trust');
    assert.match(err.message, /no JWS signed token in the cluster-info ConfigMap for token id "abcdef"/);
    assert.match(err.message, /expired/);
    assert.match(err.message, /bootstrapsigner/);
    assert.match(err.fix, /kubeadm token create/);
    assertNoSecret(err);
  }
});

test('a signature that does not verify is CLUSTER_INFO_TAMPERED (wrong secret, or altered content)', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  const pins = [caPin(fixtureCa())];
  const wrongSecret = { ...TOKEN, secret: 'fedcba9876543210' };
  const e1 = throwsCode(() => verifyClusterInfo({ configMapData: signedData(kubeconfig), token: wrongSecret, caPins: pins }), 'CLUSTER_INFO_TAMPERED');
  assert.equal(e1.family, 'trust');
  assert.ok(!JSON.stringify(e1.toJSON()).includes(wrongSecret.secret));
  const altered = { ...signedData(kubeconfig), kubeconfig: kubeconfig.replace('192.0.2.10', '192.0.2.66') };
  const e2 = throwsCode(() => verifyClusterInfo({ configMapData: altered, token: TOKEN, caPins: pins }), 'CLUSTER_INFO_TAMPERED');
  assertNoSecret(e2);
});

test('a CA that is not pinned is CA_PIN_MISMATCH showing the pin found and the pins expected', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa('ec-p384.crt') });
  const expected = [caPin(fixtureCa()), caPin(fixtureCa('ed25519.crt'))];
  const err = throwsCode(() => verifyClusterInfo({ configMapData: signedData(kubeconfig), token: TOKEN, caPins: expected }), 'CA_PIN_MISMATCH');
  assert.equal(err.family, 'trust');
  assert.ok(err.message.includes(`found ${caPin(fixtureCa('ec-p384.crt'))}`), err.message);
  for (const p of expected) assert.ok(err.message.includes(p));
  assertNoSecret(err);
});

test('a malformed token is TOKEN_MALFORMED without the secret', () => {
  const err = throwsCode(
    () => verifyClusterInfo({ configMapData: {}, token: { id: 'ABCDEF', secret: TOKEN.secret }, caPins: [] }),
    'TOKEN_MALFORMED',
  );
  assertNoSecret(err);
});

test('compareClusterInfo: the second fetch must be byte-equal, else CLUSTER_INFO_CHANGED', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  compareClusterInfo(kubeconfig, kubeconfig);
  compareClusterInfo(kubeconfig, signedData(kubeconfig));
  const seconds: Array<string | Record<string, string>> = [`${kubeconfig}\n`, kubeconfig.replace('6443', '6444'), '', {}, { kubeconfig: '' }];
  for (const second of seconds) {
    const err = throwsCode(() => compareClusterInfo(kubeconfig, second), 'CLUSTER_INFO_CHANGED');
    assert.equal(err.family, 'trust');
  }
});

test('property: arbitrary cluster-info data gives a cluster or a JoineryError that hides the secret', () => {
  const kubeconfig = clusterInfoKubeconfig({ server: SERVER, caData: fixtureCa() });
  const good = signedData(kubeconfig);
  const data = fc.oneof(
    fc.dictionary(fc.string(), fc.string()),
    fc.dictionary(fc.constantFrom('kubeconfig', 'jws-kubeconfig-abcdef', 'jws-kubeconfig-zzzzzz', 'other'), fc.string()),
    fc.record({ kubeconfig: fc.string(), 'jws-kubeconfig-abcdef': fc.constant(good['jws-kubeconfig-abcdef']!) }),
    fc.tuple(fc.constantFrom('kubeconfig', 'jws-kubeconfig-abcdef'), fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(
      ([key, at, s]) => {
        const v = good[key]!;
        const i = at % v.length;
        return { ...good, [key]: v.slice(0, i) + s + v.slice(i + 1) };
      },
    ),
    fc.anything(),
  );
  const codes = ['CLUSTER_INFO_INVALID', 'TOKEN_UNKNOWN_OR_EXPIRED', 'CLUSTER_INFO_TAMPERED', 'CA_PIN_MISMATCH'];
  fc.assert(
    fc.property(data, fc.boolean(), (configMapData, skip) => {
      try {
        const got = verifyClusterInfo({
          configMapData: configMapData as Record<string, string>,
          token: TOKEN,
          caPins: skip ? [] : [caPin(fixtureCa())],
          unsafeSkipCAVerification: skip,
        });
        assert.ok(got.server.length > 0);
      } catch (err) {
        assert.ok(err instanceof JoineryError, String(err));
        assert.ok(codes.includes(err.code), err.code);
        assert.equal(err.family, 'trust');
        assertNoSecret(err);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: a signed kubeconfig verifies for its token and for no other secret', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[a-z0-9]{6}$/),
      fc.stringMatching(/^[a-z0-9]{16}$/),
      fc.stringMatching(/^[a-z0-9]{16}$/),
      fc.webUrl({ validSchemes: ['https'] }),
      (id, secret, otherSecret, server) => {
        const kubeconfig = clusterInfoKubeconfig({ server, caData: fixtureCa() });
        const configMapData = signedData(kubeconfig, [{ id, secret }]);
        const got = verifyClusterInfo({ configMapData, token: { id, secret }, caPins: [caPin(fixtureCa())] });
        assert.equal(got.server, server);
        if (otherSecret !== secret) {
          throwsCode(() => verifyClusterInfo({ configMapData, token: { id, secret: otherSecret }, caPins: [caPin(fixtureCa())] }), 'CLUSTER_INFO_TAMPERED');
        }
      },
    ),
    { numRuns: 50 },
  );
});
