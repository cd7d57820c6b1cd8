/**
 * kubeadm.k8s.io/v1beta3 (Kubernetes 1.22+; cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go): v1beta2
 * without `dns.type` and `useHyperKubeImage`, plus skipPhases, patches and imagePullPolicy. Extra
 * arguments are still maps, and the timeouts still live in `discovery.timeout` and
 * `apiServer.timeoutForControlPlane`.
 */
import {
  apiEndpointSpec,
  bootstrapTokenSpec,
  certificateKeySpec,
  controlPlaneComponentSpec,
  discoverySpec,
  dnsSpec,
  dropCoreDnsType,
  etcdSpec,
  featureGatesSpec,
  fromMapVersion,
  joinControlPlaneSpec,
  networkingSpec,
  nodeRegistrationSpec,
  patchesSpec,
  stringList,
  toMapVersion,
  type VersionConverter,
} from './common.js';
import { duration, list, object, str } from './schema.js';

const nodeRegistration = nodeRegistrationSpec({ argsAsList: false, imagePullPolicy: true, imagePullSerial: false });
const component = { argsAsList: false, extraEnvs: false };

export const v1beta3: VersionConverter = {
  version: 'v1beta3',
  schemas: {
    InitConfiguration: object({
      bootstrapTokens: list(bootstrapTokenSpec),
      nodeRegistration,
      localAPIEndpoint: apiEndpointSpec,
      certificateKey: certificateKeySpec,
      skipPhases: stringList,
      patches: patchesSpec,
    }),
    ClusterConfiguration: object({
      etcd: etcdSpec(component),
      networking: networkingSpec,
      kubernetesVersion: str(),
      controlPlaneEndpoint: str(),
      apiServer: controlPlaneComponentSpec(component, { certSANs: stringList, timeoutForControlPlane: duration }),
      controllerManager: controlPlaneComponentSpec(component),
      scheduler: controlPlaneComponentSpec(component),
      dns: dnsSpec({ type: false, disabled: false }),
      certificatesDir: str(),
      imageRepository: str(),
      featureGates: featureGatesSpec,
      clusterName: str(),
    }),
    JoinConfiguration: object({
      nodeRegistration,
      caCertPath: str(),
      discovery: discoverySpec({ timeout: true }),
      controlPlane: joinControlPlaneSpec,
      skipPhases: stringList,
      patches: patchesSpec,
    }, { required: ['discovery'] }),
  },
  toVersioned: (kind, superset) => {
    const doc = toMapVersion('v1beta3', kind, superset);
    dropCoreDnsType(kind, doc);
    return doc;
  },
  fromVersioned: fromMapVersion,
};
