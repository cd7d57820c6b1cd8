/**
 * The parts the three versioned converters share: field specs built from options (each version module
 * picks its options), and the conversions between map-style extra arguments (v1beta2, v1beta3) and
 * v1beta4's `{name, value}` lists, and between `discovery.timeout` and `timeouts.discovery`.
 *
 * The converters move between a versioned document and a "superset" document: the v1beta4 field names
 * plus what only older versions have (`dns.type`, `useHyperKubeImage`, and the ClusterConfiguration's
 * `apiServer.timeoutForControlPlane`, which the model keeps in the InitConfiguration's timeouts).
 */
import { JoineryError } from '../errors/index.js';
import { goStringCompare } from '../encoding/index.js';
import { parseCaPins, parseCertificateKey } from '../pki/index.js';
import {
  DEFAULT_TOKEN_GROUPS,
  DEFAULT_TOKEN_USAGES,
  parseBootstrapToken,
  validateTokenGroup,
  validateTokenGroups,
  validateTokenUsages,
} from '../token/index.js';
import { hostPortProblem, portProblem, ruleProblem } from './rules.js';
import {
  bool,
  child,
  duration,
  int32,
  isObject,
  list,
  map,
  object,
  problem,
  str,
  time,
  type Json,
  type JsonObject,
  type ObjectSpec,
  type Site,
  type Spec,
} from './schema.js';
import { ENCRYPTION_ALGORITHMS, HOST_PATH_TYPES, PULL_POLICIES, TAINT_EFFECTS, TIMEOUT_NAMES, DNS_TYPES } from './model.js';
import { kubeadmApiVersion, kubernetesRangeText, versionRank, type ConfigApiVersion } from './version.js';

export const KUBEADM_KINDS = ['InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration'] as const;
export type KubeadmKind = (typeof KUBEADM_KINDS)[number];

/** One kubeadm config API version: what its documents may hold, and how they map to the superset. */
export interface VersionConverter {
  version: ConfigApiVersion;
  schemas: Readonly<Record<KubeadmKind, ObjectSpec>>;
  /**
   * Superset document → this version's document; throws KUBEADM_FIELD_UNSUPPORTED for what it cannot hold.
   * Takes ownership of `superset` (may change it in place and return it): pass a freshly built document.
   */
  toVersioned(kind: KubeadmKind, superset: JsonObject): JsonObject;
  /**
   * This version's (already checked) document → superset document. Takes ownership of `doc` (may change
   * it in place and return it): pass a freshly read document.
   */
  fromVersioned(kind: KubeadmKind, doc: JsonObject): JsonObject;
}

// ---------------------------------------------------------------- value checks

function oneOf(values: readonly string[], what: string) {
  return (v: string, site: Site): void => {
    if (!values.includes(v)) {
      throw problem(site, `${JSON.stringify(v.slice(0, 64))} is not a valid ${what}`, `use one of ${values.join(', ')}`);
    }
  };
}

const tokenCheck = (v: string, site: Site): void => {
  const p = ruleProblem(() => parseBootstrapToken(v));
  if (p) throw problem(site, p, 'use a token printed by `kubeadm token create` (or `joinery token create`): six and sixteen characters of [a-z0-9] joined by a dot');
};

const pinCheck = (v: string, site: Site): void => {
  const p = ruleProblem(() => parseCaPins([v]));
  if (p) {
    throw problem(
      site,
      `is not a CA public key pin: ${p}`,
      'write sha256:<64 hex digits>, the SHA-256 of the CA certificate\'s Subject Public Key Info (as printed by `kubeadm token create --print-join-command`)',
    );
  }
};

const certificateKeyCheck = (v: string, site: Site): void => {
  const p = ruleProblem(() => parseCertificateKey(v));
  if (p) throw problem(site, p, 'use the key printed by `kubeadm init phase upload-certs --upload-certs` (or `kubeadm certs certificate-key`)');
};

