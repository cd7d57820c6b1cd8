/**
 * The three roles of Cluster API's kubeadm bootstrap provider (first control plane, joining control
 * plane, worker) as one function from a machine spec and credentials to the neutral BootPlan that the
 * renderers translate. Defaults follow Cluster API's KubeadmConfigReconciler (handleClusterNotInitialized,
 * joinWorker, joinControlplane, reconcileTopLevelObjectSettings, reconcileDiscovery).
 */
import { JoineryError } from '../../errors/index.js';
import {
  configApiVersion,
  emitKubeadmYaml,
  kubeadmDocuments,
  type BootstrapToken,
  type ClusterConfiguration,
  type InitConfiguration,
  type JoinConfiguration,
  type KubeadmConfig,
  type NodeRegistration,
} from '../../kubeadm/index.js';
import {
  BOOTSTRAP_SENTINEL_PATH,
  KUBEADM_INIT_CONFIG_PATH,
  KUBEADM_JOIN_CONFIG_PATH,
  ROLES,
  RUN_ONCE_GUARD_PATH,
  type BootPlan,
  type PlanBinary,
  type PlanFile,
  type PlanUser,
  type Role,
} from '../plan.js';
import type { MachineSpec, SpecKubernetesBinaries } from '../spec/index.js';
import {
  checkCaPins,
  checkCertificateKey,
  checkClusterCas,
  checkEndpoint,
  checkKubernetesVersion,
  checkNodeName,
  checkToken,
  CREDENTIALS_INVALID,
  type ClusterCas,
  type InitCredentials,
  type JoinCredentials,
} from './credentials.js';

/** kubeadm's default certificatesDir. */
export const DEFAULT_CERTIFICATES_DIR = '/etc/kubernetes/pki';
/** Where a file-discovery kubeconfig is written unless the credentials say otherwise. */
export const DEFAULT_DISCOVERY_KUBECONFIG_PATH = '/etc/kubernetes/discovery.kubeconfig';
/** kubeadm's defaults for networking (constants DefaultServicesSubnet, DefaultServiceDNSDomain). */
export const DEFAULT_SERVICE_SUBNET = '10.96.0.0/12';
export const DEFAULT_DNS_DOMAIN = 'cluster.local';
/** kubeadm's default clusterName. */
export const DEFAULT_CLUSTER_NAME = 'kubernetes';

const CONFLICT = 'USERDATA_SPEC_CONFLICT';
const SECRET_UNRESOLVED = 'USERDATA_SECRET_UNRESOLVED';

const encoder = new TextEncoder();
const utf8 = (text: string): Uint8Array => encoder.encode(text);

function conflict(path: string, what: string, fix: string): JoineryError {
  return new JoineryError(CONFLICT, `${path}: ${what}`, fix, { path });
}

/** The CA files as Cluster API's secret.Certificates.AsFiles writes them: certs 0640, keys 0600, owner root:root. */
function caFiles(cas: ClusterCas, dir: string, externalEtcd: boolean): PlanFile[] {
  const pair = (name: string, cert: string, key: string): PlanFile[] => [
    { path: `${dir}/${name}.crt`, content: utf8(cert), mode: 0o640, owner: 'root:root', secret: false },
    { path: `${dir}/${name}.key`, content: utf8(key), mode: 0o600, owner: 'root:root', secret: true },
  ];
  return [
    ...pair('ca', cas.ca.cert, cas.ca.key),
    ...(externalEtcd ? [] : pair('etcd/ca', cas.etcdCa.cert, cas.etcdCa.key)),
    ...pair('front-proxy-ca', cas.frontProxyCa.cert, cas.frontProxyCa.key),
    { path: `${dir}/sa.pub`, content: utf8(cas.serviceAccount.publicKey), mode: 0o640, owner: 'root:root', secret: false },
    { path: `${dir}/sa.key`, content: utf8(cas.serviceAccount.privateKey), mode: 0o600, owner: 'root:root', secret: true },
  ];
}

function holdsAny(content: Uint8Array, needles: readonly string[]): boolean {
  const text = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  return needles.some((n) => n !== '' && text.includes(n));
}

