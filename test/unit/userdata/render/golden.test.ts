/**
 * Golden files: each fixture plan (init, control-plane, worker, and the init plan with an etcd disk) in each
 * format, byte for byte. UPDATE_GOLDEN=1 rewrites them instead of comparing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCloudConfig, renderIgnition, renderScript } from '../../../../src/userdata/render/index.js';
import { FIXTURES, initWithEtcdDiskPlan } from './fixtures.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${name} is missing; run with UPDATE_GOLDEN=1`);
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its golden file`);
}

for (const [role, build] of Object.entries(FIXTURES)) {
  test(`${role}: cloud-config golden`, () => golden(`${role}.cloud-config.yaml`, renderCloudConfig(build())));
  test(`${role}: ignition 3.4.0 golden`, () => golden(`${role}.ignition.json`, renderIgnition(build())));
  test(`${role}: script golden`, () => golden(`${role}.script.sh`, renderScript(build())));
  test(`${role}: rendering is deterministic and leaves the plan alone`, () => {
    const plan = build();
    const before = JSON.stringify(plan, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    for (const render of [() => renderCloudConfig(plan), () => renderIgnition(plan), () => renderScript(plan)]) {
      assert.equal(render(), render());
    }
    const after = JSON.stringify(plan, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    assert.equal(after, before);
  });
}

test('init with Cluster API jinja header: golden', () => golden('init.jinja.cloud-config.yaml', renderCloudConfig(FIXTURES.init(), { jinja: true })));
test('init with an etcd disk: cloud-config golden', () => golden('init-etcd-disk.cloud-config.yaml', renderCloudConfig(initWithEtcdDiskPlan())));
test('init with an etcd disk: ignition golden', () => golden('init-etcd-disk.ignition.json', renderIgnition(initWithEtcdDiskPlan())));