const portCheck = (v: number, site: Site): void => {
  const p = portProblem(v);
  if (p) throw problem(site, p, 'use a port between 1 and 65535 (kubeadm defaults the API server to 6443)');
};

const hostPortCheck = (v: string, site: Site): void => {
  const p = hostPortProblem(v);
  if (p) throw problem(site, p, 'write the API server address as host:port, e.g. 10.0.0.1:6443');
};

const groupCheck = (v: string, site: Site): void => {
  const p = ruleProblem(() => validateTokenGroup(v));
  if (p) throw problem(site, p, 'use system:bootstrappers:kubeadm:default-node-token or another system:bootstrappers: group');
};

const usageCheck = (v: string, site: Site): void => {
  const p = ruleProblem(() => validateTokenUsages([v]));
  if (p) throw problem(site, p, 'use signing and/or authentication');
};

/**
 * kubeadm's rules for one bootstrap token after SetDefaults_BootstrapToken has filled an empty ttl (24h),
 * usages ([signing, authentication]) and groups ([system:bootstrappers:kubeadm:default-node-token]):
 * groups need the authentication usage (ValidateTokenGroups, the rule of src/token), and ttl and expires
 * are mutually exclusive, so with the defaulted ttl kubeadm refuses every `expires`. A negative ttl, which
 * kubeadm reads as "never expires", is refused when joinery writes a document.
 */
function bootstrapTokenCheck(t: JsonObject, site: Site): void {
  const given = (key: string): Json[] => (Array.isArray(t[key]) ? (t[key] as Json[]) : []);
  const usages = given('usages').length > 0 ? given('usages').map(String) : DEFAULT_TOKEN_USAGES;
  const groups = given('groups').length > 0 ? given('groups') : DEFAULT_TOKEN_GROUPS;
  const p = ruleProblem(() => validateTokenGroups(usages, groups));
  if (p) {
    throw problem(
      child(site, 'usages', 'usages'),
      given('groups').length > 0 ? p : `${p} (kubeadm gives the token the default group ${DEFAULT_TOKEN_GROUPS[0]})`,
      'add authentication to usages: a bootstrap token always authenticates as its groups',
    );
  }
  if (t['expires'] !== undefined && t['expires'] !== null) {
    throw problem(
      child(site, 'expires', 'expires'),
      'is refused by kubeadm: it gives every bootstrap token a ttl (24h0m0s when none is set) and ttl and expires are mutually exclusive',
      'set ttl instead (for example ttl: 2h0m0s); ttl: 0s makes a token that never expires',
    );
  }
  if (site.doc.mode === 'emit' && typeof t['ttl'] === 'string' && t['ttl'].startsWith('-')) {
    throw problem(
      child(site, 'ttl', 'ttl'),
      'is negative: kubeadm would silently make a token that never expires',
      'write a positive ttl such as 1h0m0s, or 0s for a token that never expires on purpose',
    );
  }
}

// ---------------------------------------------------------------- shared field specs

const apiEndpointSpec = object({ advertiseAddress: str(), bindPort: int32(portCheck) });

const taintSpec = object(
  { key: str(), value: str(), effect: str(oneOf(TAINT_EFFECTS, 'taint effect')) },
  { required: ['key', 'effect'] },
);

const patchesSpec = object({ directory: str() });

const timeoutsSpec = object(Object.fromEntries(TIMEOUT_NAMES.map((n) => [n, duration])));

const envVarSpec = object({ name: str(), value: str() }, { required: ['name'] });

const hostPathMountSpec = object(
  { name: str(), hostPath: str(), mountPath: str(), readOnly: bool, pathType: str(oneOf(HOST_PATH_TYPES, 'hostPath type')) },
  { required: ['name', 'hostPath', 'mountPath'] },
);

/** Extra arguments: a map before v1beta4, a list of `{name, value}` from v1beta4 (duplicates allowed there). */
function argsSpec(asList: boolean): Spec {
  return asList ? list(object({ name: str(), value: str() }, { required: ['name'] })) : map(str());
}

