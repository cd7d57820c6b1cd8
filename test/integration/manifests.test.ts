/**
 * `joinery manifests` against the testbed's API server (issue 6 §1): every object passes server-side
 * validation (`?dryRun=All`), the pod template passes the `restricted` Pod Security level where the server
 * enforces it, and, with the Namespace, ServiceAccount and RBAC applied for real (a namespace of its own per
 * run, removed after), the service account — reached by impersonation, as `kubectl auth can-i --as` does —
 * may do each thing the provisioner does and nothing broader (test/support/provisioner-rbac.ts), and the
 * calls the service makes succeed with it: cluster-info, the server version, kubeadm-config, token
 * Secrets, the three informers, CSR approval (kubelet client signer only), its Lease.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  CSR_PATH,
  Informer,
  KubeClient,
  clusterFacts,
  clusterJoinFacts,
  decideCsr,
  deleteTokenSecret,
  getTokenSecret,
  kubeconfigCredentials,
  listTokenSecrets,
  type CertificateSigningRequest,
  type KubeObject,
} from '../../src/cluster/index.js';
import { JoineryError } from '../../src/errors/index.js';
import { PROVISIONER_LEASE, provisionerManifests, type KubeManifest } from '../../src/provisioner/manifests/index.js';
import { adminClient, joinery, kubernetesMinor, requireTestbed } from '../support/testbed.js';
import { provisionerAccessChecks, serviceAccountIdentity, type ResourceAttributes } from '../support/provisioner-rbac.js';
import { opensslCsr } from '../unit/provisioner/csr-support.js';
import { apiKey, ServeProcess } from '../support/serve.js';
import { awaitCsrDecision, registerNode, sendKubeletCsr } from '../support/node-side.js';

const tb = requireTestbed();
const admin = adminClient(tb);
const namespace = `joinery-it-${randomBytes(3).toString('hex')}`;
const objects = provisionerManifests({ namespace, image: 'ghcr.io/joinery/joinery:0.0.0-test', replicas: 2 });
const identity = serviceAccountIdentity(namespace);
/** Acts as the provisioner's service account: the admin's credentials with Impersonate-* headers. */
const asProvisioner = new KubeClient({ ...admin.credentials, user: 'admin', impersonate: { user: identity.user, groups: identity.groups } });
const work = mkdtempSync(join(tmpdir(), 'joinery-manifests-'));
const created: KubeManifest[] = [];
const csrs: string[] = [];

const PLURAL: Record<string, string> = {
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Deployment: 'deployments',
  Service: 'services',
  Pod: 'pods',
};

/** The collection path of an object: /api/v1[/namespaces/NS]/PLURAL or /apis/GROUP/VERSION[...]. */
function collection(o: KubeManifest): string {
  const plural = PLURAL[o.kind];
  assert.ok(plural, `no plural for ${o.kind}`);
  const base = o.apiVersion === 'v1' ? '/api/v1' : `/apis/${o.apiVersion}`;
  return `${base}${o.metadata.namespace === undefined ? '' : `/namespaces/${o.metadata.namespace}`}/${plural}`;
}

function action(o: KubeManifest, verb: 'create' | 'delete') {
  return { verb, resource: PLURAL[o.kind] ?? o.kind, ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }), name: o.metadata.name };
}

async function create(o: KubeManifest, dryRun: boolean): Promise<KubeManifest> {
  const r = await admin.request<KubeManifest>(collection(o), { method: 'POST', body: o, ...(dryRun ? { query: { dryRun: 'All' } } : {}), action: action(o, 'create') });
  if (!dryRun) created.push(o);
  return r as KubeManifest;
}

async function canI(client: KubeClient, attributes: ResourceAttributes): Promise<{ allowed: boolean; reason?: string }> {
  const review = await client.request<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    method: 'POST',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attributes } },
    action: { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
  });
  return { allowed: review?.status?.allowed === true, ...(review?.status?.reason === undefined ? {} : { reason: review.status.reason }) };
}

async function rejectsCode(p: Promise<unknown>, code: string): Promise<JoineryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof JoineryError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

async function adminCsr(signerName: string, subject: string): Promise<CertificateSigningRequest> {
  const name = `joinery-rbac-${randomBytes(4).toString('hex')}`;
  const pem = opensslCsr('ec-p256', subject);
  const csr = (await admin.request<CertificateSigningRequest>(CSR_PATH, {
    method: 'POST',
    body: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name },
      spec: { request: Buffer.from(pem).toString('base64'), signerName, usages: ['digital signature', 'client auth'] },
    },
    action: { verb: 'create', resource: 'certificatesigningrequests' },
  })) as CertificateSigningRequest;
  csrs.push(name);
  return csr;
}