/**
 * The spec's files; one that holds a private key, the bootstrap token or the certificate key is made
 * secret (mode 0600) whatever its permissions said. A file still waiting for its Secret is an error.
 */
function userFiles(spec: MachineSpec, secrets: readonly string[], taken: ReadonlySet<string>): PlanFile[] {
  return spec.files.map((f, i) => {
    if (f.content === undefined) {
      throw new JoineryError(
        SECRET_UNRESOLVED,
        `files[${i}].contentFrom: the content of ${f.path} comes from the Secret ${JSON.stringify(f.contentFrom?.secret.name ?? '')}, which was not read`,
        'resolve Secret references (resolveSecretRefs) before building the boot plan; the CLI does this when it has a cluster',
        { path: `files[${i}].contentFrom` },
      );
    }
    if (taken.has(f.path)) {
      throw conflict(`files[${i}].path`, `${f.path} is a file joinery writes itself for this role`, 'remove the file from the spec or give it another path');
    }
    const secret = holdsAny(f.content, ['PRIVATE KEY-----', ...secrets]);
    const file: PlanFile = { path: f.path, content: f.content, mode: secret ? 0o600 : (f.mode ?? 0o644), secret };
    if (f.owner !== undefined) file.owner = f.owner;
    if (f.append) file.append = true;
    return file;
  });
}

function planUsers(spec: MachineSpec): PlanUser[] {
  return spec.users.map((u, i) => {
    if (u.passwdFrom) {
      throw new JoineryError(
        SECRET_UNRESOLVED,
        `users[${i}].passwdFrom: the password hash of ${u.name} comes from a Secret that was not read`,
        'resolve Secret references (resolveSecretRefs) before building the boot plan',
        { path: `users[${i}].passwdFrom` },
      );
    }
    const { passwdFrom: _ref, ...user } = u;
    return user;
  });
}

function checkCommands(spec: MachineSpec, secrets: readonly string[]): void {
  for (const key of ['bootCommands', 'preKubeadmCommands', 'postKubeadmCommands'] as const) {
    spec[key].forEach((c, i) => {
      if (secrets.some((s) => s !== '' && c.includes(s))) {
        throw new JoineryError(
          'USERDATA_SECRET_IN_COMMAND',
          `${key}[${i}]: the command holds the bootstrap token or the certificate key, which would show in the process list and logs of the machine`,
          'keep secrets in files of mode 0600 and let commands read them from there',
          { path: `${key}[${i}]` },
        );
      }
    });
  }
}

function binariesOf(b: SpecKubernetesBinaries | undefined, kubernetesVersion: string): PlanBinary[] {
  if (!b) return [];
  const version = b.version ?? kubernetesVersion;
  return b.binaries.map((x) => ({
    name: x.name,
    url: x.url.replace(/\{\{version\}\}/g, version).replace(/\{\{name\}\}/g, x.name),
    sha256: x.sha256,
    path: `${b.installDir}/${x.name}`,
  }));
}

/** nodeRegistration with name = nodeName; a spec that names the node otherwise is refused. */
function registration(n: NodeRegistration | undefined, nodeName: string, path: string): NodeRegistration {
  if (n?.name !== undefined && n.name !== nodeName) {
    throw conflict(
      `${path}.nodeRegistration.name`,
      `names the node ${JSON.stringify(n.name.slice(0, 64))}, but the credentials were minted for ${JSON.stringify(nodeName)}: the node identity is bound to that name`,
      'remove nodeRegistration.name from the spec (joinery sets it from --node-name), or ask for credentials for that name',
    );
  }
  return { ...n, name: nodeName };
}

/**
 * kubeadm's config YAML for the documents in `config`, in the config API version of `kubernetesVersion`.
 * An error of src/kubeadm's writer (a field this version cannot hold) is reported at the spec's path.
 */
