/**
 * `joinery doctor`: checks, against the live cluster, what `kubeadm join` needs from it, and says how
 * to fix each missing piece. The checks: kube-public/cluster-info readable anonymously (token
 * discovery), the bootstrap RBAC of `kubeadm init phase bootstrap-token` and `upload-config`, the
 * bootstrapsigner signing a fresh probe token within 10 s, a bootstrap token being able to read
 * kubeadm-config and create CSRs, and the tokencleaner deleting an expired probe token within 10 s.
 * Probe tokens are always deleted again, also when a check fails; they expire in 2 minutes anyway.
 */
import { JoineryError } from '../errors/index.js';
import { deleteTokenSecret, getConfigMap, getTokenSecret, createTokenSecret, KubeClient, serverVersion, type ClusterCredentials, type ConfigMap } from '../cluster/index.js';
import { jwsKeyOfTokenId, parseClusterInfoKubeconfig, verifyDetachedJws } from '../discovery/index.js';
import { bootstrapToken, tokenSecret, tokenString, type BootstrapToken } from '../token/index.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import { formatOutput, type OutputFormat } from './output.js';
import type { Io } from './report.js';

export interface DoctorOptions extends ClusterOptions {
  output: OutputFormat;
  /** How long to wait for the bootstrapsigner and the tokencleaner (ms); 10 s. */
  waitMs?: number;
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The group kubeadm's default bootstrap tokens authenticate as (kubeadm constants.NodeBootstrapTokenAuthGroup). */
const BOOTSTRAPPERS = 'system:bootstrappers:kubeadm:default-node-token';
const PROBE_LABEL = 'joinery.dev/doctor-probe';
/** ConfigMaps are limited to 1 MiB (etcd's request limit); each signing token adds a signature to cluster-info. */
const CONFIGMAP_LIMIT = 1024 * 1024;

interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  namespace?: string;
  roleKind: 'ClusterRole' | 'Role';
  role: string;
  subjects: { kind: 'Group' | 'User'; name: string }[];
  what: string;
  fix: string;
}

const BOOTSTRAP_TOKEN_PHASE = 'on a control-plane node run `kubeadm init phase bootstrap-token` (it creates the bootstrap RBAC and cluster-info)';

/**
 * The RBAC bindings joins rely on, as kubeadm v1.20+ creates them: bootstrap-token phase
 * (phases/bootstraptoken/node/tlsbootstrap.go, clusterinfo.go, AllowBootstrapTokensToGetNodes) and
 * upload-config phase (uploadconfig.go: kubeadm:nodes-kubeadm-config; kubelet: kubeadm:kubelet-config).
 */
