/**
 * The neutral model ⇄ the superset document (v1beta4 field names and JSON value forms). Go's
 * `omitempty` rules decide what is written: empty strings, empty lists, false booleans and zero ports
 * are "not set"; pointer fields (controlPlane, patches, timeouts, etcd.local...) are written when set,
 * even when empty, because their presence means something to kubeadm. `taints` has no omitempty: `[]`
 * (no taints) differs from unset (kubeadm's default taint).
 */
import { formatDuration, parseDuration } from '../duration/index.js';
import type {
  APIEndpoint,
  APIServer,
  Arg,
  BootstrapToken,
  BootstrapTokenDiscovery,
  ClusterConfiguration,
  ControlPlaneComponent,
  DNS,
  Discovery,
  Duration,
  EnvVar,
  Etcd,
  ExternalEtcd,
  HostPathMount,
  InitConfiguration,
  JoinConfiguration,
  NodeRegistration,
  Patches,
  Taint,
  Timeouts,
} from './model.js';
import { TIMEOUT_NAMES } from './model.js';
import { isObject, type Json, type JsonObject } from './schema.js';

// ---------------------------------------------------------------- model -> superset

type Out = JsonObject;

function setString(o: Out, key: string, v: string | undefined): void {
  if (v !== undefined && v !== '') o[key] = v;
}
function setBool(o: Out, key: string, v: boolean | undefined): void {
  if (v === true) o[key] = true;
}
function setList(o: Out, key: string, v: readonly Json[] | undefined): void {
  if (v !== undefined && v.length > 0) o[key] = [...v];
}
function setObject(o: Out, key: string, v: Out | undefined): void {
  if (v !== undefined && Object.keys(v).length > 0) o[key] = v;
}
function setDuration(o: Out, key: string, v: Duration | undefined): void {
  if (v !== undefined) o[key] = formatDuration(v);
}

const argsOut = (args: readonly Arg[] | undefined): Json[] | undefined => args?.map((a) => ({ name: a.name, value: a.value }));
const envsOut = (envs: readonly EnvVar[] | undefined): Json[] | undefined => envs?.map((e) => ({ name: e.name, value: e.value }));

function taintOut(t: Taint): Out {
  const o: Out = { key: t.key, effect: t.effect };
  setString(o, 'value', t.value);
  return o;
}

function nodeRegistrationOut(n: NodeRegistration | undefined): Out | undefined {
  if (!n) return undefined;
  const o: Out = {};
  setString(o, 'name', n.name);
  setString(o, 'criSocket', n.criSocket);
  if (n.taints !== undefined) o['taints'] = n.taints.map(taintOut);
  setList(o, 'kubeletExtraArgs', argsOut(n.kubeletExtraArgs));
  setList(o, 'ignorePreflightErrors', n.ignorePreflightErrors);
  setString(o, 'imagePullPolicy', n.imagePullPolicy);
  if (n.imagePullSerial !== undefined) o['imagePullSerial'] = n.imagePullSerial;
  return o;
}

function apiEndpointOut(e: APIEndpoint | undefined): Out | undefined {
  if (!e) return undefined;
  const o: Out = {};
  setString(o, 'advertiseAddress', e.advertiseAddress);
  if (e.bindPort !== undefined && e.bindPort !== 0) o['bindPort'] = e.bindPort;
  return o;
}

function timeoutsOut(t: Timeouts | undefined): Out | undefined {
  if (!t) return undefined;
  const o: Out = {};
  for (const name of TIMEOUT_NAMES) setDuration(o, name, t[name]);
  return o;
}

function patchesOut(p: Patches | undefined): Out | undefined {
  if (!p) return undefined;
  const o: Out = {};
  setString(o, 'directory', p.directory);
  return o;
}

/** skipPhases, patches and timeouts, which InitConfiguration and JoinConfiguration both end with. */
function setPhasesAndTimeouts(o: Out, m: InitConfiguration | JoinConfiguration): void {
  setList(o, 'skipPhases', m.skipPhases);
  const patches = patchesOut(m.patches);
  if (patches) o['patches'] = patches;
  const timeouts = timeoutsOut(m.timeouts);
  if (timeouts) o['timeouts'] = timeouts;
}

