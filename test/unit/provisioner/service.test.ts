/**
 * The provisioner's pure parts: a machine's state derived from its token, CSR and Node; the bindings
 * `joinery setup` mirrors from kubeadm's; the delivery stubs (validated by the real tools); the node label.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { tokenSecret, bootstrapToken } from '../../../src/token/index.js';
import type { CertificateSigningRequest, NodeObject, StoredSecret } from '../../../src/cluster/index.js';
import { machineOf, MACHINE_STATES, PROFILE_LABEL, MACHINE_LABEL } from '../../../src/provisioner/machine/index.js';
import { joineryBindings, AUTO_APPROVE_ROLE, KUBEADM_NODE_GROUP, JOINERY_NODE_GROUP, type Binding } from '../../../src/provisioner/setup/index.js';
import { stubUserdata } from '../../../src/provisioner/service/stub.js';
import { withNodeLabel } from '../../../src/provisioner/service/index.js';
import { parseMachineSpec } from '../../../src/userdata/spec/index.js';
import { missing, shellcheck, shSyntax } from '../userdata/render/support.js';

const now = new Date('2026-11-22T10:00:00Z');

function tokenOf(ttl: string, minted: Date): StoredSecret {
  const t = bootstrapToken({ ttl, usages: ['authentication'], groups: [JOINERY_NODE_GROUP] });
  const s = tokenSecret(t, minted, { labels: { [MACHINE_LABEL]: 'worker-a', [PROFILE_LABEL]: 'worker' }, annotations: { 'joinery.dev/format': 'script' } });
  return { ...s, metadata: { ...s.metadata, name: s.metadata?.name as string, creationTimestamp: minted.toISOString() } } as StoredSecret;
}

function csrWith(type: 'Approved' | 'Denied' | undefined): CertificateSigningRequest {
  return {
    metadata: { name: 'csr-1', creationTimestamp: '2026-11-22T09:59:00Z' },
    spec: { request: '', signerName: 'kubernetes.io/kube-apiserver-client-kubelet' },
    ...(type === undefined ? {} : { status: { conditions: [{ type, status: 'True', reason: type === 'Denied' ? 'NodeNameMismatch' : 'JoineryApproved', message: 'm', lastUpdateTime: '2026-11-22T09:59:30Z' }] } }),
  };
}

function nodeWith(ready: boolean, labels: Record<string, string> = {}): NodeObject {
  return { metadata: { name: 'worker-a', creationTimestamp: '2026-11-22T09:59:40Z', labels }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2026-11-22T09:59:50Z' }] } };
}

describe('machineOf', () => {
  const token = tokenOf('15m', new Date(now.getTime() - 60_000));
  it('pending, approved, denied, joined, ready, expired, each with its timestamps', () => {
    const pending = machineOf('worker-a', { token }, now);
    assert.equal(pending?.state, 'pending');
    assert.equal(pending?.profile, 'worker');
    assert.equal(pending?.format, 'script');
    assert.match(pending?.tokenId ?? '', /^[a-z0-9]{6}$/);
    assert.ok(pending?.expiresAt);
    assert.equal(machineOf('worker-a', { token, csr: csrWith(undefined) }, now)?.state, 'pending');
    const approved = machineOf('worker-a', { token, csr: csrWith('Approved') }, now);
    assert.equal(approved?.state, 'approved');
    assert.equal(approved?.approvedAt, '2026-11-22T09:59:30Z');
    const denied = machineOf('worker-a', { token, csr: csrWith('Denied') }, now);
    assert.equal(denied?.state, 'denied');
    assert.deepEqual(denied?.denial, { reason: 'NodeNameMismatch', message: 'm' });
    assert.equal(machineOf('worker-a', { token, csr: csrWith('Approved'), node: nodeWith(false) }, now)?.state, 'joined');
    const ready = machineOf('worker-a', { node: nodeWith(true, { [PROFILE_LABEL]: 'worker' }) }, now);
    assert.equal(ready?.state, 'ready');
    assert.equal(ready?.readyAt, '2026-11-22T09:59:50Z');
    assert.equal(ready?.tokenId, undefined, 'a joined machine has no token left');
    assert.equal(machineOf('worker-a', { token: tokenOf('1s', new Date(now.getTime() - 5000)) }, now)?.state, 'expired');
  });

  it('nothing left of it (no token, no labelled Node): undefined', () => {
    assert.equal(machineOf('worker-a', {}, now), undefined);
    assert.equal(machineOf('worker-a', { node: nodeWith(true) }, now), undefined, 'a Node joinery did not make');
  });

  it('any combination of sources gives a known state or nothing', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom(undefined, 'Approved', 'Denied') as fc.Arbitrary<'Approved' | 'Denied' | undefined>, fc.option(fc.boolean()), fc.integer({ min: -3600, max: 3600 }), (hasToken, csr, node, offset) => {
        const m = machineOf(
          'worker-a',
          {
            ...(hasToken ? { token } : {}),
            csr: csrWith(csr),
            ...(node === null ? {} : { node: nodeWith(node, { [PROFILE_LABEL]: 'worker' }) }),
          },
          new Date(now.getTime() + offset * 1000),
        );
        if (m === undefined) return !hasToken && node === null;
        return (MACHINE_STATES as readonly string[]).includes(m.state) && (node === null || m.state === 'joined' || m.state === 'ready');
      }),
    );
  });
});

describe('joineryBindings', () => {
  const kubeadm: Binding[] = [
    { kind: 'ClusterRoleBinding', metadata: { name: 'kubeadm:kubelet-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node-bootstrapper' }, subjects: [{ kind: 'Group', name: KUBEADM_NODE_GROUP }] },
    { kind: 'ClusterRoleBinding', metadata: { name: 'kubeadm:node-autoapprove-bootstrap' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AUTO_APPROVE_ROLE }, subjects: [{ kind: 'Group', name: KUBEADM_NODE_GROUP }] },
    { kind: 'RoleBinding', metadata: { name: 'kubeadm:nodes-kubeadm-config', namespace: 'kube-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeadm:nodes-kubeadm-config' }, subjects: [{ kind: 'Group', name: KUBEADM_NODE_GROUP }, { kind: 'Group', name: 'system:nodes' }] },
    { kind: 'RoleBinding', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kube-proxy' }, subjects: [{ kind: 'Group', name: KUBEADM_NODE_GROUP }] },
    { kind: 'ClusterRoleBinding', metadata: { name: 'system:node' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' }, subjects: [{ kind: 'Group', name: 'system:nodes' }] },
  ];
  it("mirrors every binding of kubeadm's token group for joinery's group, except auto-approval", () => {
    const out = joineryBindings(kubeadm);
    assert.deepEqual(
      out.map((b) => `${b.kind} ${b.metadata.namespace ?? ''}/${b.metadata.name} -> ${b.roleRef.name}`),
      ['ClusterRoleBinding /joinery:kubelet-bootstrap -> system:node-bootstrapper', 'RoleBinding kube-system/joinery:kube-proxy -> kube-proxy', 'RoleBinding kube-system/joinery:nodes-kubeadm-config -> kubeadm:nodes-kubeadm-config'],
    );
    for (const b of out) assert.deepEqual(b.subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: JOINERY_NODE_GROUP }]);
    assert.deepEqual(joineryBindings(out), [], 'joinery bindings are not mirrored again');
  });
});

describe('delivery stubs', () => {
  const url = 'https://127.0.0.1:8443/v1/machines/worker-a/userdata?nonce=abc_-DEF';
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  it('Ignition: config.replace from the URL with the CA pinned, valid against the official 3.4.0 schema', () => {
    const doc = JSON.parse(stubUserdata('ignition', url, ca)) as { ignition: { version: string; config: { replace: { source: string } }; security: { tls: { certificateAuthorities: { source: string }[] } } } };
    assert.equal(doc.ignition.config.replace.source, url);
    assert.equal(doc.ignition.version, '3.4.0');
    const pinned = doc.ignition.security.tls.certificateAuthorities[0]?.source ?? '';
    assert.equal(decodeURIComponent(pinned.replace(/^data:,/, '')), ca);
    type ValidateFn = ((d: unknown) => boolean) & { errors?: unknown };
    const Ajv = (createRequire(import.meta.url)('ajv-draft-04') as { default: new (o: object) => { compile(s: object): ValidateFn } }).default;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(readFileSync('/work/shared/schemas/ignition-3.4.0.schema.json', 'utf8')) as object);
    assert.equal(validate(doc), true, JSON.stringify(validate.errors));
    assert.equal((JSON.parse(stubUserdata('ignition', url)) as { ignition: { security?: unknown } }).ignition.security, undefined, 'plain HTTP: nothing to pin');
  });

  it("cloud-config: cloud-init's #include of the URL", () => {
    assert.equal(stubUserdata('cloud-config', url), `#include\n${url}\n`);
  });

  it('script: valid sh (shellcheck clean); the URL reaches curl on stdin, not in its argv', (t) => {
    const s = stubUserdata('script', url, ca);
    assert.equal(shSyntax(s).status, 0);
    const why = missing('shellcheck');
    if (why === undefined) assert.equal(shellcheck(s).status, 0, shellcheck(s).out);
    else t.diagnostic(why);
    const curl = s.split('\n').find((l) => l.includes('curl')) as string;
    assert.match(curl, /printf 'url = "%s"\\n' '.+' \| curl .* -K - /);
    assert.match(curl, /--cacert "\$dir\/ca\.crt"/);
  });
});

describe('withNodeLabel', () => {
  it('adds the label to --node-labels, keeping labels the spec sets', () => {
    const plain = withNodeLabel(parseMachineSpec('{}'), PROFILE_LABEL, 'worker');
    assert.deepEqual(plain.joinConfiguration?.nodeRegistration?.kubeletExtraArgs, [{ name: 'node-labels', value: 'joinery.dev/profile=worker' }]);
    const spec = parseMachineSpec('joinConfiguration:\n  nodeRegistration:\n    kubeletExtraArgs:\n      node-labels: zone=a\n      v: "2"\n');
    const args = withNodeLabel(spec, PROFILE_LABEL, 'worker').joinConfiguration?.nodeRegistration?.kubeletExtraArgs ?? [];
    assert.deepEqual(args.find((a) => a.name === 'node-labels'), { name: 'node-labels', value: 'zone=a,joinery.dev/profile=worker' });
    assert.ok(args.some((a) => a.name === 'v' && a.value === '2'));
  });
});