function expectedBindings(kubeletConfigName: string): Binding[] {
  return [
    {
      kind: 'ClusterRoleBinding',
      name: 'kubeadm:kubelet-bootstrap',
      roleKind: 'ClusterRole',
      role: 'system:node-bootstrapper',
      subjects: [{ kind: 'Group', name: BOOTSTRAPPERS }],
      what: 'bootstrap tokens may create CSRs (TLS bootstrap)',
      fix: BOOTSTRAP_TOKEN_PHASE,
    },
    {
      kind: 'ClusterRoleBinding',
      name: 'kubeadm:node-autoapprove-bootstrap',
      roleKind: 'ClusterRole',
      role: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
      subjects: [{ kind: 'Group', name: BOOTSTRAPPERS }],
      what: "the csrapprover approves bootstrap tokens' node client CSRs",
      fix: BOOTSTRAP_TOKEN_PHASE,
    },
    {
      kind: 'ClusterRoleBinding',
      name: 'kubeadm:node-autoapprove-certificate-rotation',
      roleKind: 'ClusterRole',
      role: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
      subjects: [{ kind: 'Group', name: 'system:nodes' }],
      what: 'the csrapprover approves renewals of node client certificates',
      fix: BOOTSTRAP_TOKEN_PHASE,
    },
    {
      kind: 'ClusterRoleBinding',
      name: 'kubeadm:get-nodes',
      roleKind: 'ClusterRole',
      role: 'kubeadm:get-nodes',
      subjects: [{ kind: 'Group', name: BOOTSTRAPPERS }],
      what: 'kubeadm join may check whether a Node of its name exists',
      fix: BOOTSTRAP_TOKEN_PHASE,
    },
    {
      kind: 'RoleBinding',
      name: 'kubeadm:bootstrap-signer-clusterinfo',
      namespace: 'kube-public',
      roleKind: 'Role',
      role: 'kubeadm:bootstrap-signer-clusterinfo',
      subjects: [{ kind: 'User', name: 'system:anonymous' }],
      what: 'anonymous clients may read cluster-info (token discovery)',
      fix: BOOTSTRAP_TOKEN_PHASE,
    },
    {
      kind: 'RoleBinding',
      name: 'kubeadm:nodes-kubeadm-config',
      namespace: 'kube-system',
      roleKind: 'Role',
      role: 'kubeadm:nodes-kubeadm-config',
      subjects: [
        { kind: 'Group', name: BOOTSTRAPPERS },
        { kind: 'Group', name: 'system:nodes' },
      ],
      what: 'joining nodes may read kubeadm-config',
      fix: 'on a control-plane node run `kubeadm init phase upload-config kubeadm`',
    },
    {
      kind: 'RoleBinding',
      name: kubeletConfigName,
      namespace: 'kube-system',
      roleKind: 'Role',
      role: kubeletConfigName,
      subjects: [
        { kind: 'Group', name: BOOTSTRAPPERS },
        { kind: 'Group', name: 'system:nodes' },
      ],
      what: 'joining nodes may read the kubelet configuration',
      fix: 'on a control-plane node run `kubeadm init phase upload-config kubelet`',
    },
  ];
}

interface RbacObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string }[];
}

function bindingPath(b: { kind: string; name: string; namespace?: string }): string {
  const plural = b.kind === 'ClusterRoleBinding' ? 'clusterrolebindings' : b.kind === 'RoleBinding' ? 'rolebindings' : b.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
  const ns = b.namespace === undefined ? '' : `/namespaces/${b.namespace}`;
  return `/apis/rbac.authorization.k8s.io/v1${ns}/${plural}/${encodeURIComponent(b.name)}`;
}

async function getRbac(client: KubeClient, b: { kind: string; name: string; namespace?: string }): Promise<RbacObject | undefined> {
  const resource = `${b.kind.toLowerCase()}s.rbac.authorization.k8s.io`;
  return client.request<RbacObject>(bindingPath(b), {
    allowNotFound: true,
    action: { verb: 'get', resource, name: b.name, ...(b.namespace === undefined ? {} : { namespace: b.namespace }) },
  });
}

