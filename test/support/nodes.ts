/**
 * Testbed nodes for integration tests (src/testbed/node): real kubeadm, kubelet and containerd joins. A pool
 * per test file names its nodes uniquely and removes them in `after` (and `testbed down` in
 * scripts/run-tests.mjs stops whatever a crashed test left). `userdata` renders joinery's bootstrap data with the
 * testbed's machine spec (CRI socket, preflight errors), nothing else changed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { addTestbedNode, removeTestbedNode, testbedNodesSupported, testbedNodeSpec, type TestbedNode, type TestbedState } from '../../src/testbed/index.js';
import { joinery } from './testbed.js';

export const nodesSupported = testbedNodesSupported();
/** The reason to skip node tests on this machine, or undefined. */
export const nodesSkip = nodesSupported.ok ? undefined : nodesSupported.reason;

export class NodePool {
  private readonly names = new Set<string>();
  private readonly work = mkdtempSync(join(tmpdir(), 'joinery-nodes-'));
  constructor(readonly tb: TestbedState) {}

  async add(name: string): Promise<TestbedNode> {
    this.names.add(name);
    return addTestbedNode(this.tb, { name });
  }

  /** Removes `name` with the others at the end, also when it was added by other means (the CLI). */
  track(name: string): void {
    this.names.add(name);
  }

  /** The testbed's machine spec as a file for `--spec`. */
  specFile(): string {
    const file = join(this.work, 'testbed-spec.json');
    writeFileSync(file, JSON.stringify(testbedNodeSpec(this.tb)));
    return file;
  }

  /** `joinery userdata ... --spec <testbed spec>`; returns the bootstrap data. */
  userdata(args: string[]): string {
    const out = join(this.work, `ud-${Math.random().toString(36).slice(2)}`);
    const r = joinery(this.tb, ['userdata', ...args, '--spec', this.specFile(), '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(out, 'utf8');
    rmSync(out);
    return text;
  }

  /** Removes one node now (its Node object stays in the cluster). */
  remove(name: string): void {
    removeTestbedNode(this.tb, name);
    this.names.delete(name);
  }

  removeAll(): void {
    for (const n of this.names) removeTestbedNode(this.tb, n);
    this.names.clear();
    rmSync(this.work, { recursive: true, force: true });
  }
}
