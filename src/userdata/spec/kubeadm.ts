/**
 * The kubeadm sections of a KubeadmConfig spec (clusterConfiguration, initConfiguration,
 * joinConfiguration) as Cluster API's bootstrap/kubeadm/api/v1beta1 kubeadm_types.go has them, read
 * into src/kubeadm's neutral model. Their field names are kubeadm's; what differs from kubeadm's own
 * config API is handled here: extra arguments are maps (as kubeadm v1beta2/v1beta3), the timeouts are
 * apiServer.timeoutForControlPlane and discovery.timeout, validity periods are whole days
 * (certificateValidityPeriodDays), and a join's discovery may be partial (the role completes it).
 * After the shape check, each section is handed to src/kubeadm's reader as a kubeadm.k8s.io/v1beta4
 * document, so kubeadm's own value rules (tokens, pins, taints, etcd, endpoints...) apply unchanged.
 */
import { JoineryError } from '../../errors/index.js';
import { goStringCompare } from '../../encoding/index.js';
import { parseDuration } from '../../duration/index.js';
import {
  ENCRYPTION_ALGORITHMS,
  HOST_PATH_TYPES,
  PULL_POLICIES,
  TAINT_EFFECTS,
  parseKubeadmDocuments,
  type ClusterConfiguration,
  type InitConfiguration,
  type JoinConfiguration,
} from '../../kubeadm/index.js';
import {
  bool,
  checkValue,
  childPath,
  int,
  isJsonObject,
  list,
  map,
  object,
  refused,
  specError,
  str,
  SPEC_INVALID,
  type Json,
  type JsonObject,
  type Rule,
} from './check.js';
import type { SpecDiscovery, SpecJoinConfiguration } from './model.js';

const strings = list(str());
const typeMeta = { apiVersion: str(), kind: str() };

const envVar = object(
  {
    name: str(),
    value: str(),
    valueFrom: refused(
      'is not supported: kubeadm passes extraEnvs to static Pods, which cannot read Secrets or ConfigMaps',
      'write the value itself in value, or remove the variable',
    ),
  },
  ['name'],
);

const hostPathMount = object(
  { name: str(), hostPath: str(), mountPath: str(), readOnly: bool, pathType: str({ oneOf: ['', ...HOST_PATH_TYPES] }) },
  ['name', 'hostPath', 'mountPath'],
);

const component = { extraArgs: map(str()), extraVolumes: list(hostPathMount), extraEnvs: list(envVar) };

const apiEndpoint = object({ advertiseAddress: str(), bindPort: int(0, 65535) });

const taint = object(
  {
    key: str(),
    value: str(),
    effect: str({ oneOf: TAINT_EFFECTS }),
    timeAdded: refused('is not supported: kubeadm registers the Node with key, value and effect only', 'remove timeAdded'),
  },
  ['key', 'effect'],
);

const nodeRegistration = object({
  name: str(),
  criSocket: str(),
  taints: list(taint),
  kubeletExtraArgs: map(str()),
  ignorePreflightErrors: strings,
  imagePullPolicy: str({ oneOf: PULL_POLICIES }),
  imagePullSerial: bool,
});

const duration: Rule = {
  type: 'custom',
  check: (v, path) => {
    if (typeof v !== 'string') throw specError(SPEC_INVALID, path, 'must be a duration string such as "5m0s"', 'write a Go duration such as 4m0s or 90s');
    try {
      parseDuration(v, path);
    } catch (err) {
      if (!(err instanceof JoineryError)) throw err;
      throw specError(SPEC_INVALID, path, `${JSON.stringify(v.slice(0, 32))} is not a Go duration`, 'write a Go duration such as 4m0s, 90s or 1h30m');
    }
  },
};

const fromCredentials = (what: string): Rule =>
  refused(
    `is not a field of Cluster API's KubeadmConfig; joinery sets ${what} from the credentials it mints`,
    'remove the field: joinery puts the certificate key into the kubeadm config itself (upload-certs), in a 0600 file',
  );

const timeoutsRefused = refused(
  "is not a field of Cluster API's v1beta1 KubeadmConfig",
  'use clusterConfiguration.apiServer.timeoutForControlPlane and joinConfiguration.discovery.timeout',
);