function kubeadmYaml(config: KubeadmConfig, kubernetesVersion: string): string {
  try {
    return emitKubeadmYaml(kubeadmDocuments(config, configApiVersion(kubernetesVersion)));
  } catch (err) {
    if (!(err instanceof JoineryError) || err.path === undefined) throw err;
    const m = /^(InitConfiguration|ClusterConfiguration|JoinConfiguration) (\S+)/.exec(err.message);
    if (!m) throw err;
    const section = `${(m[1] as string).charAt(0).toLowerCase()}${(m[1] as string).slice(1)}`;
    const docPath =
      err.path === 'timeouts.discovery'
        ? 'discovery.timeout'
        : err.path === 'timeouts.controlPlaneComponentHealthCheck'
          ? 'apiServer.timeoutForControlPlane'
          : err.path;
    const path =
      section === 'initConfiguration' && docPath === 'apiServer.timeoutForControlPlane'
        ? 'clusterConfiguration.apiServer.timeoutForControlPlane'
        : `${section}.${docPath}`;
    let what = err.message.slice(m[0].length).trim();
    if (what.startsWith(`${err.path}:`)) what = what.slice(err.path.length + 1).trim();
    throw new JoineryError(err.code, `${path}: ${what} (Kubernetes ${kubernetesVersion})`, err.fix, { path });
  }
}

function kubeadmCommand(base: string, verbosity: number | undefined): string {
  return verbosity === undefined ? base : `${base} --v=${verbosity}`;
}

function commonPlan(spec: MachineSpec, role: Role, nodeName: string, kubernetesVersion: string): Omit<BootPlan, 'files' | 'kubeadmCommand'> {
  const plan: Omit<BootPlan, 'files' | 'kubeadmCommand'> = {
    role,
    nodeName,
    bootCommands: [...spec.bootCommands],
    preKubeadmCommands: [...spec.preKubeadmCommands],
    postKubeadmCommands: [...spec.postKubeadmCommands],
    users: planUsers(spec),
    binaries: binariesOf(spec.kubernetesBinaries, kubernetesVersion),
    runOnceGuard: RUN_ONCE_GUARD_PATH,
    sentinel: BOOTSTRAP_SENTINEL_PATH,
  };
  if (spec.ntp) plan.ntp = { ...spec.ntp, servers: [...spec.ntp.servers] };
  if (spec.diskSetup) plan.diskSetup = spec.diskSetup;
  if (spec.mounts) plan.mounts = spec.mounts.map((m) => [...m]);
  if (spec.verbosity !== undefined) plan.verbosity = spec.verbosity;
  return plan;
}

function sameVersion(a: string, b: string): boolean {
  return a.replace(/^v/, '') === b.replace(/^v/, '');
}

