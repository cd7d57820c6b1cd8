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
import { apiKey, ServeProcess, type ApiKeyPair } from '../support/serve.js';
import { buildImage, imageToolsMissing, quantityBytes, removeImage, runPodContainer, type PodTemplateSpec } from '../support/image.js';
import { opensslServerPki } from '../support/openssl.js';
import { freePort } from '../../src/testbed/index.js';
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

    /**
     * What the service does for one machine, acting as the service account: it leads its Lease (in the namespace
     * POD_NAMESPACE names, held as POD_NAME), mints, approves the kubelet's CSR and revokes the token once the
     * Node is there; nothing it asks is refused.
     */
    async function provisionsOneNode(svc: ServeProcess, key: ApiKeyPair, podName: string): Promise<void> {
      const name = `rbac-node-${randomBytes(3).toString('hex')}`;
      try {
        const deadline = Date.now() + 20_000;
        while (!/^joinery_leader 1$/m.test((await svc.request('GET', '/metrics')).text)) {
          if (Date.now() > deadline) throw new Error(`never led:\n${svc.log}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const lease = await admin.request<{ spec?: { holderIdentity?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${PROVISIONER_LEASE}`, { action: { verb: 'get', resource: 'leases', namespace, name: PROVISIONER_LEASE } });
        assert.ok(lease?.spec?.holderIdentity?.startsWith(`${podName}_`), lease?.spec?.holderIdentity);
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
        await admin.request(`/api/v1/nodes/${name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'nodes', name } });
      }
    }

    /** The Lease a test before left (held by another identity) would take its 15 s to expire. */
    async function freeLease(): Promise<void> {
      await admin.request(`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${PROVISIONER_LEASE}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: 'leases', namespace, name: PROVISIONER_LEASE } });
    }

    it('`joinery serve` runs with nothing more: as the service account it leads, mints, approves its kubelet, revokes the token, and is refused nothing', async () => {
      // What an admin does once per cluster: joinery's node group may send CSRs (joinery setup).
      const setup = joinery(tb, ['setup']);
      assert.equal(setup.status, 0, setup.stderr);
      await freeLease();
      const doc = parseYaml(readFileSync(tb.kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
      for (const u of doc.users) Object.assign(u.user, { as: identity.user, 'as-groups': identity.groups });
      const kubeconfig = join(work, 'serve-as-provisioner.conf');
      writeFileSync(kubeconfig, stringifyYaml(doc), { mode: 0o600 });
      const key = apiKey('ci');
      const config = join(work, 'joinery.yaml');
      writeFileSync(config, `listen: 127.0.0.1:0\ntls: {insecureLoopback: true}\nkubeconfig: ${kubeconfig}\napiKeys:\n  - {name: ci, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}\n`);
      // As in the Deployment: the lease namespace from POD_NAMESPACE.
      const svc = await ServeProcess.start(config, { POD_NAMESPACE: namespace, POD_NAME: 'joinery-test-0' });
      try {
        await provisionsOneNode(svc, key, 'joinery-test-0');
      } finally {
        await svc.stop();
      }
      assert.doesNotMatch(svc.log, /FORBIDDEN|forbidden/, 'no call of the service was refused');
      assert.match(svc.log, /leading: running the CSR approver/);
    });

    const imageMissing = imageToolsMissing();
    it(
      "the Dockerfile's image, run as the Deployment's pod (runc), serves TLS as uid 65532 with no capabilities on a read-only root, with the service account's own token",
      { skip: imageMissing !== undefined && process.env['JOINERY_REQUIRE_IMAGE'] !== '1' ? `cannot build and run the image here: ${imageMissing}` : false },
      async () => {
        assert.equal(imageMissing, undefined, `JOINERY_REQUIRE_IMAGE=1 and ${imageMissing}`);
        const built = buildImage(`localhost/joinery:it-${process.pid}`);
        try {
          console.log(`# image ${built.name}: ${(built.sizeBytes / 1e6).toFixed(0)} MB, built in ${built.buildSeconds.toFixed(1)} s (stand-in base image ${built.baseSeconds.toFixed(1)} s)`);
          assert.equal(built.config.User, '65532:65532');
          assert.deepEqual(built.config.Entrypoint, ['node', '/app/bin/joinery']);
          assert.deepEqual(Object.keys(built.config.ExposedPorts ?? {}), ['8443/tcp']);
          const deployment = objects.find((o) => o.kind === 'Deployment') as KubeManifest & { spec: { template: { spec: PodTemplateSpec } } };
          const template = deployment.spec.template.spec;
          // The service account's own token, as the kubelet gets it for the pod (TokenRequest), not impersonation.
          const tr = await admin.request<{ status?: { token?: string } }>(`/api/v1/namespaces/${namespace}/serviceaccounts/joinery/token`, {
            method: 'POST',
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
            action: { verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace, name: 'joinery' },
          });
          const saToken = tr?.status?.token ?? '';
          assert.ok(saToken.length > 100, 'TokenRequest gave no token');
          const pki = opensslServerPki({ sans: 'IP:127.0.0.1' });
          const key = apiKey('ci');
          const port = await freePort();
          // The config of docs/provisioner.md#deployment, on 127.0.0.1 (the container shares this machine's network).
          const joineryYaml = `listen: 127.0.0.1:${port}\ntls: {certFile: /etc/joinery/tls/tls.crt, keyFile: /etc/joinery/tls/tls.key}\napiKeys:\n  - {name: ci, sha256: ${key.sha256}, scope: admin}\nprofiles:\n  worker: {role: worker, format: script, tokenTTL: 15m, spec: {}}\n`;
          // joinery's node group may send CSRs (idempotent; the test before did it too).
          const setup = joinery(tb, ['setup']);
          assert.equal(setup.status, 0, setup.stderr);
          await freeLease();
          const server = new URL(admin.credentials.server);
          const podName = `joinery-5d8f9c7b6-${randomBytes(3).toString('hex').slice(0, 5)}`;
          const pod = await runPodContainer({
            image: built,
            template,
            podName,
            namespace,
            secrets: { 'joinery-config': { 'joinery.yaml': joineryYaml }, 'joinery-tls': { 'tls.crt': pki.certPem, 'tls.key': pki.keyPem } },
            serviceAccount: { token: saToken, caPem: admin.credentials.ca ?? '', host: server.hostname, port: server.port },
            servingCaPem: pki.caPem,
          });
          let exit: number | null = null;
          try {
            assert.equal(pod.service.url, `https://127.0.0.1:${port}`);
            // The process, seen from this machine: the Deployment's user and group, no capabilities, no new privileges.
            const status = readFileSync(`/proc/${pod.pid()}/status`, 'utf8');
            const field = (f: string): string => new RegExp(`^${f}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
            assert.deepEqual(field('Uid').split(/\s+/), ['65532', '65532', '65532', '65532']);
            assert.deepEqual(field('Gid').split(/\s+/), ['65532', '65532', '65532', '65532']);
            assert.equal(field('CapEff'), '0000000000000000');
            assert.equal(field('CapBnd'), '0000000000000000');
            assert.equal(field('NoNewPrivs'), '1');
            // Inside: the root is read-only, /tmp (the emptyDir) is writable, the config files are the fsGroup's, mode 0440.
            const write = (path: string) => pod.exec(['node', '-e', `try { require('fs').writeFileSync(${JSON.stringify(path)}, 'x'); console.log('written') } catch (e) { console.log(e.code) }`]).stdout.trim();
            assert.equal(write('/app/dist/x'), 'EROFS');
            assert.equal(write('/etc/joinery/x'), 'EROFS');
            assert.equal(write('/tmp/x'), 'written');
            assert.equal(pod.exec(['stat', '-c', '%a %u %g', '/etc/joinery/tls/tls.key']).stdout.trim(), '440 0 65532');
            // The image carries node and the app, not npm.
            assert.notEqual(pod.exec(['sh', '-c', 'command -v npm']).status, 0, 'npm is in the runtime image');
            // The memory limit is the cgroup's (v1 or v2).
            const limit = pod.exec(['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max']).stdout.trim();
            assert.equal(Number(limit), quantityBytes(template.containers[0]?.resources?.limits?.memory ?? ''));
            // The probes of the Deployment, over HTTPS.
            assert.equal((await pod.service.request('GET', '/healthz')).status, 200);
            await provisionsOneNode(pod.service, key, podName);
            const peak = pod.exec(['sh', '-c', 'cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.peak']).stdout.trim();
            console.log(`# the container's peak memory (cgroup): ${(Number(peak) / 2 ** 20).toFixed(0)} MiB of ${template.containers[0]?.resources?.limits?.memory}`);
          } finally {
            exit = await pod.stop();
          }
          assert.equal(exit, 0, `serve in the container ended with ${exit} on SIGTERM:\n${pod.service.log}`);
          assert.match(pod.service.log, /leading: running the CSR approver/);
          assert.doesNotMatch(pod.service.log, /FORBIDDEN|forbidden/, 'no call of the service was refused');
          assert.ok(!pod.service.log.includes(saToken) && !pod.service.log.includes(pki.keyPem.split('\n')[1] ?? '-'), 'a secret is in the log');
        } finally {
          removeImage(built.name);
        }
      },
    );
  });
});
