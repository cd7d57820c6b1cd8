/**
 * What the provisioner's service account must be allowed and what it must be refused (issue 6: "each
 * broader permission is refused"), as SubjectAccessReview resource attributes. The integration test asks
 * the API server (SelfSubjectAccessReview as the service account, what `kubectl auth can-i --as` does);
 * the unit test asks `rbacAllows`, a small model of RBAC's rule matching over the rendered objects.
 */
import { KUBELET_CLIENT_SIGNER_NAME, PROVISIONER_LEASE, PROVISIONER_SERVICE_ACCOUNT, type KubeManifest, type PolicyRule } from '../../src/provisioner/manifests/index.js';

/** SubjectAccessReview spec.resourceAttributes. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AccessCheck {
  /** `kubectl auth can-i` style: `create secrets -n kube-system`. */
  what: string;
  /** Why it must be allowed (what the service does with it) or refused (what it would open). */
  why: string;
  allowed: boolean;
  attributes: ResourceAttributes;
}

function check(allowed: boolean, why: string, attributes: ResourceAttributes): AccessCheck {
  const res = `${attributes.resource}${attributes.subresource === undefined ? '' : `/${attributes.subresource}`}${attributes.group === '' ? '' : `.${attributes.group}`}`;
  const what = `${attributes.verb} ${res}${attributes.name === undefined ? '' : `/${attributes.name}`}${attributes.namespace === undefined ? '' : ` -n ${attributes.namespace}`}`;
  return { what, why, allowed, attributes };
}

/** The checks for a provisioner installed in `namespace`. */
export function provisionerAccessChecks(namespace: string): AccessCheck[] {
  const core = (verb: string, resource: string, ns?: string, name?: string, subresource?: string): ResourceAttributes => ({
    verb,
    group: '',
    resource,
    ...(ns === undefined ? {} : { namespace: ns }),
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  });
  const certs = (verb: string, resource: string, name?: string, subresource?: string): ResourceAttributes => ({
    verb,
    group: 'certificates.k8s.io',
    resource,
    ...(name === undefined ? {} : { name }),
    ...(subresource === undefined ? {} : { subresource }),
  });
  const lease = (verb: string, ns: string, name?: string): ResourceAttributes => ({ verb, group: 'coordination.k8s.io', resource: 'leases', namespace: ns, ...(name === undefined ? {} : { name }) });
  const yes = (why: string, a: ResourceAttributes) => check(true, why, a);
  const no = (why: string, a: ResourceAttributes) => check(false, why, a);
  return [
    yes('mint a token Secret; mark a one-time fetch', core('create', 'secrets', 'kube-system')),
    yes('read a token minted a moment ago', core('get', 'secrets', 'kube-system', 'bootstrap-token-abcdef')),
    yes('the token informer lists', core('list', 'secrets', 'kube-system')),
    yes('the token informer watches', core('watch', 'secrets', 'kube-system')),
    yes('revoke and collect tokens', core('delete', 'secrets', 'kube-system', 'bootstrap-token-abcdef')),
    yes('kubeadm-config', core('get', 'configmaps', 'kube-system', 'kubeadm-config')),
    yes('cluster-info: CA and endpoint of the bootstrap data', core('get', 'configmaps', 'kube-public', 'cluster-info')),
    yes('the CSR informer lists', certs('list', 'certificatesigningrequests')),
    yes('the CSR informer watches', certs('watch', 'certificatesigningrequests')),
    yes('approve or deny a CSR', certs('update', 'certificatesigningrequests', 'csr-abcde', 'approval')),
    yes('approve kubelet client certificates', certs('approve', 'signers', KUBELET_CLIENT_SIGNER_NAME)),
    yes('the revoker reads Nodes', core('get', 'nodes', undefined, 'node-1')),
    yes('the Node informer lists', core('list', 'nodes')),
    yes('the Node informer watches', core('watch', 'nodes')),
    yes('leader election reads its Lease', lease('get', namespace, PROVISIONER_LEASE)),
    yes('leader election renews its Lease', lease('update', namespace, PROVISIONER_LEASE)),
    yes('leader election creates its Lease', lease('create', namespace)),

    no('Secrets of other namespaces', core('get', 'secrets', 'default', 'anything')),
    no('Secrets of kube-public', core('get', 'secrets', 'kube-public', 'anything')),
    no('Secrets of its own namespace', core('get', 'secrets', namespace, 'joinery-tls')),
    no('Secrets cluster-wide', core('list', 'secrets')),
    no('changing a Secret (a service account token, a certificate key)', core('update', 'secrets', 'kube-system', 'bootstrap-token-abcdef')),
    no('patching a Secret', core('patch', 'secrets', 'kube-system', 'bootstrap-token-abcdef')),
    no('deleting all Secrets at once', core('deletecollection', 'secrets', 'kube-system')),
    no('other ConfigMaps of kube-system', core('get', 'configmaps', 'kube-system', 'kube-proxy')),
    no('listing ConfigMaps', core('list', 'configmaps', 'kube-system')),
    no('changing cluster-info', core('update', 'configmaps', 'kube-public', 'cluster-info')),
    no('other ConfigMaps of kube-public', core('get', 'configmaps', 'kube-public', 'other')),
    no('creating CSRs', certs('create', 'certificatesigningrequests')),
    no('deleting CSRs', certs('delete', 'certificatesigningrequests', 'csr-abcde')),
    no('updating a CSR itself', certs('update', 'certificatesigningrequests', 'csr-abcde')),
    no('updating CSR status (issuing certificates)', certs('update', 'certificatesigningrequests', 'csr-abcde', 'status')),
    no('approving API client certificates', certs('approve', 'signers', 'kubernetes.io/kube-apiserver-client')),
    no('approving kubelet serving certificates', certs('approve', 'signers', 'kubernetes.io/kubelet-serving')),
    no('approving legacy certificates', certs('approve', 'signers', 'kubernetes.io/legacy-unknown')),
    no('approving every kubernetes.io signer', certs('approve', 'signers', 'kubernetes.io/*')),
    no('signing certificates', certs('sign', 'signers', KUBELET_CLIENT_SIGNER_NAME)),
    no('creating Nodes', core('create', 'nodes')),
    no('deleting Nodes', core('delete', 'nodes', undefined, 'node-1')),
    no('patching Nodes', core('patch', 'nodes', undefined, 'node-1')),
    no('Leases of kube-system (the control plane elects its leaders there)', lease('get', 'kube-system', PROVISIONER_LEASE)),
    no('Leases of kube-system, by creation', lease('create', 'kube-system')),
    no('Leases of default', lease('update', 'default', PROVISIONER_LEASE)),
    no('other Leases of its namespace', lease('update', namespace, 'other-lease')),
    no('deleting its Lease', lease('delete', namespace, PROVISIONER_LEASE)),
    no('listing Pods', core('list', 'pods', namespace)),
    no('service account tokens', core('create', 'serviceaccounts', namespace, PROVISIONER_SERVICE_ACCOUNT, 'token')),
    no('granting itself more (RBAC)', { verb: 'create', group: 'rbac.authorization.k8s.io', resource: 'rolebindings', namespace }),
    no('anything at all', { verb: '*', group: '*', resource: '*' }),
  ];
}