function initPlan(spec: MachineSpec, creds: InitCredentials): BootPlan {
  const nodeName = checkNodeName(creds.nodeName);
  const kubernetesVersion = checkKubernetesVersion(creds.kubernetesVersion);
  const endpoint = checkEndpoint(creds.endpoint);
  const cas = checkClusterCas(creds.cas);
  const token = creds.bootstrapToken === undefined ? undefined : checkToken(creds.bootstrapToken, 'bootstrapToken');
  const certificateKey = creds.certificateKey === undefined ? undefined : checkCertificateKey(creds.certificateKey, 'certificateKey');
  if (creds.clusterName !== undefined && (typeof creds.clusterName !== 'string' || creds.clusterName === '')) {
    throw new JoineryError(CREDENTIALS_INVALID, 'credentials clusterName: is empty', 'give the cluster a name, or leave clusterName unset for kubeadm\'s "kubernetes"', { path: 'clusterName' });
  }

  const given: ClusterConfiguration = spec.clusterConfiguration ?? {};
  if (given.kubernetesVersion !== undefined && !sameVersion(given.kubernetesVersion, kubernetesVersion)) {
    throw conflict(
      'clusterConfiguration.kubernetesVersion',
      `is ${JSON.stringify(given.kubernetesVersion.slice(0, 32))}, but the node is being set up for Kubernetes ${kubernetesVersion}`,
      'remove clusterConfiguration.kubernetesVersion (joinery sets it), or ask for that version with --kubernetes-version',
    );
  }
  // Cluster API's reconcileTopLevelObjectSettings: the spec's values win, the cluster's fill the gaps.
  const cluster: ClusterConfiguration = {
    ...given,
    kubernetesVersion,
    controlPlaneEndpoint: given.controlPlaneEndpoint ?? endpoint,
    clusterName: given.clusterName ?? creds.clusterName ?? DEFAULT_CLUSTER_NAME,
    networking: {
      ...given.networking,
      serviceSubnet: given.networking?.serviceSubnet ?? DEFAULT_SERVICE_SUBNET,
      dnsDomain: given.networking?.dnsDomain ?? DEFAULT_DNS_DOMAIN,
    },
  };
  const givenInit: InitConfiguration = spec.initConfiguration ?? {};
  const init: InitConfiguration = { ...givenInit, nodeRegistration: registration(givenInit.nodeRegistration, nodeName, 'initConfiguration') };
  if (token !== undefined) {
    const others = (givenInit.bootstrapTokens ?? []).filter((t) => t.token !== token);
    init.bootstrapTokens = [{ token } as BootstrapToken, ...others];
  }
  if (certificateKey !== undefined) init.certificateKey = certificateKey;

  const secrets = [token, certificateKey, ...(givenInit.bootstrapTokens ?? []).map((t) => t.token)].filter((s): s is string => s !== undefined);
  checkCommands(spec, secrets);
  const certDir = given.certificatesDir ?? DEFAULT_CERTIFICATES_DIR;
  const pki = caFiles(cas, certDir, given.etcd?.external !== undefined);
  const taken = new Set([...pki.map((f) => f.path), KUBEADM_INIT_CONFIG_PATH]);
  const configSecret = secrets.length > 0;
  const config: PlanFile = {
    path: KUBEADM_INIT_CONFIG_PATH,
    content: utf8(kubeadmYaml({ init, cluster }, kubernetesVersion)),
    mode: configSecret ? 0o600 : 0o640,
    owner: 'root:root',
    secret: configSecret,
  };
  const command = `kubeadm init --config ${KUBEADM_INIT_CONFIG_PATH}${certificateKey === undefined ? '' : ' --upload-certs'}`;
  return {
    ...commonPlan(spec, 'init', nodeName, kubernetesVersion),
    files: [...pki, ...userFiles(spec, secrets, taken), config],
    kubeadmCommand: kubeadmCommand(command, spec.verbosity),
  };
}