const bootstrapTokenSpec = object(
  {
    token: str(tokenCheck),
    description: str(),
    ttl: duration,
    expires: time,
    usages: list(str(usageCheck)),
    groups: list(str(groupCheck)),
  },
  { check: bootstrapTokenCheck },
);

/** NodeRegistrationOptions with the fields a version has. */
function nodeRegistrationSpec(o: { argsAsList: boolean; imagePullPolicy: boolean; imagePullSerial: boolean }): ObjectSpec {
  return object({
    name: str(),
    criSocket: str(),
    taints: list(taintSpec),
    kubeletExtraArgs: argsSpec(o.argsAsList),
    ignorePreflightErrors: list(str()),
    ...(o.imagePullPolicy ? { imagePullPolicy: str(oneOf(PULL_POLICIES, 'image pull policy')) } : {}),
    ...(o.imagePullSerial ? { imagePullSerial: bool } : {}),
  });
}

/** kubeadm's ValidateDiscovery / ValidateDiscoveryBootstrapToken / ValidateDiscoveryFile. */
function discoveryCheck(d: JsonObject, site: Site): void {
  const token = d['bootstrapToken'];
  const file = d['file'];
  const hasToken = token !== undefined && token !== null;
  const hasFile = file !== undefined && file !== null;
  if (hasToken && hasFile) {
    throw problem(site, 'bootstrapToken and file are both set', 'keep exactly one discovery method: bootstrapToken or file');
  }
  if (!hasToken && !hasFile) {
    throw problem(site, 'neither bootstrapToken nor file is set', 'set discovery.bootstrapToken (token discovery) or discovery.file (kubeconfig discovery)');
  }
  if (isObject(token)) {
    const at = child(site, 'bootstrapToken', 'bootstrapToken');
    const endpoint = token['apiServerEndpoint'];
    if (endpoint === undefined || endpoint === null || endpoint === '') {
      throw problem(child(at, 'apiServerEndpoint', 'apiServerEndpoint'), 'is required for token discovery', 'set it to the API server\'s host:port, e.g. 10.0.0.1:6443');
    }
    const hashes = token['caCertHashes'];
    const skip = token['unsafeSkipCAVerification'];
    if ((!Array.isArray(hashes) || hashes.length === 0) && skip !== true) {
      throw problem(
        at,
        'token discovery without caCertHashes can be unsafe: the node could trust an impostor control plane',
        'set caCertHashes to the CA public key pin (sha256:...), or set unsafeSkipCAVerification: true to accept that risk',
      );
    }
  }
}

/** Discovery (with `timeout` before v1beta4) and kubeadm's discovery rules. */
function discoverySpec(o: { timeout: boolean }): ObjectSpec {
  return object(
    {
      bootstrapToken: object(
        {
          token: str(tokenCheck),
          apiServerEndpoint: str(hostPortCheck),
          caCertHashes: list(str(pinCheck)),
          unsafeSkipCAVerification: bool,
        },
        { required: ['token'] },
      ),
      file: object({ kubeConfigPath: str() }, { required: ['kubeConfigPath'] }),
      tlsBootstrapToken: str(tokenCheck),
      ...(o.timeout ? { timeout: duration } : {}),
    },
    { check: discoveryCheck },
  );
}

const joinControlPlaneSpec = object({ localAPIEndpoint: apiEndpointSpec, certificateKey: str(certificateKeyCheck) });

const certificateKeySpec = str(certificateKeyCheck);

/** ControlPlaneComponent (extraArgs, extraVolumes, v1beta4 extraEnvs) plus `extra` fields (APIServer's). */
function controlPlaneComponentSpec(o: { argsAsList: boolean; extraEnvs: boolean }, extra: Record<string, Spec> = {}): ObjectSpec {
  return object({
    extraArgs: argsSpec(o.argsAsList),
    extraVolumes: list(hostPathMountSpec),
    ...(o.extraEnvs ? { extraEnvs: list(envVarSpec) } : {}),
    ...extra,
  });
}