/** The SubjectAccessReview identity of the service account (user and groups, as its token authenticates). */
export function serviceAccountIdentity(namespace: string): { user: string; groups: string[] } {
  return { user: `system:serviceaccount:${namespace}:${PROVISIONER_SERVICE_ACCOUNT}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] };
}

function matches(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

function ruleAllows(rule: PolicyRule, a: ResourceAttributes): boolean {
  const resource = a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`;
  if (!matches(rule.verbs, a.verb) || !matches(rule.apiGroups, a.group) || !matches(rule.resources, resource)) return false;
  if (rule.resourceNames === undefined || rule.resourceNames.length === 0) return true;
  return a.name !== undefined && rule.resourceNames.includes(a.name);
}

/**
 * RBAC's decision over `objects` for the service account of `namespace` (the rule matching of
 * k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac: verbs, API groups, resources with subresource,
 * resourceNames; a Role only in its namespace). Only ServiceAccount subjects are modelled: that is all
 * the manifests bind.
 */
export function rbacAllows(objects: readonly KubeManifest[], namespace: string, a: ResourceAttributes): boolean {
  const roles = new Map<string, KubeManifest>();
  for (const o of objects) if (o.kind === 'Role' || o.kind === 'ClusterRole') roles.set(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  for (const b of objects) {
    if (b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') continue;
    const subjects = (b['subjects'] as { kind: string; name: string; namespace?: string }[] | undefined) ?? [];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === PROVISIONER_SERVICE_ACCOUNT && s.namespace === namespace)) continue;
    if (b.kind === 'RoleBinding' && b.metadata.namespace !== a.namespace) continue;
    const ref = b['roleRef'] as { kind: string; name: string };
    const role = roles.get(`${ref.kind}/${ref.kind === 'Role' ? (b.metadata.namespace ?? '') : ''}/${ref.name}`);
    if (role !== undefined && ((role['rules'] as PolicyRule[] | undefined) ?? []).some((r) => ruleAllows(r, a))) return true;
  }
  return false;
}
