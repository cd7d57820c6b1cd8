/**
 * kubeadm.k8s.io/v1beta4 (Kubernetes 1.31+; cmd/kubeadm/app/apis/kubeadm/v1beta4/types.go): extra
 * arguments are `{name, value}` lists (a name may repeat), all timeouts live in `timeouts` (no
 * `discovery.timeout`, no `apiServer.timeoutForControlPlane`), and it adds dryRun, imagePullSerial,
 * extraEnvs, dns.disabled, proxy.disabled, encryptionAlgorithm and the certificate validity periods.
 * The superset uses v1beta4's names, so the conversion is nearly the identity.
 */
import {
  apiEndpointSpec,
  bootstrapTokenSpec,
  certificateKeySpec,
  clone,
  controlPlaneComponentSpec,
  discoverySpec,
  dnsSpec,
  dropCoreDnsType,
  encryptionAlgorithmSpec,
  etcdSpec,
  featureGatesSpec,
  joinControlPlaneSpec,
  networkingSpec,
  nodeRegistrationSpec,
  patchesSpec,
  stringList,
  timeoutsSpec,
  type VersionConverter,
} from './common.js';
import { bool, duration, list, object, str } from './schema.js';

const nodeRegistration = nodeRegistrationSpec({ argsAsList: true, imagePullPolicy: true, imagePullSerial: true });
const component = { argsAsList: true, extraEnvs: true };

export const v1beta4: VersionConverter = {
  version: 'v1beta4',
  schemas: {
    InitConfiguration: object({
      bootstrapTokens: list(bootstrapTokenSpec),
      dryRun: bool,
      nodeRegistration,
      localAPIEndpoint: apiEndpointSpec,
      certificateKey: certificateKeySpec,
      skipPhases: stringList,
      patches: patchesSpec,
      timeouts: timeoutsSpec,
    }),
    ClusterConfiguration: object({
      etcd: etcdSpec(component),
      networking: networkingSpec,
      kubernetesVersion: str(),
      controlPlaneEndpoint: str(),
      apiServer: controlPlaneComponentSpec(component, { certSANs: stringList }),
      controllerManager: controlPlaneComponentSpec(component),
      scheduler: controlPlaneComponentSpec(component),
      dns: dnsSpec({ type: false, disabled: true }),
      proxy: object({ disabled: bool }),
      certificatesDir: str(),
      imageRepository: str(),
      featureGates: featureGatesSpec,
      clusterName: str(),
      encryptionAlgorithm: encryptionAlgorithmSpec,
      certificateValidityPeriod: duration,
      caCertificateValidityPeriod: duration,
    }),
    JoinConfiguration: object({
      dryRun: bool,
      nodeRegistration,
      caCertPath: str(),
      discovery: discoverySpec({ timeout: false }),
      controlPlane: joinControlPlaneSpec,
      skipPhases: stringList,
      patches: patchesSpec,
      timeouts: timeoutsSpec,
    }, { required: ['discovery'] }),
  },
  toVersioned: (kind, superset) => {
    const doc = clone(superset);
    dropCoreDnsType(kind, doc);
    return doc;
  },
  fromVersioned: (_kind, doc) => clone(doc),
};