function discoveryOut(d: Discovery | undefined): Out {
  const o: Out = {};
  if (!d) return o;
  if (d.bootstrapToken) {
    const b = d.bootstrapToken;
    const bo: Out = { token: b.token };
    setString(bo, 'apiServerEndpoint', b.apiServerEndpoint);
    setList(bo, 'caCertHashes', b.caCertHashes);
    setBool(bo, 'unsafeSkipCAVerification', b.unsafeSkipCAVerification);
    o['bootstrapToken'] = bo;
  }
  if (d.file) o['file'] = { kubeConfigPath: d.file.kubeConfigPath };
  setString(o, 'tlsBootstrapToken', d.tlsBootstrapToken);
  return o;
}

/** JoinConfiguration model → superset document body. */
export function joinToSuperset(m: JoinConfiguration): Out {
  const o: Out = {};
  setBool(o, 'dryRun', m.dryRun);
  setObject(o, 'nodeRegistration', nodeRegistrationOut(m.nodeRegistration));
  setString(o, 'caCertPath', m.caCertPath);
  o['discovery'] = discoveryOut(m.discovery);
  if (m.controlPlane) {
    const cp: Out = {};
    setObject(cp, 'localAPIEndpoint', apiEndpointOut(m.controlPlane.localAPIEndpoint));
    setString(cp, 'certificateKey', m.controlPlane.certificateKey);
    o['controlPlane'] = cp;
  }
  setPhasesAndTimeouts(o, m);
  return o;
}

function bootstrapTokenOut(t: BootstrapToken, i: number): Out {
  const o: Out = {};
  setString(o, 'token', t.token);
  setString(o, 'description', t.description);
  setDuration(o, 'ttl', t.ttl);
  setList(o, 'usages', t.usages);
  setList(o, 'groups', t.groups);
  return o;
}

/** InitConfiguration model → superset document body. */
export function initToSuperset(m: InitConfiguration): Out {
  const o: Out = {};
  setList(o, 'bootstrapTokens', m.bootstrapTokens?.map(bootstrapTokenOut));
  setBool(o, 'dryRun', m.dryRun);
  setObject(o, 'nodeRegistration', nodeRegistrationOut(m.nodeRegistration));
  setObject(o, 'localAPIEndpoint', apiEndpointOut(m.localAPIEndpoint));
  setString(o, 'certificateKey', m.certificateKey);
  setPhasesAndTimeouts(o, m);
  return o;
}

function hostPathMountOut(v: HostPathMount): Out {
  const o: Out = { name: v.name, hostPath: v.hostPath, mountPath: v.mountPath };
  setBool(o, 'readOnly', v.readOnly);
  setString(o, 'pathType', v.pathType);
  return o;
}

function componentOut(c: ControlPlaneComponent | undefined): Out | undefined {
  if (!c) return undefined;
  const o: Out = {};
  setList(o, 'extraArgs', argsOut(c.extraArgs));
  setList(o, 'extraVolumes', c.extraVolumes?.map(hostPathMountOut));
  setList(o, 'extraEnvs', envsOut(c.extraEnvs));
  return o;
}

function apiServerOut(a: APIServer | undefined): Out | undefined {
  if (!a) return undefined;
  const o = componentOut(a) as Out;
  setList(o, 'certSANs', a.certSANs);
  return o;
}

function etcdOut(e: Etcd | undefined): Out | undefined {
  if (!e) return undefined;
  const o: Out = {};
  if (e.local) {
    const l: Out = {};
    setString(l, 'imageRepository', e.local.imageRepository);
    setString(l, 'imageTag', e.local.imageTag);
    setString(l, 'dataDir', e.local.dataDir);
    setList(l, 'extraArgs', argsOut(e.local.extraArgs));
    setList(l, 'extraEnvs', envsOut(e.local.extraEnvs));
    setList(l, 'serverCertSANs', e.local.serverCertSANs);
    setList(l, 'peerCertSANs', e.local.peerCertSANs);
    o['local'] = l;
  }
  if (e.external) {
    const x: Out = { endpoints: [...e.external.endpoints] };
    setString(x, 'caFile', e.external.caFile);
    setString(x, 'certFile', e.external.certFile);
    setString(x, 'keyFile', e.external.keyFile);
    o['external'] = x;
  }
  return o;
}