export const CLUSTER_CONFIGURATION_RULE = object({
  ...typeMeta,
  etcd: object({
    local: object({
      imageRepository: str(),
      imageTag: str(),
      dataDir: str(),
      extraArgs: map(str()),
      extraEnvs: list(envVar),
      serverCertSANs: strings,
      peerCertSANs: strings,
    }),
    external: object({ endpoints: strings, caFile: str(), certFile: str(), keyFile: str() }),
  }),
  networking: object({ serviceSubnet: str(), podSubnet: str(), dnsDomain: str() }),
  kubernetesVersion: str(),
  controlPlaneEndpoint: str(),
  apiServer: object({ ...component, certSANs: strings, timeoutForControlPlane: duration }),
  controllerManager: object(component),
  scheduler: object(component),
  dns: object({ imageRepository: str(), imageTag: str() }),
  certificatesDir: str({
    check: (v, path) => {
      if (!v.startsWith('/')) throw specError(SPEC_INVALID, path, 'must be an absolute path', 'write an absolute path such as /etc/kubernetes/pki');
    },
  }),
  imageRepository: str(),
  featureGates: map(bool),
  certificateValidityPeriodDays: int(1, 1095),
  caCertificateValidityPeriodDays: int(1, 36500),
  encryptionAlgorithm: str({ oneOf: ENCRYPTION_ALGORITHMS }),
  clusterName: str(),
});

const bootstrapTokenRule = object({
  token: str(),
  description: str(),
  ttl: duration,
  expires: str(),
  usages: strings,
  groups: strings,
});

export const INIT_CONFIGURATION_RULE = object({
  ...typeMeta,
  bootstrapTokens: list(bootstrapTokenRule),
  nodeRegistration,
  localAPIEndpoint: apiEndpoint,
  skipPhases: strings,
  patches: object({ directory: str() }),
  certificateKey: fromCredentials('the certificate key'),
  timeouts: timeoutsRefused,
});

export const JOIN_CONFIGURATION_RULE = object({
  ...typeMeta,
  nodeRegistration,
  caCertPath: str({
    check: (v, path) => {
      // kubeadm's ValidateJoinConfiguration: filepath.IsAbs and a .crt suffix.
      if (!v.startsWith('/') || !v.endsWith('.crt')) {
        throw specError(SPEC_INVALID, path, `${JSON.stringify(v.slice(0, 64))} is not an absolute path of a .crt file`, 'write an absolute path such as /etc/kubernetes/pki/ca.crt');
      }
    },
  }),
  discovery: object({
    bootstrapToken: object({ token: str(), apiServerEndpoint: str(), caCertHashes: strings, unsafeSkipCAVerification: bool }),
    file: object(
      {
        kubeConfigPath: str(),
        kubeConfig: refused(
          'is not supported: joinery writes the discovery kubeconfig itself (with the bootstrap token it mints, in a 0600 file)',
          'remove discovery.file.kubeConfig and ask for file discovery in the credentials (joinery userdata --discovery file)',
        ),
      },
      ['kubeConfigPath'],
    ),
    tlsBootstrapToken: str(),
    timeout: duration,
  }),
  controlPlane: object({ localAPIEndpoint: apiEndpoint, certificateKey: fromCredentials('the certificate key') }),
  skipPhases: strings,
  patches: object({ directory: str() }),
  timeouts: timeoutsRefused,
});

type Kind = 'InitConfiguration' | 'ClusterConfiguration' | 'JoinConfiguration';

/** Extra arguments as a map (Cluster API v1beta1) → v1beta4's `{name, value}` list, sorted as kubeadm's conversion sorts. */
function argsList(o: JsonObject | undefined, key: string): void {
  const m = o?.[key];
  if (!o || !isJsonObject(m)) return;
  o[key] = Object.keys(m)
    .sort(goStringCompare)
    .map((name) => ({ name, value: m[name] as Json }));
}

const obj = (v: Json | undefined): JsonObject | undefined => (isJsonObject(v) ? v : undefined);

const MAP_FIELDS = new Set(['extraArgs', 'kubeletExtraArgs', 'featureGates']);