function joinPlan(spec: MachineSpec, role: 'control-plane' | 'worker', creds: JoinCredentials): BootPlan {
  const nodeName = checkNodeName(creds.nodeName);
  const kubernetesVersion = checkKubernetesVersion(creds.kubernetesVersion);
  const endpoint = checkEndpoint(creds.endpoint);
  const token = checkToken(creds.token);
  const pins = checkCaPins(creds.caPins);
  const given = spec.joinConfiguration ?? {};
  const discoveryGiven = given.discovery ?? {};
  const at = 'joinConfiguration.discovery';

  const kind = creds.discovery?.kind;
  if (kind !== 'token' && kind !== 'file') {
    throw new JoineryError(CREDENTIALS_INVALID, 'credentials discovery.kind: must be token or file', 'choose token discovery or file discovery', { path: 'discovery.kind' });
  }
  for (const [path, value] of [
    [`${at}.bootstrapToken.token`, discoveryGiven.bootstrapToken?.token],
    [`${at}.tlsBootstrapToken`, discoveryGiven.tlsBootstrapToken],
  ] as const) {
    if (value !== undefined && value !== token) {
      throw conflict(path, 'differs from the bootstrap token joinery minted for this node', `remove ${path}: joinery puts the minted token into a 0600 kubeadm config`);
    }
  }
  if (kind === 'token' && discoveryGiven.file) {
    throw conflict(`${at}.file`, 'asks for file discovery, but the credentials are for token discovery', `remove ${at}.file, or ask for file discovery (--discovery file)`);
  }
  if (kind === 'file' && discoveryGiven.bootstrapToken) {
    throw conflict(`${at}.bootstrapToken`, 'asks for token discovery, but the credentials are for file discovery', `remove ${at}.bootstrapToken, or ask for token discovery`);
  }

  const secrets = [token];
  const files: PlanFile[] = [];
  const join: JoinConfiguration = {
    ...given,
    nodeRegistration: registration(given.nodeRegistration, nodeName, 'joinConfiguration'),
    discovery: {},
  };
  if (creds.discovery.kind === 'token') {
    const bt = discoveryGiven.bootstrapToken ?? {};
    const hashes = [...new Set([...pins, ...(bt.caCertHashes ?? [])])];
    join.discovery.bootstrapToken = { token, apiServerEndpoint: bt.apiServerEndpoint ?? endpoint, caCertHashes: hashes };
    if (bt.unsafeSkipCAVerification) join.discovery.bootstrapToken.unsafeSkipCAVerification = true;
  } else {
    const fromSpec = creds.discovery.path === undefined ? discoveryGiven.file?.kubeConfigPath : undefined;
    const path = creds.discovery.path ?? fromSpec ?? DEFAULT_DISCOVERY_KUBECONFIG_PATH;
    if (fromSpec !== undefined && (!fromSpec.startsWith('/') || /[\0\n]/.test(fromSpec))) {
      throw conflict(`${at}.file.kubeConfigPath`, `${JSON.stringify(fromSpec.slice(0, 128))} is not an absolute path, but joinery writes the discovery kubeconfig to a file`, 'write an absolute path such as /etc/kubernetes/discovery.kubeconfig');
    }
    if (typeof path !== 'string' || !path.startsWith('/') || /[\0\n]/.test(path)) {
      throw new JoineryError(CREDENTIALS_INVALID, `credentials discovery.path: ${JSON.stringify(path.slice(0, 128))} is not an absolute path`, 'write the discovery kubeconfig to an absolute path such as /etc/kubernetes/discovery.kubeconfig', { path: 'discovery.path' });
    }
    if (typeof creds.discovery.kubeconfig !== 'string' || creds.discovery.kubeconfig === '') {
      throw new JoineryError(CREDENTIALS_INVALID, 'credentials discovery.kubeconfig: is empty', 'give the discovery kubeconfig (src/discovery makes it)', { path: 'discovery.kubeconfig' });
    }
    files.push({ path, content: utf8(creds.discovery.kubeconfig), mode: 0o600, owner: 'root:root', secret: true });
    join.discovery.file = { kubeConfigPath: path };
    join.discovery.tlsBootstrapToken = token;
  }

  let pki: PlanFile[] = [];
  if (role === 'control-plane') {
    const cp = creds.controlPlane ?? {};
    if (cp.certificateKey !== undefined && cp.inlineCas !== undefined) {
      throw new JoineryError(CREDENTIALS_INVALID, 'credentials controlPlane: both certificateKey and inlineCas are set', 'choose one: the upload-certs way (certificateKey) or the CAs inside the bootstrap data (inlineCas)', { path: 'controlPlane' });
    }
    if (cp.certificateKey === undefined && cp.inlineCas === undefined) {
      throw new JoineryError(
        CREDENTIALS_INVALID,
        'credentials controlPlane: a control-plane join needs the cluster CAs, but neither certificateKey nor inlineCas is set',
        'give controlPlane.certificateKey (the CAs are downloaded from kube-system/kubeadm-certs) or controlPlane.inlineCas',
        { path: 'controlPlane' },
      );
    }
    const endpointGiven = given.controlPlane?.localAPIEndpoint ?? {};
    const local = { ...endpointGiven };
    if (cp.advertiseAddress !== undefined) local.advertiseAddress = cp.advertiseAddress;
    if (cp.bindPort !== undefined) {
      if (!Number.isInteger(cp.bindPort) || cp.bindPort < 1 || cp.bindPort > 65535) {
        throw new JoineryError(CREDENTIALS_INVALID, `credentials controlPlane.bindPort: ${cp.bindPort} is not a TCP port`, 'use a port from 1 to 65535 (kubeadm defaults to 6443)', { path: 'controlPlane.bindPort' });
      }
      local.bindPort = cp.bindPort;
    }
    join.controlPlane = Object.keys(local).length > 0 ? { localAPIEndpoint: local } : {};
    if (cp.certificateKey !== undefined) {
      join.controlPlane.certificateKey = checkCertificateKey(cp.certificateKey, 'controlPlane.certificateKey');
      secrets.push(cp.certificateKey);
    } else {
      const cas = checkClusterCas(cp.inlineCas, 'controlPlane.inlineCas');
      const cluster = spec.clusterConfiguration ?? {};
      pki = caFiles(cas, cluster.certificatesDir ?? DEFAULT_CERTIFICATES_DIR, cluster.etcd?.external !== undefined);
    }
  } else {
    if (given.controlPlane !== undefined) {
      throw conflict('joinConfiguration.controlPlane', 'is set, but a worker runs no control plane', 'remove joinConfiguration.controlPlane, or build the plan for the control-plane role');
    }
    if (creds.controlPlane !== undefined) {
      throw new JoineryError(CREDENTIALS_INVALID, 'credentials controlPlane: is set for a worker', 'drop controlPlane from the credentials, or use the control-plane role', { path: 'controlPlane' });
    }
  }

  checkCommands(spec, secrets);
  const taken = new Set([...pki.map((f) => f.path), ...files.map((f) => f.path), KUBEADM_JOIN_CONFIG_PATH]);
  const config: PlanFile = {
    path: KUBEADM_JOIN_CONFIG_PATH,
    content: utf8(kubeadmYaml({ join }, kubernetesVersion)),
    mode: 0o600,
    owner: 'root:root',
    secret: true,
  };
  return {
    ...commonPlan(spec, role, nodeName, kubernetesVersion),
    files: [...pki, ...userFiles(spec, secrets, taken), ...files, config],
    kubeadmCommand: kubeadmCommand(`kubeadm join --config ${KUBEADM_JOIN_CONFIG_PATH}`, spec.verbosity),
  };
}