after(async () => {
  for (const o of [...created].reverse()) {
    await admin.request(`${collection(o)}/${o.metadata.name}`, { method: 'DELETE', allowNotFound: true, action: action(o, 'delete') }).catch(() => undefined);
  }
  for (const name of csrs) await admin.request(`${CSR_PATH}/${name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'certificatesigningrequests', name } }).catch(() => undefined);
  admin.close();
  asProvisioner.close();
  rmSync(work, { recursive: true, force: true });
});

describe(`joinery manifests on the testbed (${tb.version})`, () => {
  it('the CLI prints what provisionerManifests renders', () => {
    const r = joinery(tb, ['manifests', '-o', 'json', '--namespace', namespace, '--image', 'ghcr.io/joinery/joinery:0.0.0-test']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { items: unknown }).items, objects);
  });

  it('every object passes server-side validation (dryRun=All)', async () => {
    const ns = objects[0] as KubeManifest;
    const inOwnNamespace = (o: KubeManifest) => o.metadata.namespace === namespace;
    // Objects whose namespace exists already, the Namespace itself included; nothing is stored.
    for (const o of objects.filter((x) => !inOwnNamespace(x))) await create(o, true);
    const missing = await admin.request(`/api/v1/namespaces/${namespace}`, { allowNotFound: true, action: { verb: 'get', resource: 'namespaces', name: namespace } });
    assert.equal(missing, undefined, 'a dry run creates nothing');
    await create(ns, false);
    for (const o of objects.filter(inOwnNamespace)) {
      const r = await create(o, true);
      assert.equal(r.metadata.name, o.metadata.name);
    }
  });

  describe('the service account, with the RBAC applied', () => {
    before(async () => {
      if (!created.some((o) => o.kind === 'Namespace')) await create(objects[0] as KubeManifest, false);
      for (const o of objects.filter((x) => x.kind === 'ServiceAccount' || x.kind.startsWith('Role') || x.kind.startsWith('Cluster'))) await create(o, false);
      // RBAC reaches the authorizer through its informers: wait until the first grant is visible.
      const first = provisionerAccessChecks(namespace).find((c) => c.allowed);
      const deadline = Date.now() + 15_000;
      while (!(await canI(asProvisioner, (first as { attributes: ResourceAttributes }).attributes)).allowed) {
        if (Date.now() > deadline) throw new Error('the RBAC objects never took effect');
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    it('the pod template is admitted (dry run), also at the restricted Pod Security level the Namespace enforces', async (t) => {
      const deployment = objects.find((o) => o.kind === 'Deployment') as KubeManifest;
      const template = (deployment['spec'] as { template: { metadata: Record<string, unknown>; spec: unknown } }).template;
      const pod: KubeManifest = { apiVersion: 'v1', kind: 'Pod', metadata: { ...template.metadata, name: 'joinery-dry-run', namespace } as KubeManifest['metadata'], spec: template.spec };
      // Kubernetes 1.20's ServiceAccount admission waits for the account's token Secret (made by the tokens controller).
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          await create(pod, true);
          break;
        } catch (err) {
          if (!(err instanceof JoineryError) || err.code === 'FORBIDDEN' || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      if (kubernetesMinor(tb) < 25) t.diagnostic('Pod Security admission is enforced from Kubernetes 1.25; here only validation and the other admission plugins ran');
    });

    for (const c of provisionerAccessChecks(namespace)) {
      it(`${c.allowed ? 'may' : 'may not'} ${c.what} (${c.why})`, async () => {
        const answer = await canI(asProvisioner, c.attributes);
        assert.equal(answer.allowed, c.allowed, `${c.what}: ${answer.reason ?? 'no reason given'}`);
      });
    }

    it('reads and is refused through a kubeconfig whose user has as/as-groups (Impersonate-* headers)', async () => {
      const doc = parseYaml(readFileSync(tb.kubeconfig, 'utf8')) as { users: { name: string; user: Record<string, unknown> }[]; clusters: { cluster: Record<string, unknown> }[] };
      for (const u of doc.users) Object.assign(u.user, { as: identity.user, 'as-groups': identity.groups });
      const path = join(work, 'as-provisioner.conf');
      writeFileSync(path, stringifyYaml(doc), { mode: 0o600 });
      const client = new KubeClient(kubeconfigCredentials(path));
      try {
        assert.deepEqual(client.credentials.impersonate, { user: identity.user, groups: identity.groups });
        assert.ok(Array.isArray(await listTokenSecrets(client)));
        const refused = await rejectsCode(client.request('/api/v1/namespaces/default/secrets', { action: { verb: 'list', resource: 'secrets', namespace: 'default' } }), 'FORBIDDEN');
        assert.match(refused.message, new RegExp(`acting as "${identity.user}"`));
        assert.match(refused.message, /may not list secrets in namespace "default"/);
      } finally {
        client.close();
      }
    });

    it("makes the service's calls: cluster-info, version, kubeadm-config, token Secrets, informers", async () => {
      const facts = await clusterJoinFacts(asProvisioner);
      assert.match(facts.kubernetesVersion, /^v1\.\d+\./);
      assert.ok(facts.caPins.length > 0);
      assert.ok((await clusterFacts(asProvisioner)).clusterConfiguration.length > 0);
      const id = randomBytes(3).toString('hex');
      const secret = `bootstrap-token-${id}`;
      const expiration = new Date(Date.now() + 600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      await asProvisioner.request('/api/v1/namespaces/kube-system/secrets', {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'bootstrap.kubernetes.io/token',
          metadata: { name: secret, namespace: 'kube-system', labels: { 'joinery.dev/managed': 'true', 'joinery.dev/machine': 'rbac-test' } },
          stringData: { 'token-id': id, 'token-secret': randomBytes(8).toString('hex'), expiration, 'usage-bootstrap-authentication': 'true' },
        },
        action: { verb: 'create', resource: 'secrets', namespace: 'kube-system' },
      });
      try {
        assert.equal((await getTokenSecret(asProvisioner, id))?.metadata.name, secret);
        const informers = [
          new Informer<KubeObject>({ client: asProvisioner, path: '/api/v1/namespaces/kube-system/secrets', resource: 'secrets', namespace: 'kube-system', labelSelector: 'joinery.dev/managed=true', fieldSelector: 'type=bootstrap.kubernetes.io/token' }),
          new Informer<KubeObject>({ client: asProvisioner, path: CSR_PATH, resource: 'certificatesigningrequests.certificates.k8s.io' }),
          new Informer<KubeObject>({ client: asProvisioner, path: '/api/v1/nodes', resource: 'nodes' }),
        ];
        await Promise.all(informers.map((i) => i.start()));
        try {
          assert.deepEqual(informers.map((i) => i.healthy), [true, true, true]);
          assert.ok((informers[0] as Informer<KubeObject>).get(secret), 'the token informer sees the token');
        } finally {
          await Promise.all(informers.map((i) => i.stop()));
        }
      } finally {
        assert.equal(await deleteTokenSecret(asProvisioner, id), true, 'revoking works');
      }
    });

    it('approves and denies CSRs of the kubelet client signer only', async () => {
      // O is not system:nodes, so kube-controller-manager's own approver leaves these alone.
      const kubelet = await adminCsr('kubernetes.io/kube-apiserver-client-kubelet', '/O=joinery-test/CN=system:node:rbac-test');
      const approved = await decideCsr(asProvisioner, kubelet, 'Approved', 'JoineryTest', 'approved by the RBAC test');
      assert.ok(approved.status?.conditions?.some((c) => c.type === 'Approved'));
      const apiClient = await adminCsr('kubernetes.io/kube-apiserver-client', '/CN=rbac-test-client');
      const refused = await rejectsCode(decideCsr(asProvisioner, apiClient, 'Approved', 'JoineryTest', 'must be refused'), 'FORBIDDEN');
      assert.match(refused.message, /not permitted to approve requests with signerName/);
      // The CSRApproving admission plugin asks for `approve` on the signer for a denial too: joinery denies
      // only kubelet client CSRs (the service ignores other signers), which the Role allows.
      await rejectsCode(decideCsr(asProvisioner, apiClient, 'Denied', 'JoineryTest', 'must be refused'), 'FORBIDDEN');
      const other = await adminCsr('kubernetes.io/kube-apiserver-client-kubelet', '/O=joinery-test/CN=system:node:rbac-test-2');
      const denied = await decideCsr(asProvisioner, other, 'Denied', 'JoineryTest', 'denied by the RBAC test');
      assert.ok(denied.status?.conditions?.some((c) => c.type === 'Denied'));
    });

    it('holds its Lease, and no other', async () => {
      const leases = `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
      const act = (verb: 'get' | 'create' | 'update', name?: string) => ({ verb, resource: 'leases.coordination.k8s.io', namespace, ...(name === undefined ? {} : { name }) });
      const body = (name: string) => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: 'joinery-0', leaseDurationSeconds: 15 } });
      await asProvisioner.request(leases, { method: 'POST', body: body(PROVISIONER_LEASE), action: act('create') });
      const lease = (await asProvisioner.request<KubeManifest>(`${leases}/${PROVISIONER_LEASE}`, { action: act('get', PROVISIONER_LEASE) })) as KubeManifest;
      await asProvisioner.request(`${leases}/${PROVISIONER_LEASE}`, { method: 'PUT', body: { ...lease, spec: { ...(lease['spec'] as object), holderIdentity: 'joinery-1' } }, action: act('update', PROVISIONER_LEASE) });
      // create cannot be limited by name in RBAC, but the object made is then out of reach.
      await asProvisioner.request(leases, { method: 'POST', body: body('other'), action: act('create') });
      await rejectsCode(asProvisioner.request(`${leases}/other`, { action: act('get', 'other') }), 'FORBIDDEN');
      await rejectsCode(asProvisioner.request('/apis/coordination.k8s.io/v1/namespaces/kube-system/leases', { method: 'POST', body: body(PROVISIONER_LEASE), action: { verb: 'create', resource: 'leases', namespace: 'kube-system' } }), 'FORBIDDEN');
    });

    it('`joinery serve` runs with nothing more: as the service account it leads, mints, approves its kubelet, revokes the token, and is refused nothing', async () => {
      // What an admin does once per cluster: joinery's node group may send CSRs (joinery setup).
      const setup = joinery(tb, ['setup']);
      assert.equal(setup.status, 0, setup.stderr);
      // The Lease the previous test left (held by "joinery-1") would take its 15 s to expire.
      await admin.request(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${PROVISIONER_LEASE}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'leases', namespace, name: PROVISIONER_LEASE } });
      const doc = parseYaml(readFileSync(tb.kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
      for (const u of doc.users) Object.assign(u.user, { as: identity.user, 'as-groups': identity.groups });
      const kubeconfig = join(work, 'serve-as-provisioner.conf');
      writeFileSync(kubeconfig, stringifyYaml(doc), { mode: 0o600 });
      const key = apiKey('ci');
      const config = join(work, 'joinery.yaml');
      writeFileSync(config, `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\nkubeconfig: ${kubeconfig}\napiKeys:\n  - {name: ci, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}\n`);
      // As in the Deployment: the lease namespace from POD_NAMESPACE.
      const svc = await ServeProcess.start(config, { POD_NAMESPACE: namespace, POD_NAME: 'joinery-test-0' });
      const name = `rbac-node-${randomBytes(3).toString('hex')}`;
      try {
        const deadline = Date.now() + 20_000;
        while (!/^joinery_leader 1$/m.test((await svc.request('GET', '/metrics')).text)) {
          if (Date.now() > deadline) throw new Error(`never led:\n${svc.log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const lease = await admin.request<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${PROVISIONER_LEASE}`, { action: { verb: 'get', resource: 'leases', namespace, name: PROVISIONER_LEASE } });
        assert.match(lease?.spec?.holderIdentity ?? '', /^joinery-test-0_/);
        const r = await svc.request('POST', '/v1/machines', { key: key.key, body: { name, profile: 'worker' } });
        assert.equal(r.status, 201, r.text);
        const token = /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/.exec(r.body['userdata'] as string)?.[0] ?? '';
        const csr = await sendKubeletCsr(tb, work, token, name);
        const decided = await awaitCsrDecision(csr.client, csr.name);
        csr.client.close();
        assert.equal(decided.status?.conditions?.find((c) => c.type === 'Approved')?.reason, 'JoineryApproved');
        await registerNode(tb, decided, csr.keyPem, name, { 'joinery.dev/profile': 'worker' });
        const gone = Date.now() + 20_000;
        while ((await listTokenSecrets(admin, `joinery.dev/machine=${name}`)).length > 0) {
          if (Date.now() > gone) throw new Error(`the token was not revoked:\n${svc.log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const machine = await svc.request('GET', `/v1/machines/${name}`, { key: key.key });
        assert.equal(machine.body['state'], 'joined', machine.text);
        assert.equal((await svc.request('GET', '/readyz')).status, 200);
      } finally {
        await svc.stop();
        await admin.request(`/api/v1/nodes/${name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'nodes', name } });
      }
      assert.doesNotMatch(svc.log, /FORBIDDEN|forbidden/, 'no call of the service was refused');
      assert.match(svc.log, /leading: running the CSR approver/);
    });
  });
});