function etcdCheck(e: JsonObject, site: Site): void {
  if (isObject(e['local']) && isObject(e['external'])) {
    throw problem(site, 'local and external are both set', 'keep etcd.local (kubeadm runs etcd) or etcd.external (your own etcd), not both');
  }
}

/** Etcd: local or external, never both; external needs endpoints. */
function etcdSpec(o: { argsAsList: boolean; extraEnvs: boolean }): ObjectSpec {
  return object(
    {
      local: object({
        imageRepository: str(),
        imageTag: str(),
        dataDir: str(),
        extraArgs: argsSpec(o.argsAsList),
        ...(o.extraEnvs ? { extraEnvs: list(envVarSpec) } : {}),
        serverCertSANs: list(str()),
        peerCertSANs: list(str()),
      }),
      external: object(
        { endpoints: list(str()), caFile: str(), certFile: str(), keyFile: str() },
        {
          check: (x, site) => {
            const endpoints = x['endpoints'];
            if (!Array.isArray(endpoints) || endpoints.length === 0) {
              throw problem(child(site, 'endpoints', 'endpoints'), 'is required for external etcd', 'list the etcd client URLs, e.g. https://10.0.0.5:2379');
            }
          },
        },
      ),
    },
    { check: etcdCheck },
  );
}

const networkingSpec = object({ serviceSubnet: str(), podSubnet: str(), dnsDomain: str() });

/** DNS: `type` in v1beta2 only, `disabled` from v1beta4. */
function dnsSpec(o: { type: boolean; disabled: boolean }): ObjectSpec {
  return object({
    ...(o.type ? { type: str(oneOf(DNS_TYPES, 'DNS add-on type')) } : {}),
    imageRepository: str(),
    imageTag: str(),
    ...(o.disabled ? { disabled: bool } : {}),
  });
}

const encryptionAlgorithmSpec = str(oneOf(ENCRYPTION_ALGORITHMS, 'encryption algorithm'));

const stringList = list(str());
const featureGatesSpec = map(bool);

/**
 * The field specs of the three kinds in config API `version`, as each version's types.go has them:
 * v1beta2 alone has `dns.type` and `useHyperKubeImage`; v1beta3 adds skipPhases, patches and
 * imagePullPolicy; v1beta4 turns extra arguments into `{name, value}` lists, moves the timeouts into
 * `timeouts` (no `discovery.timeout`, no `apiServer.timeoutForControlPlane`) and adds dryRun,
 * imagePullSerial, extraEnvs, dns.disabled, proxy, encryptionAlgorithm and the validity periods.
 */
