/**
 * `joinery setup`: gives joinery's node group (`system:bootstrappers:joinery:nodes`) what a kubeadm join
 * needs to read, by copying each binding kubeadm made for its default token group — except the one to
 * the auto-approval role, since joinery approves its nodes' CSRs itself (node-name binding). Copying
 * kubeadm's own bindings keeps the set right for each Kubernetes version (the kubelet-config Role is
 * `kubeadm:kubelet-config-1.20` in 1.20 and `kubeadm:kubelet-config` later).
 */
import { JoineryError } from '../../errors/index.js';
import { KUBE_SYSTEM, type KubeClient } from '../../cluster/index.js';

import { JOINERY_NODE_GROUP } from '../approval/index.js';

export { JOINERY_NODE_GROUP };
/** kubeadm's group for `kubeadm token create` tokens. */
export const KUBEADM_NODE_GROUP = 'system:bootstrappers:kubeadm:default-node-token';
/** The ClusterRole whose binding lets kube-controller-manager auto-approve a node client CSR. */
export const AUTO_APPROVE_ROLE = 'system:certificates.k8s.io:certificatesigningrequests:nodeclient';
const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'joinery' };

interface Subject {
  kind: string;
  name: string;
  apiGroup?: string;
  namespace?: string;
}

export interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; resourceVersion?: string };
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: Subject[];
}

/** The bindings joinery's group needs: one per kubeadm binding of its default group, auto-approval excepted. Pure. */
export function joineryBindings(existing: readonly Binding[]): Binding[] {
  return existing
    .filter((b) => b.roleRef.name !== AUTO_APPROVE_ROLE && (b.subjects ?? []).some((s) => s.kind === 'Group' && s.name === KUBEADM_NODE_GROUP))
    .map((b) => ({
      kind: b.kind,
      metadata: { name: `joinery:${b.metadata.name.replace(/^kubeadm:/, '')}`, ...(b.metadata.namespace === undefined ? {} : { namespace: b.metadata.namespace }), labels: { ...MANAGED_BY } },
      roleRef: b.roleRef,
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: JOINERY_NODE_GROUP }],
    }))
    .sort((a, b) => `${a.kind}/${a.metadata.name}`.localeCompare(`${b.kind}/${b.metadata.name}`));
}

/** What a setup check or run found for one binding. */
export interface SetupItem {
  kind: Binding['kind'];
  name: string;
  namespace?: string;
  role: string;
  state: 'present' | 'created' | 'updated' | 'missing' | 'differs';
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

function collection(b: { kind: Binding['kind']; metadata: { namespace?: string } }): string {
  return b.kind === 'ClusterRoleBinding' ? `${RBAC}/clusterrolebindings` : `${RBAC}/namespaces/${b.metadata.namespace ?? KUBE_SYSTEM}/rolebindings`;
}

function resource(b: { kind: Binding['kind'] }): string {
  return b.kind === 'ClusterRoleBinding' ? 'clusterrolebindings.rbac.authorization.k8s.io' : 'rolebindings.rbac.authorization.k8s.io';
}

/** kubeadm's bindings: every ClusterRoleBinding, and the RoleBindings of kube-system and kube-public. */
async function kubeadmBindings(client: KubeClient): Promise<Binding[]> {
  const out: Binding[] = [];
  const crbs = await client.request<{ items?: Binding[] }>(`${RBAC}/clusterrolebindings`, { action: { verb: 'list', resource: 'clusterrolebindings.rbac.authorization.k8s.io' } });
  for (const b of crbs?.items ?? []) out.push({ ...b, kind: 'ClusterRoleBinding' });
  for (const namespace of [KUBE_SYSTEM, 'kube-public']) {
    const rbs = await client.request<{ items?: Binding[] }>(`${RBAC}/namespaces/${namespace}/rolebindings`, { action: { verb: 'list', resource: 'rolebindings.rbac.authorization.k8s.io', namespace } });
    for (const b of rbs?.items ?? []) out.push({ ...b, kind: 'RoleBinding', metadata: { ...b.metadata, namespace } });
  }
  return out;
}

function sameGrant(a: Binding, b: Binding): boolean {
  return JSON.stringify(a.roleRef) === JSON.stringify(b.roleRef) && JSON.stringify(a.subjects ?? []) === JSON.stringify(b.subjects ?? []);
}

/**
 * Compares (and with `apply`, makes) joinery's bindings. Idempotent: a second run reports every binding
 * `present`. Throws SETUP_NO_KUBEADM_BINDINGS when the cluster has no kubeadm bootstrap bindings to copy.
 */
export async function setupNodeGroup(client: KubeClient, apply: boolean): Promise<SetupItem[]> {
  const existing = await kubeadmBindings(client);
  const wanted = joineryBindings(existing);
  if (wanted.length === 0) {
    throw new JoineryError(
      'SETUP_NO_KUBEADM_BINDINGS',
      `the cluster has no RBAC bindings for kubeadm's token group ${KUBEADM_NODE_GROUP}, so there is nothing to mirror for ${JOINERY_NODE_GROUP}`,
      'run `kubeadm init phase bootstrap-token` on a control-plane node first (it makes the bootstrap RBAC), then joinery setup',
      { family: 'cluster' },
    );
  }
  const byKey = new Map(existing.map((b) => [`${b.kind}/${b.metadata.namespace ?? ''}/${b.metadata.name}`, b]));
  const items: SetupItem[] = [];
  for (const w of wanted) {
    const have = byKey.get(`${w.kind}/${w.metadata.namespace ?? ''}/${w.metadata.name}`);
    const item: SetupItem = { kind: w.kind, name: w.metadata.name, role: `${w.roleRef.kind}/${w.roleRef.name}`, state: 'present', ...(w.metadata.namespace === undefined ? {} : { namespace: w.metadata.namespace }) };
    if (have !== undefined && sameGrant(have, w)) {
      items.push(item);
      continue;
    }
    if (!apply) {
      items.push({ ...item, state: have === undefined ? 'missing' : 'differs' });
      continue;
    }
    const body = { apiVersion: 'rbac.authorization.k8s.io/v1', ...w };
    if (have === undefined) {
      await client.request(collection(w), { method: 'POST', body, action: { verb: 'create', resource: resource(w), ...(w.metadata.namespace === undefined ? {} : { namespace: w.metadata.namespace }) } });
      items.push({ ...item, state: 'created' });
    } else if (have.roleRef.name !== w.roleRef.name || have.roleRef.kind !== w.roleRef.kind) {
      // roleRef is immutable: replace the binding.
      await client.request(`${collection(w)}/${w.metadata.name}`, { method: 'DELETE', allowNotFound: true, action: { verb: 'delete', resource: resource(w), name: w.metadata.name } });
      await client.request(collection(w), { method: 'POST', body, action: { verb: 'create', resource: resource(w) } });
      items.push({ ...item, state: 'updated' });
    } else {
      await client.request(`${collection(w)}/${w.metadata.name}`, { method: 'PUT', body: { ...body, metadata: { ...w.metadata, resourceVersion: have.metadata.resourceVersion } }, action: { verb: 'update', resource: resource(w), name: w.metadata.name } });
      items.push({ ...item, state: 'updated' });
    }
  }
  return items;
}