async function checkBinding(client: KubeClient, b: Binding): Promise<DoctorCheck> {
  const where = b.namespace === undefined ? `ClusterRoleBinding ${b.name}` : `RoleBinding ${b.namespace}/${b.name}`;
  const name = `rbac: ${where}`;
  const bad = (detail: string): DoctorCheck => ({ name, ok: false, detail: `${detail}; without it, not: ${b.what}`, fix: b.fix });
  const found = await getRbac(client, b);
  if (found === undefined) return bad(`${where} does not exist`);
  if (found.roleRef?.kind !== b.roleKind || found.roleRef.name !== b.role) {
    return bad(`${where} refers to ${found.roleRef?.kind ?? '?'} ${found.roleRef?.name ?? '?'} instead of ${b.roleKind} ${b.role}`);
  }
  const missing = b.subjects.filter((s) => !(found.subjects ?? []).some((f) => f.kind === s.kind && f.name === s.name));
  if (missing.length > 0) return bad(`${where} does not bind ${missing.map((s) => `${s.kind} ${s.name}`).join(', ')}`);
  const role = await getRbac(client, { kind: b.roleKind, name: b.role, ...(b.roleKind === 'Role' && b.namespace !== undefined ? { namespace: b.namespace } : {}) });
  if (role === undefined) return bad(`${where} refers to ${b.roleKind} ${b.role}, which does not exist`);
  return { name, ok: true, detail: `${b.what} (${b.roleKind} ${b.role} → ${b.subjects.map((s) => s.name).join(', ')})` };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A client with the admin connection's server and CA but other (or no) credentials. */
function clientAs(base: ClusterCredentials, source: string, bearerToken?: string): KubeClient {
  const creds: ClusterCredentials = { server: base.server, source, user: source };
  if (base.ca !== undefined) creds.ca = base.ca;
  if (base.tlsServerName !== undefined) creds.tlsServerName = base.tlsServerName;
  if (base.insecureSkipTlsVerify === true) creds.insecureSkipTlsVerify = true;
  if (bearerToken !== undefined) creds.bearerToken = bearerToken;
  return new KubeClient(creds, { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 });
}

async function checkClusterInfoAnonymous(admin: KubeClient): Promise<DoctorCheck> {
  const name = 'cluster-info readable anonymously';
  const anonymous = clientAs(admin.credentials, 'no credentials (anonymous)');
  try {
    const cm = await getConfigMap(anonymous, 'kube-public', 'cluster-info');
    if (cm === undefined) {
      return { name, ok: false, detail: 'kube-public/cluster-info does not exist', fix: BOOTSTRAP_TOKEN_PHASE };
    }
    const kubeconfig = cm.data?.['kubeconfig'];
    if (kubeconfig === undefined) return { name, ok: false, detail: 'kube-public/cluster-info has no kubeconfig key', fix: BOOTSTRAP_TOKEN_PHASE };
    const info = parseClusterInfoKubeconfig(kubeconfig, 'kube-public/cluster-info');
    const signatures = Object.keys(cm.data ?? {}).filter((k) => k.startsWith('jws-kubeconfig-')).length;
    const size = Object.entries(cm.data ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
    const full = size > 0.8 * CONFIGMAP_LIMIT;
    return {
      name,
      ok: !full,
      detail: `kube-public/cluster-info is readable without credentials (server ${info.server}, ${signatures} token signature(s), ${(size / 1024).toFixed(1)} KiB of the 1 MiB ConfigMap limit)`,
      ...(full ? { fix: 'delete unused tokens with the signing usage (`joinery token list`, `joinery token delete`) and prefer file discovery (`joinery join-config --discovery file`)' } : {}),
    };
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    if (err.code === 'FORBIDDEN') {
      return { name, ok: false, detail: 'an anonymous GET of kube-public/cluster-info is forbidden (403): token discovery cannot work', fix: `${BOOTSTRAP_TOKEN_PHASE}; it binds Role kubeadm:bootstrap-signer-clusterinfo to system:anonymous` };
    }
    if (err.code === 'UNAUTHORIZED') {
      return { name, ok: false, detail: 'the API server refuses anonymous requests (401): token discovery cannot work', fix: 'run kube-apiserver with --anonymous-auth=true (RBAC still limits anonymous requests), or use file discovery only' };
    }
    if (err.code === 'CLUSTER_INFO_INVALID') return { name, ok: false, detail: err.message, fix: err.fix };
    throw err;
  } finally {
    anonymous.close();
  }
}

/** A probe token Secret; `expired` makes one whose expiration lies in the past (for the tokencleaner). */
async function createProbe(admin: KubeClient, expired: boolean): Promise<BootstrapToken> {
  const token = bootstrapToken({ ttl: '2m', description: `joinery doctor probe${expired ? ' (expired)' : ''}`, usages: expired ? ['authentication'] : ['signing', 'authentication'] });
  const secret = tokenSecret(token, new Date(), { labels: { [PROBE_LABEL]: 'true' } });
  if (expired) {
    const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    secret.data['expiration'] = Buffer.from(past, 'utf8').toString('base64');
  }
  await createTokenSecret(admin, secret);
  return token;
}

async function checkSigner(admin: KubeClient, probe: BootstrapToken, waitMs: number, io: Io): Promise<DoctorCheck> {
  const name = 'bootstrapsigner signs new tokens';
  const key = jwsKeyOfTokenId(probe.token.id);
  const started = Date.now();
  io.stderr(`[doctor] waiting up to ${waitMs / 1000}s for the bootstrapsigner to sign cluster-info for probe token ${probe.token.id}\n`);
  let cm: ConfigMap | undefined;
  for (;;) {
    cm = await getConfigMap(admin, 'kube-public', 'cluster-info');
    const jws = cm?.data?.[key];
    if (jws !== undefined) {
      const took = Date.now() - started;
      if (!verifyDetachedJws(jws, cm?.data?.['kubeconfig'] ?? '', probe.token.id, probe.token.secret)) {
        return { name, ok: false, detail: `cluster-info got ${key} after ${took} ms, but the signature does not verify`, fix: 'check that nothing but kube-controller-manager writes cluster-info; re-run `kubeadm init phase bootstrap-token`' };
      }
      return { name, ok: true, detail: `cluster-info got a valid signature for a probe token after ${took} ms` };
    }
    if (Date.now() - started >= waitMs) break;
    await sleep(200);
  }
  return {
    name,
    ok: false,
    detail: `cluster-info got no signature (${key}) for a probe token with the signing usage within ${waitMs / 1000}s: token discovery cannot work`,
    fix: 'run kube-controller-manager with the bootstrapsigner controller (--controllers=*,bootstrapsigner,tokencleaner, as kubeadm sets it) and check its logs',
  };
}

async function checkAsBootstrapToken(admin: KubeClient, probe: BootstrapToken): Promise<DoctorCheck[]> {
  const asToken = clientAs(admin.credentials, `bootstrap token ${probe.token.id}`, tokenString(probe.token));
  const checks: DoctorCheck[] = [];
  try {
    const name = 'kubeadm-config readable with a bootstrap token';
    try {
      const cm = await getConfigMap(asToken, 'kube-system', 'kubeadm-config');
      checks.push(
        cm?.data?.['ClusterConfiguration'] === undefined
          ? { name, ok: false, detail: 'kube-system/kubeadm-config does not exist or has no ClusterConfiguration', fix: 'on a control-plane node run `kubeadm init phase upload-config kubeadm`' }
          : { name, ok: true, detail: `a probe bootstrap token (group ${BOOTSTRAPPERS}) can read kube-system/kubeadm-config` },
      );
    } catch (err) {
      if (!(err instanceof JoineryError)) throw err;
      if (err.code === 'UNAUTHORIZED') {
        checks.push({ name, ok: false, detail: 'the API server does not accept bootstrap tokens (401)', fix: 'run kube-apiserver with --enable-bootstrap-token-auth=true (kubeadm sets it)' });
        return checks;
      }
      if (err.code !== 'FORBIDDEN') throw err;
      checks.push({ name, ok: false, detail: 'a bootstrap token may not get kube-system/kubeadm-config (403)', fix: 'on a control-plane node run `kubeadm init phase upload-config kubeadm` (it creates Role and RoleBinding kubeadm:nodes-kubeadm-config)' });
    }
    const review = await asToken.request<{ status?: { allowed?: boolean; reason?: string } }>('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      method: 'POST',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create' } },
      },
      action: { verb: 'create', resource: 'selfsubjectaccessreviews.authorization.k8s.io' },
    });
    const allowed = review?.status?.allowed === true;
    checks.push({
      name: 'bootstrap tokens may create CSRs',
      ok: allowed,
      detail: allowed ? 'a probe bootstrap token may create certificatesigningrequests (SelfSubjectAccessReview)' : 'a bootstrap token may not create certificatesigningrequests: TLS bootstrap cannot work',
      ...(allowed ? {} : { fix: BOOTSTRAP_TOKEN_PHASE }),
    });
    return checks;
  } finally {
    asToken.close();
  }
}