export function versionSchemas(version: ConfigApiVersion): Readonly<Record<KubeadmKind, ObjectSpec>> {
  const since = (v: ConfigApiVersion): boolean => versionRank(version) >= versionRank(v);
  const v1beta3 = since('v1beta3');
  const v1beta4 = since('v1beta4');
  const component = { argsAsList: v1beta4, extraEnvs: v1beta4 };
  const nodeRegistration = nodeRegistrationSpec({ argsAsList: v1beta4, imagePullPolicy: v1beta3, imagePullSerial: v1beta4 });
  const dryRun: Record<string, Spec> = v1beta4 ? { dryRun: bool } : {};
  const phases: Record<string, Spec> = v1beta3 ? { skipPhases: stringList, patches: patchesSpec } : {};
  const timeouts: Record<string, Spec> = v1beta4 ? { timeouts: timeoutsSpec } : {};
  return {
    InitConfiguration: object({
      bootstrapTokens: list(bootstrapTokenSpec),
      ...dryRun,
      nodeRegistration,
      localAPIEndpoint: apiEndpointSpec,
      certificateKey: certificateKeySpec,
      ...phases,
      ...timeouts,
    }),
    ClusterConfiguration: object({
      etcd: etcdSpec(component),
      networking: networkingSpec,
      kubernetesVersion: str(),
      controlPlaneEndpoint: str(),
      apiServer: controlPlaneComponentSpec(component, { certSANs: stringList, ...(v1beta4 ? {} : { timeoutForControlPlane: duration }) }),
      controllerManager: controlPlaneComponentSpec(component),
      scheduler: controlPlaneComponentSpec(component),
      dns: dnsSpec({ type: !v1beta3, disabled: v1beta4 }),
      ...(v1beta4 ? { proxy: object({ disabled: bool }) } : {}),
      certificatesDir: str(),
      imageRepository: str(),
      ...(v1beta3 ? {} : { useHyperKubeImage: bool }),
      featureGates: featureGatesSpec,
      clusterName: str(),
      ...(v1beta4
        ? { encryptionAlgorithm: encryptionAlgorithmSpec, certificateValidityPeriod: duration, caCertificateValidityPeriod: duration }
        : {}),
    }),
    JoinConfiguration: object(
      {
        ...dryRun,
        nodeRegistration,
        caCertPath: str(),
        discovery: discoverySpec({ timeout: !v1beta4 }),
        controlPlane: joinControlPlaneSpec,
        ...phases,
        ...timeouts,
      },
      { required: ['discovery'] },
    ),
  };
}

// ---------------------------------------------------------------- superset <-> versioned

/** Paths of the extra-argument fields in each kind (superset and versioned names agree). */
const ARG_PATHS: Readonly<Record<KubeadmKind, readonly (readonly string[])[]>> = {
  InitConfiguration: [['nodeRegistration', 'kubeletExtraArgs']],
  JoinConfiguration: [['nodeRegistration', 'kubeletExtraArgs']],
  ClusterConfiguration: [
    ['apiServer', 'extraArgs'],
    ['controllerManager', 'extraArgs'],
    ['scheduler', 'extraArgs'],
    ['etcd', 'local', 'extraArgs'],
  ],
};

function parentOf(doc: JsonObject, path: readonly string[]): JsonObject | undefined {
  let o: Json | undefined = doc;
  for (const seg of path.slice(0, -1)) {
    if (!isObject(o)) return undefined;
    o = o[seg];
  }
  return isObject(o) ? o : undefined;
}

/** KUBEADM_FIELD_UNSUPPORTED for a field of `kind` that `version` cannot hold. */
export function unsupported(kind: KubeadmKind, version: ConfigApiVersion, path: string, fix: string): JoineryError {
  return new JoineryError(
    'KUBEADM_FIELD_UNSUPPORTED',
    `${kind} ${kubeadmApiVersion(version)} ${path}: cannot be written in ${kubeadmApiVersion(version)}`,
    fix,
    { path },
  );
}

const V1BETA4_NEEDED = `needs ${kubeadmApiVersion('v1beta4')} (${kubernetesRangeText('v1beta4')})`;

/** v1beta4 `{name, value}` lists → v1beta2/v1beta3 maps; a repeated name cannot be a map key. */
function argListsToMaps(kind: KubeadmKind, version: ConfigApiVersion, doc: JsonObject): void {
  for (const path of ARG_PATHS[kind]) {
    const parent = parentOf(doc, path);
    const key = path[path.length - 1] as string;
    const args = parent?.[key];
    if (!parent || !Array.isArray(args)) continue;
    const m: JsonObject = {};
    args.forEach((arg, i) => {
      const name = isObject(arg) ? arg['name'] : undefined;
      const value = isObject(arg) ? arg['value'] : undefined;
      if (typeof name !== 'string') return;
      if (Object.prototype.hasOwnProperty.call(m, name)) {
        throw new JoineryError(
          'KUBEADM_FIELD_UNSUPPORTED',
          `${kind} ${kubeadmApiVersion(version)} ${path.join('.')}[${i}]: the argument ${JSON.stringify(name)} is given twice, but ${kubeadmApiVersion(version)} keeps extra arguments in a map`,
          `give ${JSON.stringify(name)} once, or write ${kubeadmApiVersion('v1beta4')} (${kubernetesRangeText('v1beta4')}), whose argument lists allow repeats`,
          { path: `${path.join('.')}[${i}]` },
        );
      }
      Object.defineProperty(m, name, { value: typeof value === 'string' ? value : '', enumerable: true, writable: true, configurable: true });
    });
    parent[key] = m;
  }
}

