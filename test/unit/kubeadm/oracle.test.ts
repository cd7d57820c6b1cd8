/**
 * Verdicts of our parser against the real kubeadm v1.20.2 on InitConfiguration/ClusterConfiguration
 * v1beta2: `kubeadm config images list --config` defaults and validates a config offline, so for each
 * document both must accept it or both must refuse it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JoineryError } from '../../../src/errors/index.js';
import { parseKubeadmDocuments } from '../../../src/kubeadm/index.js';
import { kubeBinaries, kubeadmValidateInit } from '../../support/kube-bin.js';

const here = dirname(fileURLToPath(import.meta.url));
const TOKEN = 'abcdef.0123456789abcdef';
const cluster = '---\napiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\nkubernetesVersion: v1.20.2\n';
const init = (tokenBody: string) =>
  `apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\nbootstrapTokens:\n- token: ${TOKEN}\n${tokenBody}${cluster}`;

const cases: Array<[string, string, boolean]> = [
  ['golden init+cluster', readFileSync(join(here, 'golden/init-cluster.v1beta2.yaml'), 'utf8'), true],
  ['defaults only', init(''), true],
  ['usages [authentication]', init('  usages: [authentication]\n'), true],
  ['usages [signing]: the defaulted group needs authentication', init('  usages: [signing]\n'), false],
  ['usages [signing] with groups', init('  usages: [signing]\n  groups: [system:bootstrappers:x]\n'), false],
  ['unknown usage', init('  usages: [authentication, root]\n'), false],
  ['group outside system:bootstrappers', init('  groups: [admins]\n'), false],
  ['group ending in a dash', init('  groups: ["system:bootstrappers:x-"]\n'), false],
  ['ttl and a group', init('  ttl: 1h30m\n  groups: [system:bootstrappers:joinery:nodes]\n'), true],
  ['no token: kubeadm generates one', `apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\nbootstrapTokens:\n- ttl: 1h0m0s\n${cluster}`, true],
  ['malformed token', init('').replace(TOKEN, 'abcdef.0123'), false],
  ['expires: refused next to the defaulted ttl', init('  expires: "2030-01-02T03:04:05Z"\n'), false],
  ['negative ttl: read as never expiring', init('  ttl: -1h0m0s\n'), true],
];

test('our verdict on InitConfiguration documents equals kubeadm v1.20.2 validation', (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  for (const [name, text, valid] of cases) {
    const kubeadm = kubeadmValidateInit(bins.kubeadm, text);
    assert.equal(kubeadm.status === 0 && !/Invalid value|error/i.test(kubeadm.stdout + kubeadm.stderr), valid, `kubeadm on ${name}: ${kubeadm.stdout}${kubeadm.stderr}`);
    let ours = true;
    try {
      parseKubeadmDocuments(text);
    } catch (err) {
      assert.ok(err instanceof JoineryError, String(err));
      ours = false;
    }
    assert.equal(ours, valid, `joinery on ${name}`);
  }
});