async function checkCleaner(admin: KubeClient, waitMs: number, io: Io, cleanup: Set<string>): Promise<DoctorCheck> {
  const name = 'tokencleaner deletes expired tokens';
  const probe = await createProbe(admin, true);
  cleanup.add(probe.token.id);
  const started = Date.now();
  io.stderr(`[doctor] waiting up to ${waitMs / 1000}s for the tokencleaner to delete expired probe token ${probe.token.id}\n`);
  for (;;) {
    if ((await getTokenSecret(admin, probe.token.id)) === undefined) {
      cleanup.delete(probe.token.id);
      return { name, ok: true, detail: `an expired probe token was deleted after ${Date.now() - started} ms` };
    }
    if (Date.now() - started >= waitMs) break;
    await sleep(200);
  }
  return {
    name,
    ok: false,
    detail: `an expired probe token was still there after ${waitMs / 1000}s (the tokencleaner deletes expired tokens within a second of noticing them): expired tokens stay usable Secrets until someone deletes them`,
    fix: 'run kube-controller-manager with the tokencleaner controller (--controllers=*,bootstrapsigner,tokencleaner, as kubeadm sets it) and check its logs',
  };
}

/** kubeadm's name of the kubelet-config Role: kubeadm:kubelet-config-1.X before v1.24, kubeadm:kubelet-config since. */
export function kubeletConfigRoleName(gitVersion: string): string {
  const m = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  if (m === null) return 'kubeadm:kubelet-config';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major === 1 && minor < 24 ? `kubeadm:kubelet-config-${major}.${minor}` : 'kubeadm:kubelet-config';
}

