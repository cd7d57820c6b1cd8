/**
 * The Kubernetes objects that run `joinery serve` in a cluster (`joinery manifests`): Namespace,
 * ServiceAccount, the least RBAC the provisioner works with, Deployment and Service. Pure: options in,
 * plain objects out, in the order `kubectl apply` needs them.
 *
 * The RBAC is what the service's API calls need (src/provisioner/service, src/cluster) and nothing more:
 * - kube-system Secrets create/get/list/watch/delete: bootstrap token Secrets (minted, read, watched by
 *   the informer, revoked) and the one-time-fetch marker Secrets (created). RBAC cannot restrict by
 *   label or type, and token Secret names are random, so these verbs cover every Secret of kube-system;
 *   `update` and `patch` are not granted, so no existing Secret can be changed.
 * - ConfigMaps `get` on exactly kube-public/cluster-info (CA and endpoint of the bootstrap data) and
 *   kube-system/kubeadm-config.
 * - CSRs list/watch, the `approval` subresource update, and `approve` on exactly the signer
 *   kubernetes.io/kube-apiserver-client-kubelet (the CSRApproving admission plugin checks it: joinery can
 *   approve kubelet client certificates and nothing else; denying needs no signer permission).
 * - Nodes get/list/watch (the revoker and the machine states).
 * - Leases of coordination.k8s.io in its own namespace: get/update on the lease `joinery-provisioner`
 *   only, and create (RBAC cannot restrict create by name) for leader election.
 */
import { JoineryError } from '../../errors/index.js';
import { DNS1123_LABEL } from '../../kubeadm/node-name.js';

/** The name of the ServiceAccount, Deployment, Service and RBAC objects. */
export const PROVISIONER_NAME = 'joinery';
export const PROVISIONER_SERVICE_ACCOUNT = 'joinery';
/** The coordination.k8s.io Lease of leader election, in the provisioner's namespace. */
export const PROVISIONER_LEASE = 'joinery-provisioner';
export const DEFAULT_NAMESPACE = 'joinery-system';
export const DEFAULT_REPLICAS = 2;
/** The image repository; the CLI adds its own version as the tag. */
export const IMAGE_REPOSITORY = 'ghcr.io/joinery/joinery';
/** The Secret holding `joinery.yaml` (key `joinery.yaml`). */
export const CONFIG_SECRET = 'joinery-config';
export const CONFIG_KEY = 'joinery.yaml';
/** The kubernetes.io/tls Secret of the serving certificate (keys tls.crt, tls.key). */
export const TLS_SECRET = 'joinery-tls';
export const CONFIG_DIR = '/etc/joinery';
export const CONFIG_PATH = `${CONFIG_DIR}/${CONFIG_KEY}`;
export const TLS_DIR = `${CONFIG_DIR}/tls`;
export const TLS_CERT_FILE = `${TLS_DIR}/tls.crt`;
export const TLS_KEY_FILE = `${TLS_DIR}/tls.key`;
export const CONTAINER_PORT = 8443;
export const SERVICE_PORT = 443;
/** The uid and gid the container runs as (the Dockerfile's user; distroless's `nonroot`). */
export const RUN_AS_ID = 65532;
/** Labels on every object. */
export const LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'joinery', 'app.kubernetes.io/managed-by': 'joinery' };
/** The Deployment's selector (immutable once applied, so only the name). */
export const SELECTOR: Readonly<Record<string, string>> = { 'app.kubernetes.io/name': 'joinery' };
/** The signer whose CSRs joinery approves. */
export const KUBELET_CLIENT_SIGNER_NAME = 'kubernetes.io/kube-apiserver-client-kubelet';
const KUBE_SYSTEM = 'kube-system';
const KUBE_PUBLIC = 'kube-public';
const RBAC_API = 'rbac.authorization.k8s.io/v1';

export interface ManifestOptions {
  namespace: string;
  image: string;
  replicas: number;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** Any Kubernetes object as a plain JSON value. */
export type KubeManifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown }; [k: string]: unknown };

