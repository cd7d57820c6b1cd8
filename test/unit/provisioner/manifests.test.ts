/** `joinery manifests`: the objects, their least RBAC, the Deployment's security and probes, formats and flags. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { VERSION } from '../../../src/cli/main.js';
import { cli } from '../../support/cli.js';
import { renderManifests } from '../../../src/cli/manifests.js';
import {
  CLUSTER_RULES,
  KUBE_PUBLIC_RULES,
  KUBE_SYSTEM_RULES,
  LEASE_RULES,
  PROVISIONER_LEASE,
  PROVISIONER_SERVICE_ACCOUNT,
  provisionerManifests,
  type KubeManifest,
} from '../../../src/provisioner/manifests/index.js';
import { throwsCode } from '../../support/errors.js';
import { provisionerAccessChecks, rbacAllows } from '../../support/provisioner-rbac.js';


const defaults = { namespace: 'joinery-system', image: `ghcr.io/joinery/joinery:${VERSION}`, replicas: 2 };
const objects = provisionerManifests(defaults);

function find(kind: string, namespace?: string, list: readonly KubeManifest[] = objects): KubeManifest {
  const hit = list.find((o) => o.kind === kind && o.metadata.namespace === namespace);
  assert.ok(hit, `${kind} in ${namespace ?? '(cluster)'}`);
  return hit;
}

type Container = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
function podSpec(list: readonly KubeManifest[] = objects): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return (find('Deployment', list[0]?.metadata.name, list)['spec'] as any).template.spec; // eslint-disable-line @typescript-eslint/no-explicit-any
}
function container(list: readonly KubeManifest[] = objects): Container {
  return podSpec(list)['containers'][0];
}

describe('provisionerManifests', () => {
  it('renders the objects in apply order, every one labelled', () => {
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.namespace ?? '-'}/${o.metadata.name}`),
      [
        'Namespace -/joinery-system',
        'ServiceAccount joinery-system/joinery',
        'Role kube-system/joinery:provisioner',
        'RoleBinding kube-system/joinery:provisioner',
        'Role kube-public/joinery:provisioner:cluster-info',
        'RoleBinding kube-public/joinery:provisioner:cluster-info',
        'ClusterRole -/joinery:provisioner',
        'ClusterRoleBinding -/joinery:provisioner',
        'Role joinery-system/joinery:leader-election',
        'RoleBinding joinery-system/joinery:leader-election',
        'Deployment joinery-system/joinery',
        'Service joinery-system/joinery',
      ],
    );
    for (const o of objects) {
      assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'joinery', `${o.kind} ${o.metadata.name}`);
      assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'joinery', `${o.kind} ${o.metadata.name}`);
    }
    assert.equal(PROVISIONER_SERVICE_ACCOUNT, 'joinery');
    assert.equal(PROVISIONER_LEASE, 'joinery-provisioner');
  });

  it('grants exactly the least RBAC', () => {
    assert.deepEqual(find('Role', 'kube-system')['rules'], [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['kubeadm-config'] },
    ]);
    assert.deepEqual(find('Role', 'kube-public')['rules'], [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['cluster-info'] }]);
    assert.deepEqual(find('ClusterRole')['rules'], [
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['list', 'watch'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['signers'], verbs: ['approve'], resourceNames: ['kubernetes.io/kube-apiserver-client-kubelet'] },
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    assert.deepEqual(find('Role', 'joinery-system')['rules'], [
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['joinery-provisioner'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    // The exported rule tables are what is rendered (other tests read them).
    assert.deepEqual(find('Role', 'kube-system')['rules'], KUBE_SYSTEM_RULES);
    assert.deepEqual(find('Role', 'kube-public')['rules'], KUBE_PUBLIC_RULES);
    assert.deepEqual(find('ClusterRole')['rules'], CLUSTER_RULES);
    assert.deepEqual(find('Role', 'joinery-system')['rules'], LEASE_RULES);
    const none = objects.flatMap((o) => ((o['rules'] as { verbs: string[]; resources: string[]; apiGroups: string[] }[] | undefined) ?? []).filter((r) => [...r.verbs, ...r.resources, ...r.apiGroups].includes('*')));
    assert.deepEqual(none, [], 'no wildcard anywhere');
  });

  it('binds each role, and only to the service account', () => {
    const bindings = objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    assert.equal(bindings.length, 4);
    for (const b of bindings) {
      assert.deepEqual(b['subjects'], [{ kind: 'ServiceAccount', name: 'joinery', namespace: 'joinery-system' }]);
      const ref = b['roleRef'] as { apiGroup: string; kind: string; name: string };
      assert.equal(ref.apiGroup, 'rbac.authorization.k8s.io');
      assert.equal(ref.kind, b.kind === 'RoleBinding' ? 'Role' : 'ClusterRole');
      const role = objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name && o.metadata.namespace === b.metadata.namespace);
      assert.ok(role, `${b.kind} ${b.metadata.name} refers to a rendered ${ref.kind}`);
    }
  });

  it('allows each needed permission and refuses each broader one (RBAC rule matching on the table the integration test asks the API server)', () => {
    for (const ns of ['joinery-system', 'other-ns']) {
      const list = provisionerManifests({ ...defaults, namespace: ns });
      for (const c of provisionerAccessChecks(ns)) assert.equal(rbacAllows(list, ns, c.attributes), c.allowed, `${c.allowed ? 'allowed' : 'refused'}: ${c.what} (${c.why})`);
    }
    const checks = provisionerAccessChecks('joinery-system');
    assert.ok(checks.filter((c) => c.allowed).length >= 15 && checks.filter((c) => !c.allowed).length >= 25);
  });

  it('runs the Deployment as non-root with a read-only root filesystem and no privileges', () => {
    const deploy = find('Deployment', 'joinery-system');
    assert.equal((deploy['spec'] as { replicas: number }).replicas, 2);
    const spec = podSpec();
    assert.equal(spec['serviceAccountName'], 'joinery');
    assert.deepEqual(spec['securityContext'], { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    const c = container();
    assert.deepEqual(c['securityContext'], { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    assert.equal(c['image'], `ghcr.io/joinery/joinery:${VERSION}`);
    assert.deepEqual(c['args'], ['serve', '--config', '/etc/joinery/joinery.yaml']);
    assert.deepEqual(c['env'], [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    assert.deepEqual(c['ports'], [{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    assert.deepEqual(c['resources'], { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    assert.deepEqual(spec['affinity'].podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, [
      { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'joinery' } }, topologyKey: 'kubernetes.io/hostname' } },
    ]);
    // No toleration (kubeadm taints its control-plane nodes NoSchedule), no node selection, no host network or
    // host PID: the pods run on worker nodes, never on the API server's cores (what bench:serve's pinning models).
    for (const field of ['tolerations', 'nodeSelector', 'nodeName', 'hostNetwork', 'hostPID', 'hostIPC', 'priorityClassName']) assert.equal(spec[field], undefined, field);
  });

  it('probes /readyz and /healthz over HTTPS on the https port', () => {
    const c = container();
    assert.deepEqual(c['readinessProbe'].httpGet, { path: '/readyz', port: 'https', scheme: 'HTTPS' });
    assert.deepEqual(c['livenessProbe'].httpGet, { path: '/healthz', port: 'https', scheme: 'HTTPS' });
    const service = find('Service', 'joinery-system');
    assert.deepEqual((service['spec'] as { ports: unknown }).ports, [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }]);
    assert.deepEqual((service['spec'] as { selector: unknown }).selector, (find('Deployment', 'joinery-system')['spec'] as { selector: { matchLabels: unknown } }).selector.matchLabels);
  });

  it('mounts the two Secrets read-only at /etc/joinery and /etc/joinery/tls, and an emptyDir at /tmp', () => {
    const c = container();
    const spec = podSpec();
    assert.deepEqual(c['volumeMounts'], [
      { name: 'config', mountPath: '/etc/joinery', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    const config = spec['volumes'].find((v: { name: string }) => v.name === 'config');
    assert.deepEqual(config.projected.sources, [
      { secret: { name: 'joinery-config', items: [{ key: 'joinery.yaml', path: 'joinery.yaml' }] } },
      { secret: { name: 'joinery-tls', items: [{ key: 'tls.crt', path: 'tls/tls.crt' }, { key: 'tls.key', path: 'tls/tls.key' }] } },
    ]);
    assert.equal(config.projected.defaultMode, 0o440, 'readable by the fsGroup only');
    assert.ok(spec['volumes'].some((v: { name: string; emptyDir?: unknown }) => v.name === 'tmp' && v.emptyDir !== undefined));
  });

  it('substitutes namespace, image and replicas everywhere', () => {
    const list = provisionerManifests({ namespace: 'prov', image: 'registry.example/joinery@sha256:' + 'a'.repeat(64), replicas: 3 });
    assert.equal(list[0]?.metadata.name, 'prov');
    for (const o of list) {
      if (o.kind === 'Namespace' || o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') continue;
      assert.ok(['prov', 'kube-system', 'kube-public'].includes(o.metadata.namespace ?? ''), `${o.kind} ${o.metadata.name} in ${o.metadata.namespace}`);
    }
    for (const b of list.filter((o) => o.kind.endsWith('Binding'))) assert.deepEqual(b['subjects'], [{ kind: 'ServiceAccount', name: 'joinery', namespace: 'prov' }]);
    // Shared-namespace and cluster-wide names carry the namespace, so two installations do not overwrite each other's bindings.
    assert.deepEqual(
      list.filter((o) => o.metadata.namespace !== 'prov' && o.kind !== 'Namespace').map((o) => o.metadata.name),
      ['joinery:provisioner:prov', 'joinery:provisioner:prov', 'joinery:provisioner:cluster-info:prov', 'joinery:provisioner:cluster-info:prov', 'joinery:provisioner:prov', 'joinery:provisioner:prov'],
    );
    assert.equal((find('Deployment', 'prov', list)['spec'] as { replicas: number }).replicas, 3);
    assert.equal(container(list)['image'], 'registry.example/joinery@sha256:' + 'a'.repeat(64));
    assert.ok(!JSON.stringify(list).includes('joinery-system'));
  });

  it('refuses bad options with typed errors naming the flag', () => {
    for (const ns of ['', 'Upper', '-x', 'x-', 'a.b', 'a'.repeat(64), 'a_b']) assert.equal(throwsCode(() => provisionerManifests({ ...defaults, namespace: ns }), 'NAMESPACE_INVALID').path, '--namespace');
    for (const r of [0, -1, 1.5, 2 ** 31]) assert.equal(throwsCode(() => provisionerManifests({ ...defaults, replicas: r }), 'REPLICAS_INVALID').path, '--replicas');
    for (const i of ['', 'has space', '-flag']) assert.equal(throwsCode(() => provisionerManifests({ ...defaults, image: i }), 'IMAGE_INVALID').path, '--image');
  });
});

describe('joinery manifests', () => {
  it('prints multi-document YAML led by the Secrets to create first', async () => {
    const r = await cli('manifests');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const head = r.stdout.slice(0, r.stdout.indexOf('\n---\n'));
    assert.match(head, /^# /);
    for (const line of head.split('\n')) assert.match(line, /^#/);
    assert.match(head, /kubectl -n joinery-system create secret generic joinery-config --from-file=joinery\.yaml=/);
    assert.match(head, /kubectl -n joinery-system create secret tls joinery-tls --cert=\S+ --key=\S+/);
    assert.match(head, /listen: 0\.0\.0\.0:8443/);
    assert.match(head, /certFile: \/etc\/joinery\/tls\/tls\.crt, keyFile: \/etc\/joinery\/tls\/tls\.key/);
    assert.match(head, /docs\/provisioner\.md/);
    const docs = parseAllDocuments(r.stdout);
    assert.ok(Array.isArray(docs));
    for (const d of docs) assert.deepEqual(d.errors, []);
    assert.deepEqual(
      docs.map((d) => d.toJS()),
      objects,
    );
  });

  it('-o json is a v1 List of the same objects as the YAML', async () => {
    const json = await cli('manifests', '-o', 'json', '--namespace', 'prov', '--replicas', '3', '--image', 'example/joinery:1');
    const yaml = await cli('manifests', '--output', 'yaml', '--namespace', 'prov', '--replicas', '3', '--image', 'example/joinery:1');
    assert.equal(json.code, 0, json.stderr);
    const list = JSON.parse(json.stdout) as { apiVersion: string; kind: string; items: unknown[] };
    assert.equal(list.apiVersion, 'v1');
    assert.equal(list.kind, 'List');
    const docs = parseAllDocuments(yaml.stdout);
    assert.ok(Array.isArray(docs));
    assert.deepEqual(list.items, docs.map((d) => d.toJS()));
    assert.deepEqual(list.items, provisionerManifests({ namespace: 'prov', image: 'example/joinery:1', replicas: 3 }));
  });

  it('defaults the image to this release', async () => {
    assert.match(await renderManifests({}), new RegExp(`image: ghcr.io/joinery/joinery:${VERSION.replace(/\./g, '\\.')}\n`));
  });

  it('answers bad flags with a usage error (exit 64) naming the flag and the fix', async () => {
    const cases: [string[], string, string][] = [
      [['--replicas', 'two'], 'REPLICAS_INVALID', '--replicas'],
      [['--replicas', '0'], 'REPLICAS_INVALID', '--replicas'],
      [['--replicas', '-1'], 'REPLICAS_INVALID', '--replicas'],
      [['--namespace', 'Joinery'], 'NAMESPACE_INVALID', '--namespace'],
      [['--namespace', ''], 'NAMESPACE_INVALID', '--namespace'],
      [['--image', 'a b'], 'IMAGE_INVALID', '--image'],
      [['-o', 'table'], 'OUTPUT_FORMAT_INVALID', '--output'],
    ];
    for (const [args, code, flag] of cases) {
      const r = await cli('manifests', ...args);
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing half-printed');
      assert.ok(r.stderr.includes(`code: ${code}`), r.stderr);
      assert.ok(r.stderr.includes(flag), r.stderr);
      assert.match(r.stderr, /\n {2}fix: \S/);
    }
  });

  it('has --help', async () => {
    const r = await cli('manifests', '--help');
    assert.equal(r.code, 0);
    for (const flag of ['--namespace', '--image', '--replicas', '--output']) assert.ok(r.stdout.includes(flag), flag);
  });
});
