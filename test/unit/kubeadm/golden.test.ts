import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_API_VERSIONS, emitKubeadmYaml, kubeadmDocuments, parseKubeadmDocuments } from '../../../src/kubeadm/index.js';
import { kubeadmConfigMigrate, kubeBinaries } from '../../support/kube-bin.js';
import { GOLDEN_CONFIGS } from './fixtures.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const goldenPath = (name: string, version: string): string => join(GOLDEN, `${name}.${version}.yaml`);

for (const [name, config] of Object.entries(GOLDEN_CONFIGS)) {
  for (const version of CONFIG_API_VERSIONS) {
    test(`golden ${name} ${version} (UPDATE_GOLDEN=1 rewrites)`, () => {
      const text = emitKubeadmYaml(kubeadmDocuments(config, version));
      const file = goldenPath(name, version);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, text);
      assert.equal(text, readFileSync(file, 'utf8'));
    });

    test(`golden ${name} ${version} parses back to the same model`, () => {
      const parsed = parseKubeadmDocuments(readFileSync(goldenPath(name, version), 'utf8'));
      assert.equal(parsed.apiVersion, version);
      assert.deepEqual({ init: parsed.init, cluster: parsed.cluster, join: parsed.join }, {
        init: config.init,
        cluster: config.cluster,
        join: config.join,
      });
      assert.deepEqual(parsed.others, []);
    });
  }

  test(`golden ${name} v1beta2 is read by the real kubeadm 1.20 without unknown fields`, (t) => {
    const bins = kubeBinaries();
    if ('missing' in bins) {
      t.skip(bins.missing);
      return;
    }
    const r = kubeadmConfigMigrate(bins.kubeadm, readFileSync(goldenPath(name, 'v1beta2'), 'utf8'));
    assert.equal(r.status, 0, `kubeadm config migrate failed: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /unknown field/);
    assert.match(r.stdout, /apiVersion: kubeadm\.k8s\.io\/v1beta2/);
  });
}

test('the migrate check notices an unknown field (the kubeadm test can fail)', (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) {
    t.skip(bins.missing);
    return;
  }
  const text = readFileSync(goldenPath('join-token', 'v1beta2'), 'utf8').replace('kind: JoinConfiguration', 'kind: JoinConfiguration\nskipPhases: [preflight]');
  const r = kubeadmConfigMigrate(bins.kubeadm, text);
  assert.match(r.stderr, /unknown field "skipPhases"/);
});

test('golden files exist for every config and version', () => {
  for (const name of Object.keys(GOLDEN_CONFIGS)) {
    for (const version of CONFIG_API_VERSIONS) assert.ok(existsSync(goldenPath(name, version)), `${name}.${version}.yaml`);
  }
});