/** The Role in kube-system: token and marker Secrets, kubeadm-config. */
export const KUBE_SYSTEM_RULES: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['kubeadm-config'] },
];
/** The Role in kube-public: cluster-info. */
export const KUBE_PUBLIC_RULES: readonly PolicyRule[] = [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['cluster-info'] }];
/** The ClusterRole: CSRs, their approval for the kubelet client signer only, Nodes. */
export const CLUSTER_RULES: readonly PolicyRule[] = [
  { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['list', 'watch'] },
  { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
  { apiGroups: ['certificates.k8s.io'], resources: ['signers'], verbs: ['approve'], resourceNames: [KUBELET_CLIENT_SIGNER_NAME] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
];
/** The Role in the provisioner's namespace: the leader-election Lease. */
export const LEASE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: [PROVISIONER_LEASE] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
];

/** Names of the RBAC objects (a Role and its RoleBinding share a name). */
export const RBAC_NAMES = {
  kubeSystem: 'joinery:provisioner',
  kubePublic: 'joinery:provisioner:cluster-info',
  cluster: 'joinery:provisioner',
  /** In the provisioner's own namespace. */
  leaderElection: 'joinery:leader-election',
} as const;

/** An image reference: no whitespace, no leading dash, at most 4096 characters (lenient on purpose: registries differ). */
const IMAGE_REF = /^[A-Za-z0-9][^\s]*$/;
const INT32_MAX = 2 ** 31 - 1;

function usage(code: string, flag: string, message: string, fix: string): JoineryError {
  return new JoineryError(code, message, fix, { family: 'usage', path: flag });
}

/** Checks `--namespace`: a DNS-1123 label (what Kubernetes accepts as a namespace name). */
export function checkNamespace(namespace: string): string {
  if (namespace.length > 63 || !DNS1123_LABEL.test(namespace)) {
    throw usage(
      'NAMESPACE_INVALID',
      '--namespace',
      `--namespace ${JSON.stringify(namespace.slice(0, 80))} is not a namespace name`,
      `give a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (default ${DEFAULT_NAMESPACE})`,
    );
  }
  return namespace;
}

/** Checks `--image`: a non-empty image reference without whitespace. */
export function checkImage(image: string): string {
  if (image.length > 4096 || !IMAGE_REF.test(image)) {
    throw usage('IMAGE_INVALID', '--image', `--image ${JSON.stringify(image.slice(0, 80))} is not an image reference`, `give an image such as ${IMAGE_REPOSITORY}:TAG or REGISTRY/REPOSITORY@sha256:DIGEST`);
  }
  return image;
}

/** Parses `--replicas`: a whole number from 1 (0 would run no provisioner) to 2^31-1 (the API's int32). */
export function parseReplicas(value: string | number): number {
  const text = String(value);
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > INT32_MAX) {
    throw usage('REPLICAS_INVALID', '--replicas', `--replicas ${JSON.stringify(text.slice(0, 40))} is not a number of replicas`, `give a whole number of at least 1 (default ${DEFAULT_REPLICAS}: one leader and one standby)`);
  }
  return n;
}

function meta(name: string, namespace?: string): KubeManifest['metadata'] {
  return { name, ...(namespace === undefined ? {} : { namespace }), labels: { ...LABELS } };
}

function rules(list: readonly PolicyRule[]): PolicyRule[] {
  return list.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    ...(r.resourceNames === undefined ? {} : { resourceNames: [...r.resourceNames] }),
  }));
}

function role(name: string, namespace: string, list: readonly PolicyRule[]): KubeManifest {
  return { apiVersion: RBAC_API, kind: 'Role', metadata: meta(name, namespace), rules: rules(list) };
}

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, namespace: string | undefined, serviceAccountNamespace: string): KubeManifest {
  return {
    apiVersion: RBAC_API,
    kind,
    metadata: meta(name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: PROVISIONER_SERVICE_ACCOUNT, namespace: serviceAccountNamespace }],
  };
}

/**
 * The provisioner's objects, in apply order: Namespace, ServiceAccount, Roles/RoleBindings (kube-system,
 * kube-public, its own namespace), ClusterRole/ClusterRoleBinding, Deployment, Service. The ClusterRole
 * and the kube-system/kube-public objects carry the namespace in their binding subjects, so two
 * installations in two namespaces need distinct names: every cluster-scoped or shared-namespace name
 * ends in `:<namespace>` unless the namespace is the default.
 */
export function provisionerManifests(options: ManifestOptions): KubeManifest[] {
  const namespace = checkNamespace(options.namespace);
  const image = checkImage(options.image);
  const replicas = parseReplicas(options.replicas);
  const suffix = namespace === DEFAULT_NAMESPACE ? '' : `:${namespace}`;
  const shared = (name: string): string => `${name}${suffix}`;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { ...LABELS, 'pod-security.kubernetes.io/enforce': 'restricted' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(PROVISIONER_SERVICE_ACCOUNT, namespace) },
    role(shared(RBAC_NAMES.kubeSystem), KUBE_SYSTEM, KUBE_SYSTEM_RULES),
    binding('RoleBinding', shared(RBAC_NAMES.kubeSystem), KUBE_SYSTEM, namespace),
    role(shared(RBAC_NAMES.kubePublic), KUBE_PUBLIC, KUBE_PUBLIC_RULES),
    binding('RoleBinding', shared(RBAC_NAMES.kubePublic), KUBE_PUBLIC, namespace),
    { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: meta(shared(RBAC_NAMES.cluster)), rules: rules(CLUSTER_RULES) },
    binding('ClusterRoleBinding', shared(RBAC_NAMES.cluster), undefined, namespace),
    role(RBAC_NAMES.leaderElection, namespace, LEASE_RULES),
    binding('RoleBinding', RBAC_NAMES.leaderElection, namespace, namespace),
    deployment(namespace, image, replicas),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(PROVISIONER_NAME, namespace),
      spec: { type: 'ClusterIP', selector: { ...SELECTOR }, ports: [{ name: 'https', port: SERVICE_PORT, targetPort: 'https', protocol: 'TCP' }] },
    },
  ];
}