/** Whether `joinery setup` has bound joinery's node group (what `joinery serve`'s tokens need to join). */
async function checkJoinerySetup(admin: KubeClient): Promise<DoctorCheck> {
  const name = "joinery setup: joinery's node group may join";
  const { setupNodeGroup, JOINERY_NODE_GROUP } = await import('../provisioner/setup/index.js');
  try {
    const items = await setupNodeGroup(admin, false);
    const missing = items.filter((i) => i.state !== 'present');
    if (missing.length === 0) return { name, ok: true, detail: `${JOINERY_NODE_GROUP} has the ${items.length} bindings kubeadm's token group has (auto-approval excepted)` };
    return {
      name,
      ok: false,
      detail: `${missing.length} of ${items.length} bindings for ${JOINERY_NODE_GROUP} are missing or differ: ${missing.map((i) => `${i.kind} ${i.namespace === undefined ? '' : i.namespace + '/'}${i.name}`).join(', ')}`,
      fix: 'run `joinery setup` (idempotent); joinery serve\'s tokens cannot join without it',
    };
  } catch (err) {
    if (err instanceof JoineryError) return { name, ok: false, detail: err.message, fix: err.fix };
    throw err;
  }
}

/** Runs every check; returns 0 when all pass, 1 otherwise. */
export async function doctor(options: DoctorOptions, io: Io): Promise<number> {
  const waitMs = options.waitMs ?? 10_000;
  const admin = clusterClient(options, io);
  const checks: DoctorCheck[] = [];
  const cleanup = new Set<string>();
  try {
    const version = await serverVersion(admin);
    checks.push(await checkClusterInfoAnonymous(admin));
    for (const b of expectedBindings(kubeletConfigRoleName(version))) checks.push(await checkBinding(admin, b));
    checks.push(await checkJoinerySetup(admin));
    const probe = await createProbe(admin, false);
    cleanup.add(probe.token.id);
    checks.push(await checkSigner(admin, probe, waitMs, io));
    checks.push(...(await checkAsBootstrapToken(admin, probe)));
    if (await deleteTokenSecret(admin, probe.token.id)) cleanup.delete(probe.token.id);
    checks.push(await checkCleaner(admin, waitMs, io, cleanup));
  } finally {
    for (const id of cleanup) {
      try {
        await deleteTokenSecret(admin, id);
      } catch (err) {
        io.stderr(`warning: could not delete probe token ${id} (it expires within 2 minutes): ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
    admin.close();
  }
  const failed = checks.filter((c) => !c.ok).length;
  const result = { ok: failed === 0, server: admin.credentials.server, checks };
  io.stdout(
    await formatOutput(options.output, result, () =>
      [
        ...checks.flatMap((c) => [`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`, ...(c.fix === undefined || c.ok ? [] : [`    fix: ${c.fix}`])]),
        `${checks.length - failed} of ${checks.length} checks passed`,
        '',
      ].join('\n'),
    ),
  );
  return failed === 0 ? 0 : 1;
}
