/**
 * kubeadm.k8s.io/v1beta4 (Kubernetes 1.31+; cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go): extra
 * arguments are `{name, value}` lists (a name may repeat), all timeouts live in `timeouts` (no
 * `discovery.timeout`, no `apiServer.timeoutForControlPlane`), and it adds dryRun, imagePullSerial,
 * extraEnvs, dns.disabled, proxy.disabled, encryptionAlgorithm and the certificate validity periods.
 * The superset uses v1beta4's names, so the conversion is nearly the identity: both directions take
 * ownership of the document they are given and return it, changed in place (see VersionConverter).
 */
import { dropCoreDnsType, versionSchemas, type VersionConverter } from './common.js';

export const v1beta4: VersionConverter = {
  version: 'v1beta4',
  schemas: versionSchemas('v1beta4'),
  toVersioned: (kind, superset) => {
    dropCoreDnsType(kind, superset);
    return superset;
  },
  fromVersioned: (_kind, doc) => doc,
};