function dnsOut(d: DNS | undefined): Out | undefined {
  if (!d) return undefined;
  const o: Out = {};
  setString(o, 'type', d.type);
  setString(o, 'imageRepository', d.imageRepository);
  setString(o, 'imageTag', d.imageTag);
  setBool(o, 'disabled', d.disabled);
  return o;
}

/**
 * ClusterConfiguration model → superset document body. `timeoutForControlPlane` (the InitConfiguration's
 * controlPlaneComponentHealthCheck) is added as apiServer.timeoutForControlPlane, for versions before v1beta4.
 */
export function clusterToSuperset(m: ClusterConfiguration, timeoutForControlPlane?: Duration): Out {
  const o: Out = {};
  setObject(o, 'etcd', etcdOut(m.etcd));
  if (m.networking) {
    const n: Out = {};
    setString(n, 'serviceSubnet', m.networking.serviceSubnet);
    setString(n, 'podSubnet', m.networking.podSubnet);
    setString(n, 'dnsDomain', m.networking.dnsDomain);
    setObject(o, 'networking', n);
  }
  setString(o, 'kubernetesVersion', m.kubernetesVersion);
  setString(o, 'controlPlaneEndpoint', m.controlPlaneEndpoint);
  const apiServer = apiServerOut(m.apiServer) ?? {};
  setDuration(apiServer, 'timeoutForControlPlane', timeoutForControlPlane);
  setObject(o, 'apiServer', apiServer);
  setObject(o, 'controllerManager', componentOut(m.controllerManager));
  setObject(o, 'scheduler', componentOut(m.scheduler));
  setObject(o, 'dns', dnsOut(m.dns));
  if (m.proxy) {
    const p: Out = {};
    setBool(p, 'disabled', m.proxy.disabled);
    setObject(o, 'proxy', p);
  }
  setString(o, 'certificatesDir', m.certificatesDir);
  setString(o, 'imageRepository', m.imageRepository);
  setBool(o, 'useHyperKubeImage', m.useHyperKubeImage);
  if (m.featureGates && Object.keys(m.featureGates).length > 0) o['featureGates'] = { ...m.featureGates };
  setString(o, 'clusterName', m.clusterName);
  setString(o, 'encryptionAlgorithm', m.encryptionAlgorithm);
  setDuration(o, 'certificateValidityPeriod', m.certificateValidityPeriod);
  setDuration(o, 'caCertificateValidityPeriod', m.caCertificateValidityPeriod);
  return o;
}

// ---------------------------------------------------------------- superset -> model
// The document has passed the schema check, so types are known; these only read.

type In = JsonObject;

const obj = (v: Json | undefined): In | undefined => (isObject(v) ? v : undefined);
const text = (v: Json | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const flag = (v: Json | undefined): true | undefined => (v === true ? true : undefined);
const strings = (v: Json | undefined): string[] | undefined =>
  Array.isArray(v) && v.length > 0 ? v.map((x) => String(x)) : undefined;
const dur = (v: Json | undefined): Duration | undefined => (typeof v === 'string' ? parseDuration(v) : undefined);

function assign<T extends object>(target: T, values: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [k, v] of Object.entries(values)) {
    if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  }
  return target;
}

function nonEmpty<T extends object>(o: T): T | undefined {
  return Object.keys(o).length > 0 ? o : undefined;
}

function argsIn(v: Json | undefined): Arg[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  return v.map((a) => {
    const o = a as In;
    return { name: String(o['name']), value: typeof o['value'] === 'string' ? o['value'] : '' };
  });
}
const envsIn = argsIn as (v: Json | undefined) => EnvVar[] | undefined;

