/**
 * kubeadm.k8s.io/v1beta3 (Kubernetes 1.22+; cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go): v1beta2
 * without `dns.type` and `useHyperKubeImage`, plus skipPhases, patches and imagePullPolicy. Extra
 * arguments are still maps, and the timeouts still live in `discovery.timeout` and
 * `apiServer.timeoutForControlPlane`.
 */
import { dropCoreDnsType, fromMapVersion, toMapVersion, versionSchemas, type VersionConverter } from './common.js';

export const v1beta3: VersionConverter = {
  version: 'v1beta3',
  schemas: versionSchemas('v1beta3'),
  toVersioned: (kind, superset) => {
    const doc = toMapVersion('v1beta3', kind, superset);
    dropCoreDnsType(kind, doc);
    return doc;
  },
  fromVersioned: fromMapVersion,
};