function probe(path: string, periodSeconds: number, failureThreshold: number): Record<string, unknown> {
  return { httpGet: { path, port: 'https', scheme: 'HTTPS' }, periodSeconds, timeoutSeconds: 2, failureThreshold };
}

function deployment(namespace: string, image: string, replicas: number): KubeManifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(PROVISIONER_NAME, namespace),
    spec: {
      replicas,
      selector: { matchLabels: { ...SELECTOR } },
      // One new pod before an old one goes: the API keeps answering during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: { ...LABELS } },
        spec: {
          serviceAccountName: PROVISIONER_SERVICE_ACCOUNT,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUN_AS_ID,
            runAsGroup: RUN_AS_ID,
            fsGroup: RUN_AS_ID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { ...SELECTOR } }, topologyKey: 'kubernetes.io/hostname' } },
              ],
            },
          },
          containers: [
            {
              name: 'joinery',
              image,
              imagePullPolicy: 'IfNotPresent',
              args: ['serve', '--config', CONFIG_PATH],
              env: [
                // The leader-election identity and the Lease's namespace.
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              ],
              ports: [{ name: 'https', containerPort: CONTAINER_PORT, protocol: 'TCP' }],
              readinessProbe: probe('/readyz', 5, 3),
              livenessProbe: { ...probe('/healthz', 10, 3), initialDelaySeconds: 10 },
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            // One projected volume for both Secrets: joinery.yaml at /etc/joinery and the certificate under
            // /etc/joinery/tls, without a mount nested in a read-only mount, and still updated in place when
            // a Secret changes (SIGHUP re-reads the config), which a subPath mount would not be.
            {
              name: 'config',
              projected: {
                defaultMode: 0o440,
                sources: [
                  { secret: { name: CONFIG_SECRET, items: [{ key: CONFIG_KEY, path: CONFIG_KEY }] } },
                  { secret: { name: TLS_SECRET, items: [{ key: 'tls.crt', path: 'tls/tls.crt' }, { key: 'tls.key', path: 'tls/tls.key' }] } },
                ],
              },
            },
            { name: 'tmp', emptyDir: { sizeLimit: '16Mi' } },
          ],
        },
      },
    },
  };
}

/** The comment that starts the YAML output: the two Secrets to create first, and the config they need. */
export function manifestsPreamble(options: ManifestOptions): string {
  const ns = options.namespace;
  return [
    `# joinery provisioner: namespace ${ns}, image ${options.image}, ${options.replicas} replica(s).`,
    '#',
    '# Create the namespace and two Secrets first (the pods wait for them):',
    `#   kubectl create namespace ${ns}`,
    `#   kubectl -n ${ns} create secret generic ${CONFIG_SECRET} --from-file=${CONFIG_KEY}=./joinery.yaml`,
    `#   kubectl -n ${ns} create secret tls ${TLS_SECRET} --cert=serve.crt --key=serve.key`,
    '# then apply this file: joinery manifests | kubectl apply -f -',
    '#',
    '# joinery.yaml (format: docs/provisioner.md) must, for this Deployment:',
    `#   listen: 0.0.0.0:${CONTAINER_PORT}`,
    `#   tls: {certFile: ${TLS_CERT_FILE}, keyFile: ${TLS_KEY_FILE}}`,
    '#   publicUrl: https://<the address machines reach the Service at>',
    '#   (no kubeconfig: the pod uses its service account)',
    `# serve.crt must name that address (and ${PROVISIONER_NAME}.${ns}.svc for in-cluster clients).`,
    '',
  ].join('\n');
}

/** A `v1 List` of the objects (what `-o json` prints, as kubectl does for several objects). */
export function manifestList(items: readonly KubeManifest[]): { apiVersion: 'v1'; kind: 'List'; metadata: Record<string, never>; items: KubeManifest[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: {}, items: [...items] };
}
