/**
 * kubeadm.k8s.io/v1beta2 (Kubernetes 1.15–1.25; cmd/kubeadm/app/apis/kubeadm/v1beta2/types.go): extra
 * arguments are maps, the join discovery timeout is `discovery.timeout`, the control-plane wait is the
 * ClusterConfiguration's `apiServer.timeoutForControlPlane`; it alone has `dns.type` and
 * `useHyperKubeImage`, and it has no skipPhases, patches or imagePullPolicy.
 */
import {
  apiEndpointSpec,
  bootstrapTokenSpec,
  certificateKeySpec,
  controlPlaneComponentSpec,
  discoverySpec,
  dnsSpec,
  etcdSpec,
  featureGatesSpec,
  fromMapVersion,
  joinControlPlaneSpec,
  networkingSpec,
  nodeRegistrationSpec,
  stringList,
  toMapVersion,
  type VersionConverter,
} from './common.js';
import { bool, duration, list, object, str } from './schema.js';

const nodeRegistration = nodeRegistrationSpec({ argsAsList: false, imagePullPolicy: false, imagePullSerial: false });
const component = { argsAsList: false, extraEnvs: false };

export const v1beta2: VersionConverter = {
  version: 'v1beta2',
  schemas: {
    InitConfiguration: object({
      bootstrapTokens: list(bootstrapTokenSpec),
      nodeRegistration,
      localAPIEndpoint: apiEndpointSpec,
      certificateKey: certificateKeySpec,
    }),
    ClusterConfiguration: object({
      etcd: etcdSpec(component),
      networking: networkingSpec,
      kubernetesVersion: str(),
      controlPlaneEndpoint: str(),
      apiServer: controlPlaneComponentSpec(component, { certSANs: stringList, timeoutForControlPlane: duration }),
      controllerManager: controlPlaneComponentSpec(component),
      scheduler: controlPlaneComponentSpec(component),
      dns: dnsSpec({ type: true, disabled: false }),
      certificatesDir: str(),
      imageRepository: str(),
      useHyperKubeImage: bool,
      featureGates: featureGatesSpec,
      clusterName: str(),
    }),
    JoinConfiguration: object({
      nodeRegistration,
      caCertPath: str(),
      discovery: discoverySpec({ timeout: true }),
      controlPlane: joinControlPlaneSpec,
    }, { required: ['discovery'] }),
  },
  toVersioned: (kind, superset) => toMapVersion('v1beta2', kind, superset),
  fromVersioned: fromMapVersion,
};