/** v1beta2/v1beta3 maps → v1beta4 lists, sorted by name as kubeadm's own conversion does. */
function argMapsToLists(kind: KubeadmKind, doc: JsonObject): void {
  for (const path of ARG_PATHS[kind]) {
    const parent = parentOf(doc, path);
    const key = path[path.length - 1] as string;
    const args = parent?.[key];
    if (!parent || !isObject(args)) continue;
    parent[key] = Object.keys(args)
      .sort(goStringCompare)
      .map((name) => ({ name, value: args[name] as Json }));
  }
}

/**
 * Superset → v1beta2/v1beta3: argument maps, `discovery.timeout`; other timeouts cannot be written.
 * Takes ownership of `superset`: it is changed in place and returned, so pass a document nobody else
 * holds (the emitters pass the one *ToSuperset has just built; structuredClone() it otherwise).
 */
export function toMapVersion(version: ConfigApiVersion, kind: KubeadmKind, superset: JsonObject): JsonObject {
  const doc = superset;
  argListsToMaps(kind, version, doc);
  const timeouts = doc['timeouts'];
  if (isObject(timeouts)) {
    if (kind === 'JoinConfiguration' && timeouts['discovery'] !== undefined) {
      const discovery = isObject(doc['discovery']) ? doc['discovery'] : (doc['discovery'] = {});
      discovery['timeout'] = timeouts['discovery'];
    }
    for (const name of Object.keys(timeouts)) {
      if (kind === 'JoinConfiguration' && name === 'discovery') continue;
      const fix =
        kind === 'InitConfiguration' && name === 'controlPlaneComponentHealthCheck'
          ? `before v1beta4 this timeout is the ClusterConfiguration's apiServer.timeoutForControlPlane: write the InitConfiguration and ClusterConfiguration together (kubeadmDocuments), or use ${kubeadmApiVersion('v1beta4')} (${kubernetesRangeText('v1beta4')})`
          : kind === 'JoinConfiguration'
            ? `timeouts.${name} ${V1BETA4_NEEDED}; before it a JoinConfiguration has only discovery.timeout (timeouts.discovery)`
            : `timeouts.${name} ${V1BETA4_NEEDED}`;
      throw unsupported(kind, version, `timeouts.${name}`, fix);
    }
    delete doc['timeouts'];
  }
  return doc;
}

/**
 * v1beta2/v1beta3 → superset. Takes ownership of `versioned`: it is changed in place and returned, so
 * pass a document nobody else holds (the parser passes the body it has just read; structuredClone() it otherwise).
 */
export function fromMapVersion(kind: KubeadmKind, versioned: JsonObject): JsonObject {
  const doc = versioned;
  argMapsToLists(kind, doc);
  if (kind === 'JoinConfiguration' && isObject(doc['discovery']) && doc['discovery']['timeout'] !== undefined) {
    const t = doc['discovery']['timeout'];
    delete doc['discovery']['timeout'];
    if (t !== null) doc['timeouts'] = { discovery: t };
  }
  return doc;
}

/** v1beta3 and later always run CoreDNS, so an explicit `dns.type: CoreDNS` from v1beta2 is dropped. */
export function dropCoreDnsType(kind: KubeadmKind, doc: JsonObject): void {
  if (kind !== 'ClusterConfiguration') return;
  const dns = doc['dns'];
  if (isObject(dns) && dns['type'] === 'CoreDNS') {
    delete dns['type'];
    if (Object.keys(dns).length === 0) delete doc['dns'];
  }
}