function nodeRegistrationIn(v: Json | undefined): NodeRegistration | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const taints = Array.isArray(o['taints'])
    ? o['taints'].map((t) => {
        const x = t as In;
        return assign({ key: String(x['key']), effect: x['effect'] } as Taint, { value: text(x['value']) });
      })
    : undefined;
  return nonEmpty(
    assign({} as NodeRegistration, {
      name: text(o['name']),
      criSocket: text(o['criSocket']),
      taints,
      kubeletExtraArgs: argsIn(o['kubeletExtraArgs']),
      ignorePreflightErrors: strings(o['ignorePreflightErrors']),
      imagePullPolicy: text(o['imagePullPolicy']) as NodeRegistration['imagePullPolicy'],
      imagePullSerial: typeof o['imagePullSerial'] === 'boolean' ? o['imagePullSerial'] : undefined,
    }),
  );
}

function apiEndpointIn(v: Json | undefined): APIEndpoint | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const port = o['bindPort'];
  return nonEmpty(
    assign({} as APIEndpoint, {
      advertiseAddress: text(o['advertiseAddress']),
      bindPort: typeof port === 'number' && port !== 0 ? port : undefined,
    }),
  );
}

function timeoutsIn(v: Json | undefined): Timeouts | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const t: Timeouts = {};
  for (const name of TIMEOUT_NAMES) {
    const d = dur(o[name]);
    if (d !== undefined) t[name] = d;
  }
  return t;
}

function patchesIn(v: Json | undefined): Patches | undefined {
  const o = obj(v);
  return o ? assign({} as Patches, { directory: text(o['directory']) }) : undefined;
}

function discoveryIn(v: Json | undefined): Discovery {
  const o = obj(v) ?? {};
  const d: Discovery = {};
  const b = obj(o['bootstrapToken']);
  if (b) {
    d.bootstrapToken = assign(
      { token: String(b['token'] ?? '') } as BootstrapTokenDiscovery,
      {
        apiServerEndpoint: text(b['apiServerEndpoint']),
        caCertHashes: strings(b['caCertHashes']),
        unsafeSkipCAVerification: flag(b['unsafeSkipCAVerification']),
      },
    );
  }
  const f = obj(o['file']);
  if (f) d.file = { kubeConfigPath: String(f['kubeConfigPath'] ?? '') };
  const tls = text(o['tlsBootstrapToken']);
  if (tls !== undefined) d.tlsBootstrapToken = tls;
  return d;
}

/** Superset document body → JoinConfiguration model. */
export function joinFromSuperset(o: In): JoinConfiguration {
  const cp = obj(o['controlPlane']);
  return assign({ discovery: discoveryIn(o['discovery']) } as JoinConfiguration, {
    dryRun: flag(o['dryRun']),
    nodeRegistration: nodeRegistrationIn(o['nodeRegistration']),
    caCertPath: text(o['caCertPath']),
    controlPlane: cp
      ? assign({}, { localAPIEndpoint: apiEndpointIn(cp['localAPIEndpoint']), certificateKey: text(cp['certificateKey']) })
      : undefined,
    skipPhases: strings(o['skipPhases']),
    patches: patchesIn(o['patches']),
    timeouts: timeoutsIn(o['timeouts']),
  });
}

function bootstrapTokenIn(v: Json): BootstrapToken {
  const o = v as In;
  return assign({} as BootstrapToken, {
    token: text(o['token']),
    description: text(o['description']),
    ttl: dur(o['ttl']),
    usages: strings(o['usages']),
    groups: strings(o['groups']),
  });
}

/** Superset document body → InitConfiguration model. */
export function initFromSuperset(o: In): InitConfiguration {
  const tokens = o['bootstrapTokens'];
  return assign({} as InitConfiguration, {
    bootstrapTokens: Array.isArray(tokens) && tokens.length > 0 ? tokens.map(bootstrapTokenIn) : undefined,
    dryRun: flag(o['dryRun']),
    nodeRegistration: nodeRegistrationIn(o['nodeRegistration']),
    localAPIEndpoint: apiEndpointIn(o['localAPIEndpoint']),
    certificateKey: text(o['certificateKey']),
    skipPhases: strings(o['skipPhases']),
    patches: patchesIn(o['patches']),
    timeouts: timeoutsIn(o['timeouts']),
  });
}

function hostPathMountIn(v: Json): HostPathMount {
  const o = v as In;
  return assign(
    { name: String(o['name']), hostPath: String(o['hostPath']), mountPath: String(o['mountPath']) } as HostPathMount,
    { readOnly: flag(o['readOnly']), pathType: text(o['pathType']) as HostPathMount['pathType'] },
  );
}

