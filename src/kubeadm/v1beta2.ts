/**
 * kubeadm.k8s.io/v1beta2 (Kubernetes 1.15–1.25; cmd/kubeadm/app/apis/kubeadm/v1beta2/types.go): extra
 * arguments are maps, the join discovery timeout is `discovery.timeout`, the control-plane wait is the
 * ClusterConfiguration's `apiServer.timeoutForControlPlane`; it alone has `dns.type` and
 * `useHyperKubeImage`, and it has no skipPhases, patches or imagePullPolicy.
 */
import { fromMapVersion, toMapVersion, versionSchemas, type VersionConverter } from './common.js';

export const v1beta2: VersionConverter = {
  version: 'v1beta2',
  schemas: versionSchemas('v1beta2'),
  toVersioned: (kind, superset) => toMapVersion('v1beta2', kind, superset),
  fromVersioned: fromMapVersion,
};