/**
 * A deep copy without the fields Go's `omitempty` treats as not set (null, "", a zero bindPort), so
 * that kubeadm's rules see what Cluster API would marshal; map entries (extra arguments) keep "".
 */
/** A kubeadm section of the spec, checked against Cluster API's rule, without unset values and without the apiVersion/kind kubeadm's reader would take for its own. */
function sectionBody(json: JsonObject, rule: Parameters<typeof checkValue>[1], path: string): JsonObject {
  checkValue(json, rule, path);
  const body = withoutUnset(json) as JsonObject;
  delete body['apiVersion'];
  delete body['kind'];
  return body;
}

function withoutUnset(v: Json, inMap = false): Json {
  if (Array.isArray(v)) return v.map((x) => withoutUnset(x));
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = v[k] as Json;
      if (x === null || (!inMap && (x === '' || (k === 'bindPort' && x === 0)))) continue;
      Object.defineProperty(out, k, { value: withoutUnset(x, !inMap && MAP_FIELDS.has(k)), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

const dayDuration = (days: number): string => `${days * 24}h0m0s`;

/** The version-neutral path in a kubeadm reader error → the path in the spec section. */
function specPathOf(kind: Kind, docPath: string): string {
  if (kind === 'JoinConfiguration' && docPath === 'timeouts.discovery') return 'discovery.timeout';
  if (kind === 'ClusterConfiguration') {
    if (docPath === 'certificateValidityPeriod') return 'certificateValidityPeriodDays';
    if (docPath === 'caCertificateValidityPeriod') return 'caCertificateValidityPeriodDays';
  }
  return docPath.replace(/^(nodeRegistration\.kubeletExtraArgs|(?:apiServer|controllerManager|scheduler|etcd\.local)\.extraArgs)\[\d+\].*$/, '$1');
}

/**
 * Runs src/kubeadm's reader on one kubeadm.k8s.io/v1beta4 document and turns its errors into
 * USERDATA_SPEC_INVALID errors at the field's path in the spec (`base` is the section's own path).
 */
function readKubeadm(kind: Kind, body: JsonObject, base: string) {
  const text = JSON.stringify({ apiVersion: 'kubeadm.k8s.io/v1beta4', kind, ...body });
  try {
    return parseKubeadmDocuments(text);
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    const docPath = err.path === undefined ? '' : specPathOf(kind, err.path);
    const path = docPath === '' ? base : docPath.startsWith('[') ? `${base}${docPath}` : `${base}.${docPath}`;
    let what = err.message.replace(/^\w+ \(document \d+\)/, '').replace(/^document \d+: /, '');
    if (err.path !== undefined && what.startsWith(` ${err.path}:`)) what = what.slice(err.path.length + 2);
    throw new JoineryError(SPEC_INVALID, `${path}: ${what.trim()}`, err.fix, { path });
  }
}

const PLACEHOLDER_TOKEN = 'abcdef.0123456789abcdef';
const PLACEHOLDER_ENDPOINT = '127.0.0.1:6443';

/**
 * The kubeadm sections of a checked spec object in the neutral model. `base` is the spec's own path
 * (`''` for a bare spec, `spec.` inside a KubeadmConfig). The ClusterConfiguration's
 * apiServer.timeoutForControlPlane lands in the InitConfiguration's timeouts, as src/kubeadm keeps it.
 */
export function kubeadmSections(spec: JsonObject, base: string): {
  cluster?: ClusterConfiguration;
  init?: InitConfiguration;
  join?: SpecJoinConfiguration;
} {
  const out: { cluster?: ClusterConfiguration; init?: InitConfiguration; join?: SpecJoinConfiguration } = {};
  const at = (name: string): string => childPath(base.replace(/\.$/, ''), name);
  let timeoutForControlPlane: bigint | undefined;

  const clusterJson = obj(spec['clusterConfiguration']);
  if (clusterJson) {
    const body = sectionBody(clusterJson, CLUSTER_CONFIGURATION_RULE, at('clusterConfiguration'));
    for (const c of ['apiServer', 'controllerManager', 'scheduler']) argsList(obj(body[c]), 'extraArgs');
    argsList(obj(obj(body['etcd'])?.['local']), 'extraArgs');
    const apiServer = obj(body['apiServer']);
    if (apiServer && typeof apiServer['timeoutForControlPlane'] === 'string') {
      timeoutForControlPlane = parseDuration(apiServer['timeoutForControlPlane']);
      delete apiServer['timeoutForControlPlane'];
    }
    for (const [days, period] of [
      ['certificateValidityPeriodDays', 'certificateValidityPeriod'],
      ['caCertificateValidityPeriodDays', 'caCertificateValidityPeriod'],
    ] as const) {
      const d = body[days];
      delete body[days];
      if (typeof d === 'number') body[period] = dayDuration(d);
    }
    const cluster = readKubeadm('ClusterConfiguration', body, at('clusterConfiguration')).cluster;
    if (cluster) out.cluster = cluster;
  }

  const initJson = obj(spec['initConfiguration']);
  if (initJson) {
    const body = sectionBody(initJson, INIT_CONFIGURATION_RULE, at('initConfiguration'));
    argsList(obj(body['nodeRegistration']), 'kubeletExtraArgs');
    const init = readKubeadm('InitConfiguration', body, at('initConfiguration')).init;
    out.init = init ?? {};
  }
  if (timeoutForControlPlane !== undefined) {
    const init = (out.init ??= {});
    init.timeouts = { ...init.timeouts, controlPlaneComponentHealthCheck: timeoutForControlPlane };
  }

  const joinJson = obj(spec['joinConfiguration']);
  if (joinJson) {
    const body = sectionBody(joinJson, JOIN_CONFIGURATION_RULE, at('joinConfiguration'));
    argsList(obj(body['nodeRegistration']), 'kubeletExtraArgs');
    const given = obj(body['discovery']) ?? {};
    // kubeadm requires a complete discovery; the spec's is partial (the role completes it from the
    // credentials), so placeholders fill the gaps while kubeadm's rules check what the spec gives.
    const check: JsonObject = {};
    const token = obj(given['bootstrapToken']);
    const file = obj(given['file']);
    if (file) check['file'] = file;
    if (token || !file) {
      const hashes = token?.['caCertHashes'];
      check['bootstrapToken'] = {
        token: token?.['token'] ?? PLACEHOLDER_TOKEN,
        apiServerEndpoint: token?.['apiServerEndpoint'] ?? PLACEHOLDER_ENDPOINT,
        ...(Array.isArray(hashes) && hashes.length > 0 ? { caCertHashes: hashes } : { unsafeSkipCAVerification: true }),
      };
    }
    if (given['tlsBootstrapToken'] !== undefined) check['tlsBootstrapToken'] = given['tlsBootstrapToken'];
    body['discovery'] = check;
    if (typeof given['timeout'] === 'string') body['timeouts'] = { discovery: given['timeout'] };
    const parsed = readKubeadm('JoinConfiguration', body, at('joinConfiguration')).join as JoinConfiguration;
    const { discovery: _checked, ...rest } = parsed;
    const join: SpecJoinConfiguration = rest;
    const discovery: SpecDiscovery = {};
    if (token) {
      const bt: NonNullable<SpecDiscovery['bootstrapToken']> = {};
      if (typeof token['token'] === 'string' && token['token'] !== '') bt.token = token['token'];
      if (typeof token['apiServerEndpoint'] === 'string' && token['apiServerEndpoint'] !== '') bt.apiServerEndpoint = token['apiServerEndpoint'];
      if (Array.isArray(token['caCertHashes']) && token['caCertHashes'].length > 0) bt.caCertHashes = token['caCertHashes'].map(String);
      if (token['unsafeSkipCAVerification'] === true) bt.unsafeSkipCAVerification = true;
      discovery.bootstrapToken = bt;
    }
    if (file) discovery.file = { kubeConfigPath: String(file['kubeConfigPath']) };
    if (typeof given['tlsBootstrapToken'] === 'string' && given['tlsBootstrapToken'] !== '') discovery.tlsBootstrapToken = given['tlsBootstrapToken'];
    if (Object.keys(discovery).length > 0) join.discovery = discovery;
    out.join = join;
  }
  return out;
}