function componentIn(v: Json | undefined): ControlPlaneComponent | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const volumes = o['extraVolumes'];
  return nonEmpty(
    assign({} as ControlPlaneComponent, {
      extraArgs: argsIn(o['extraArgs']),
      extraVolumes: Array.isArray(volumes) && volumes.length > 0 ? volumes.map(hostPathMountIn) : undefined,
      extraEnvs: envsIn(o['extraEnvs']),
    }),
  );
}

function etcdIn(v: Json | undefined): Etcd | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const e: Etcd = {};
  const l = obj(o['local']);
  if (l) {
    e.local = assign(
      {},
      {
        imageRepository: text(l['imageRepository']),
        imageTag: text(l['imageTag']),
        dataDir: text(l['dataDir']),
        extraArgs: argsIn(l['extraArgs']),
        extraEnvs: envsIn(l['extraEnvs']),
        serverCertSANs: strings(l['serverCertSANs']),
        peerCertSANs: strings(l['peerCertSANs']),
      },
    );
  }
  const x = obj(o['external']);
  if (x) {
    e.external = assign(
      { endpoints: strings(x['endpoints']) ?? [] } as ExternalEtcd,
      { caFile: text(x['caFile']), certFile: text(x['certFile']), keyFile: text(x['keyFile']) },
    );
  }
  return nonEmpty(e);
}

/**
 * Superset document body → ClusterConfiguration model, and apiServer.timeoutForControlPlane (v1beta2,
 * v1beta3), which belongs in the InitConfiguration's timeouts.controlPlaneComponentHealthCheck.
 */
export function clusterFromSuperset(o: In): { cluster: ClusterConfiguration; timeoutForControlPlane?: Duration } {
  const apiServerJson = obj(o['apiServer']);
  const apiServer = componentIn(apiServerJson) as APIServer | undefined;
  const certSANs = strings(apiServerJson?.['certSANs']);
  const dns = obj(o['dns']);
  const proxy = obj(o['proxy']);
  const networking = obj(o['networking']);
  const gates = obj(o['featureGates']);
  const cluster = assign({} as ClusterConfiguration, {
    etcd: etcdIn(o['etcd']),
    networking: networking
      ? nonEmpty(
          assign(
            {},
            {
              serviceSubnet: text(networking['serviceSubnet']),
              podSubnet: text(networking['podSubnet']),
              dnsDomain: text(networking['dnsDomain']),
            },
          ),
        )
      : undefined,
    kubernetesVersion: text(o['kubernetesVersion']),
    controlPlaneEndpoint: text(o['controlPlaneEndpoint']),
    apiServer: certSANs ? assign(apiServer ?? {}, { certSANs }) : apiServer,
    controllerManager: componentIn(o['controllerManager']),
    scheduler: componentIn(o['scheduler']),
    dns: dns
      ? nonEmpty(
          assign({} as DNS, {
            type: text(dns['type']) as DNS['type'],
            imageRepository: text(dns['imageRepository']),
            imageTag: text(dns['imageTag']),
            disabled: flag(dns['disabled']),
          }),
        )
      : undefined,
    proxy: proxy ? nonEmpty(assign({}, { disabled: flag(proxy['disabled']) })) : undefined,
    certificatesDir: text(o['certificatesDir']),
    imageRepository: text(o['imageRepository']),
    useHyperKubeImage: flag(o['useHyperKubeImage']),
    featureGates: gates && Object.keys(gates).length > 0 ? ({ ...gates } as Record<string, boolean>) : undefined,
    clusterName: text(o['clusterName']),
    encryptionAlgorithm: text(o['encryptionAlgorithm']) as ClusterConfiguration['encryptionAlgorithm'],
    certificateValidityPeriod: dur(o['certificateValidityPeriod']),
    caCertificateValidityPeriod: dur(o['caCertificateValidityPeriod']),
  });
  const t = dur(apiServerJson?.['timeoutForControlPlane']);
  return t === undefined ? { cluster } : { cluster, timeoutForControlPlane: t };
}