/**
 * The boot plan of `role` for a node: for `init`, kubeadm's InitConfiguration + ClusterConfiguration
 * with Cluster API's defaults (controlPlaneEndpoint, clusterName, kubernetesVersion, networking) and the
 * cluster CAs under certificatesDir (keys 0600, certificates 0640); for `control-plane`, a
 * JoinConfiguration with controlPlane and, by default, the certificate key of kubeadm's upload-certs
 * (no private key in the plan) or the CAs inline; for `worker`, a JoinConfiguration. The kubeadm
 * config is written in the config API version of the node's Kubernetes release, by src/kubeadm.
 * Throws USERDATA_CREDENTIALS_INVALID, USERDATA_SPEC_CONFLICT, USERDATA_SECRET_UNRESOLVED,
 * USERDATA_SECRET_IN_COMMAND or src/kubeadm's KUBEADM_FIELD_UNSUPPORTED (at the spec's path).
 */
export function bootPlan(spec: MachineSpec, role: Role, creds: JoinCredentials | InitCredentials): BootPlan {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new JoineryError('USERDATA_ROLE_INVALID', `${JSON.stringify(String(role).slice(0, 32))} is not a role`, `use one of ${ROLES.join(', ')}`, { family: 'usage' });
  }
  if (typeof creds !== 'object' || creds === null) {
    throw new JoineryError(CREDENTIALS_INVALID, 'credentials: missing', 'pass the credentials of the role', { path: '' });
  }
  if (role === 'init') {
    if (!('cas' in creds)) {
      throw new JoineryError(CREDENTIALS_INVALID, 'credentials cas: the init role needs the cluster CAs', 'pass InitCredentials (nodeName, kubernetesVersion, endpoint, cas)', { path: 'cas' });
    }
    return initPlan(spec, creds);
  }
  if (!('token' in creds)) {
    throw new JoineryError(CREDENTIALS_INVALID, `credentials token: the ${role} role needs a bootstrap token`, 'pass JoinCredentials (nodeName, kubernetesVersion, endpoint, token, caPins, discovery)', { path: 'token' });
  }
  return joinPlan(spec, role, creds);
}
