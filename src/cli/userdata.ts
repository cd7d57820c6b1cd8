/**
 * `joinery userdata`: the bootstrap data (cloud-config, Ignition or a shell script) that makes a machine
 * the first control plane, an extra control plane or a worker. With a cluster it mints the node's token
 * and reads CA, endpoint and version from the cluster; offline it takes them from flags (the token from a
 * file or stdin, so it stays off argv). The output holds the token: it goes to stdout or to a 0600 file.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JoineryError } from '../errors/index.js';
import { KUBE_SYSTEM, clusterJoinFacts, createTokenSecret, mintNodeToken, type KubeClient } from '../cluster/index.js';
import { discoveryFileKubeconfig } from '../discovery/index.js';
import { validateNodeName } from '../kubeadm/index.js';
import { generateCertificateKey, kubeadmCertsOwnerToken, kubeadmCertsRbac, kubeadmCertsSecret, parseCaPins, parseCertificateKey } from '../pki/index.js';
import type { ClusterCas } from '../pki/index.js';
import { parseBootstrapToken } from '../token/index.js';
import { FORMATS, ROLES, type Format, type Role } from '../userdata/plan.js';
import { clusterClient, type ClusterOptions } from './cluster-options.js';
import { writeFileAtomic } from './files.js';
import type { Io } from './report.js';
import { portFlag, readFlagFile } from './input.js';

export interface UserdataOptions extends ClusterOptions {
  role?: string;
  nodeName?: string;
  format?: string;
  ignitionVersion: string;
  caValidity?: string;
  caKeyAlgorithm?: string;
  /** `NAMESPACE/CLUSTER`: the CAs from Cluster API's Secrets <CLUSTER>-ca, -etcd, -proxy, -sa. */
  casFromSecrets?: string;
  jinja?: boolean;
  spec?: string;
  out?: string;
  maxSize: string;
  discovery: string;
  discoveryFilePath: string;
  ttl: string;
  kubernetesVersion?: string;
  // offline
  token?: string;
  tokenFile?: string;
  caCertHash?: string[];
  endpoint?: string;
  // control plane and init
  certificateKeyFile?: string;
  uploadCerts?: boolean;
  inlineCas?: boolean;
  pkiDir?: string;
  advertiseAddress?: string;
  bindPort?: string;
  clusterName?: string;
  /** Namespace of the Secrets the spec's contentFrom/passwdFrom name. */
  specNamespace: string;
}

/** Where kubeadm keeps the CAs on a control-plane node. */
const DEFAULT_PKI_DIR = '/etc/kubernetes/pki';

function usage(code: string, message: string, fix: string, path: string): JoineryError {
  return new JoineryError(code, message, fix, { family: 'usage', path });
}

function readText(path: string, flag: string): Promise<string> {
  return readFlagFile(path, flag, `an existing file to ${flag} (or - for stdin)`);
}

/** The CAs in a kubeadm PKI directory, or undefined when it has none. */
async function casIn(dir: string): Promise<ClusterCas | undefined> {
  if (!existsSync(join(dir, 'ca.crt'))) return undefined;
  const { loadClusterCas, CLUSTER_CA_FILE_NAMES } = await import('../pki/ca.js');
  const files: Record<string, string> = {};
  for (const name of CLUSTER_CA_FILE_NAMES) {
    if (existsSync(join(dir, name))) files[name] = await readFile(join(dir, name), 'utf8');
  }
  const cas = loadClusterCas(files, new Date());
  if (cas.ca === undefined || cas.etcdCa === undefined || cas.frontProxyCa === undefined || cas.serviceAccount === undefined) {
    throw new JoineryError('PKI_DIR_INCOMPLETE', `${dir} lacks some of the cluster CAs (ca, etcd/ca, front-proxy-ca, sa)`, 'give a complete kubeadm PKI directory (/etc/kubernetes/pki on a control-plane node)', {
      family: 'input',
      path: '--pki-dir',
    });
  }
  return cas as ClusterCas;
}

/** The CAs of --pki-dir, generated and written there (keys 0600) when the directory has none. */
async function initCas(dir: string | undefined, options: UserdataOptions, io: Io): Promise<ClusterCas> {
  if (dir !== undefined) {
    const existing = await casIn(dir);
    if (existing !== undefined) return existing;
  }
  const { generateClusterCas, clusterCaFiles, CA_KEY_ALGORITHMS } = await import('../pki/ca.js');
  if (options.caKeyAlgorithm !== undefined && !(CA_KEY_ALGORITHMS as readonly string[]).includes(options.caKeyAlgorithm)) {
    throw usage('CA_KEY_ALGORITHM_INVALID', `--ca-key-algorithm ${JSON.stringify(options.caKeyAlgorithm)} is not supported`, `use one of ${CA_KEY_ALGORITHMS.join(', ')}`, '--ca-key-algorithm');
  }
  const cas = await generateClusterCas({
    now: new Date(),
    ...(options.caValidity === undefined ? {} : { validity: options.caValidity }),
    ...(options.caKeyAlgorithm === undefined ? {} : { keyAlgorithm: options.caKeyAlgorithm as (typeof CA_KEY_ALGORITHMS)[number] }),
  });
  if (dir !== undefined) {
    for (const f of clusterCaFiles(cas)) await writeFileAtomic(join(dir, f.path), f.content, f.mode);
    io.stderr(`generated the cluster CAs into ${dir} (keys mode 0600); keep them to add control planes later\n`);
  } else {
    io.stderr('generated the cluster CAs; they are only inside this bootstrap data (give --pki-dir DIR to keep a copy)\n');
  }
  return cas;
}

/** kubeadm's upload-certs, done through the API: a 2h owner token, kube-system/kubeadm-certs encrypted with a fresh key, and its RBAC. */
async function uploadClusterCas(client: KubeClient, cas: ClusterCas): Promise<string> {
  const key = generateCertificateKey();
  const owner = kubeadmCertsOwnerToken(new Date());
  const ownerSecret = await createTokenSecret(client, owner.secret);
  const secret = kubeadmCertsSecret(cas, key, { name: ownerSecret.metadata.name, uid: ownerSecret.metadata.uid ?? '' });
  const path = `/api/v1/namespaces/${KUBE_SYSTEM}/secrets`;
  const action = { verb: 'create' as const, resource: 'secrets', namespace: KUBE_SYSTEM };
  try {
    await client.request(path, { method: 'POST', body: secret, action });
  } catch (err) {
    if (!(err instanceof JoineryError && err.code === 'ALREADY_EXISTS')) throw err;
    await client.request(`${path}/${secret.metadata.name}`, { method: 'PUT', body: secret, action: { ...action, verb: 'update', name: secret.metadata.name } });
  }
  const [role, binding] = kubeadmCertsRbac();
  for (const [obj, res] of [
    [role, 'roles'],
    [binding, 'rolebindings'],
  ] as const) {
    try {
      await client.request(`/apis/rbac.authorization.k8s.io/v1/namespaces/${KUBE_SYSTEM}/${res}`, { method: 'POST', body: obj, action: { verb: 'create', resource: `${res}.rbac.authorization.k8s.io`, namespace: KUBE_SYSTEM } });
    } catch (err) {
      if (!(err instanceof JoineryError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }
  return key;
}

/**
 * The CAs from Cluster API's per-cluster Secrets (`<cluster>-ca`, `-etcd`, `-proxy` with tls.crt/tls.key,
 * `-sa` with tls.crt = public key, tls.key = private key), checked as PEM files are.
 */
async function casFromSecrets(client: KubeClient, ref: string): Promise<ClusterCas> {
  const m = /^([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(ref);
  if (!m) throw usage('CAS_SECRETS_INVALID', `--cas-from-secrets ${JSON.stringify(ref)} is not NAMESPACE/CLUSTER`, 'e.g. --cas-from-secrets default/my-cluster (reads my-cluster-ca, -etcd, -proxy, -sa)', '--cas-from-secrets');
  const [, namespace, cluster] = m as unknown as [string, string, string];
  const files: Record<string, string> = {};
  const parts: [string, string, string][] = [
    ['ca', 'ca.crt', 'ca.key'],
    ['etcd', 'etcd/ca.crt', 'etcd/ca.key'],
    ['proxy', 'front-proxy-ca.crt', 'front-proxy-ca.key'],
    ['sa', 'sa.pub', 'sa.key'],
  ];
  for (const [suffix, crt, key] of parts) {
    const name = `${cluster}-${suffix}`;
    const secret = await client.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`, {
      allowNotFound: true,
      action: { verb: 'get', resource: 'secrets', namespace, name },
    });
    const d = secret?.data ?? {};
    if (d['tls.crt'] === undefined || d['tls.key'] === undefined) {
      throw new JoineryError('CAS_SECRET_MISSING', `Secret ${namespace}/${name} is missing or has no tls.crt and tls.key`, `create it (Cluster API's layout), or give the CAs as files with --pki-dir`, {
        family: 'cluster',
        path: '--cas-from-secrets',
      });
    }
    files[crt] = Buffer.from(d['tls.crt'], 'base64').toString('utf8');
    files[key] = Buffer.from(d['tls.key'], 'base64').toString('utf8');
  }
  const { loadClusterCas } = await import('../pki/ca.js');
  return loadClusterCas(files, new Date()) as ClusterCas;
}

type SpecWithRefs = { files?: { contentFrom?: { secret: { name: string } } }[]; users?: { passwdFrom?: { secret: { name: string } } }[] };

/** Reads the Secrets the spec refers to (each once) and answers resolveSecretRefs' lookups from them. */
async function secretLookup(client: KubeClient, spec: unknown, namespace: string): Promise<(name: string, key: string) => Uint8Array | undefined> {
  const s = spec as SpecWithRefs;
  const names = new Set<string>();
  for (const f of s.files ?? []) if (f.contentFrom !== undefined) names.add(f.contentFrom.secret.name);
  for (const u of s.users ?? []) if (u.passwdFrom !== undefined) names.add(u.passwdFrom.secret.name);
  const data = new Map<string, Record<string, string>>();
  for (const name of names) {
    const secret = await client.request<{ data?: Record<string, string> }>(`/api/v1/namespaces/${namespace}/secrets/${name}`, {
      allowNotFound: true,
      action: { verb: 'get', resource: 'secrets', namespace, name },
    });
    if (secret?.data !== undefined) data.set(name, secret.data);
  }
  return (name, key) => {
    const v = data.get(name)?.[key];
    return v === undefined ? undefined : Buffer.from(v, 'base64');
  };
}

export async function userdata(options: UserdataOptions, io: Io): Promise<number> {
  if (options.role === undefined || !(ROLES as readonly string[]).includes(options.role)) {
    throw usage('ROLE_INVALID', `--role ${options.role === undefined ? 'is missing' : JSON.stringify(options.role) + ' is not a role'}`, `use --role ${ROLES.join('|')}`, '--role');
  }
  const role = options.role as Role;
  if (options.format !== undefined && !(FORMATS as readonly string[]).includes(options.format)) {
    throw usage('FORMAT_INVALID', `--format ${JSON.stringify(options.format)} is not a bootstrap-data format`, `use --format ${FORMATS.join('|')}`, '--format');
  }
  if (options.nodeName === undefined) throw usage('NODE_NAME_REQUIRED', 'userdata needs --node-name', 'give the name the node will register as: --node-name worker-1', '--node-name');
  const nodeName = validateNodeName(options.nodeName, '--node-name');
  const maxSize = Number(options.maxSize);
  if (!Number.isInteger(maxSize) || maxSize < 1) throw usage('MAX_SIZE_INVALID', `--max-size ${JSON.stringify(options.maxSize)} is not a positive number of bytes`, 'e.g. --max-size 16384 (EC2\'s user-data limit)', '--max-size');
  if (options.discovery !== 'file' && options.discovery !== 'token') throw usage('DISCOVERY_INVALID', `--discovery ${JSON.stringify(options.discovery)} is not a discovery mode`, 'use --discovery file (default) or token', '--discovery');
  const bindPort = portFlag(options.bindPort, '--bind-port');
  if (options.token !== undefined) io.stderr('warning: --token puts the token on the command line (visible in ps and shell history); prefer --token-file FILE or - for stdin\n');
  const offlineToken = options.tokenFile !== undefined ? (await readText(options.tokenFile, '--token-file')).trim() : options.token;
  const offline = role === 'init' || offlineToken !== undefined;

  const { parseMachineSpec, resolveSecretRefs } = await import('../userdata/spec/index.js');
  const { bootPlan } = await import('../userdata/roles/index.js');
  const render = await import('../userdata/render/index.js');
  let spec = parseMachineSpec(options.spec === undefined ? '{}' : await readText(options.spec, '--spec'), options.spec === undefined ? {} : { source: options.spec });
  // --format, else the spec's `format`, else cloud-config (Cluster API's default).
  const specFormat = (spec as { format?: Format }).format;
  const format: Format = (options.format as Format | undefined) ?? specFormat ?? 'cloud-config';
  if (specFormat !== undefined && options.format !== undefined && specFormat !== options.format) {
    io.stderr(`note: the spec says format ${specFormat}; --format ${options.format} wins\n`);
  }

  let client: KubeClient | undefined;
  try {
    let creds: Parameters<typeof bootPlan>[2];
    if (role === 'init') {
      if (options.endpoint === undefined || options.kubernetesVersion === undefined) {
        throw usage('INIT_FLAGS_REQUIRED', 'the init role needs --endpoint HOST:PORT and --kubernetes-version vX.Y.Z', 'e.g. --endpoint 10.0.0.10:6443 --kubernetes-version v1.30.0', '--endpoint');
      }
      let cas: ClusterCas;
      if (options.casFromSecrets !== undefined) {
        client = clusterClient(options, io);
        spec = resolveSecretRefs(spec, await secretLookup(client, spec, options.specNamespace));
        cas = await casFromSecrets(client, options.casFromSecrets);
      } else cas = await initCas(options.pkiDir, options, io);
      let certificateKey: string | undefined;
      if (options.uploadCerts === true) {
        if (options.certificateKeyFile === undefined) throw usage('CERTIFICATE_KEY_FILE_REQUIRED', '--upload-certs needs --certificate-key-file FILE', 'name a file: joinery reads the key from it, or writes a fresh one there (0600)', '--certificate-key-file');
        if (existsSync(options.certificateKeyFile)) certificateKey = (await readText(options.certificateKeyFile, '--certificate-key-file')).trim();
        else {
          certificateKey = generateCertificateKey();
          await writeFileAtomic(options.certificateKeyFile, `${certificateKey}\n`);
        }
        parseCertificateKey(certificateKey, '--certificate-key-file');
      }
      creds = {
        nodeName,
        kubernetesVersion: options.kubernetesVersion,
        endpoint: options.endpoint,
        cas,
        ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
        ...(certificateKey === undefined ? {} : { certificateKey }),
      };
    } else {
      // Everything that can fail on local input is checked before a token is minted (nothing half-made).
      let planeCas: ClusterCas | undefined;
      // kubeadm's upload-certs way is the default with a cluster: the CAs of --pki-dir (a control-plane
      // node's /etc/kubernetes/pki unless told otherwise) go encrypted into kube-system/kubeadm-certs.
      const uploadCerts = role === 'control-plane' && options.inlineCas !== true && (options.uploadCerts === true || (options.certificateKeyFile === undefined && !offline));
      if (role === 'control-plane' && (options.inlineCas === true || uploadCerts)) {
        const flag = options.inlineCas === true ? '--inline-cas' : '--upload-certs';
        const pkiDir = options.pkiDir ?? DEFAULT_PKI_DIR;
        planeCas = await casIn(pkiDir);
        if (planeCas === undefined) {
          throw usage('PKI_DIR_INCOMPLETE', `${flag}: ${pkiDir} has no ca.crt`, `run this on a control-plane node, or give its CAs with --pki-dir DIR (or an earlier upload's key with --certificate-key-file)`, '--pki-dir');
        }
        if (uploadCerts && offline) throw usage('UPLOAD_CERTS_NEEDS_CLUSTER', '--upload-certs needs a cluster (--kubeconfig)', 'give --kubeconfig, or --certificate-key-file with the key of an earlier upload', '--upload-certs');
      }
      let planeKey: string | undefined;
      if (role === 'control-plane' && planeCas === undefined) {
        if (options.certificateKeyFile === undefined) {
          throw usage(
            'CONTROL_PLANE_CERTS_REQUIRED',
            'offline, a control-plane join needs the cluster CAs: --certificate-key-file FILE (an earlier upload), or --inline-cas --pki-dir DIR',
            'on a control-plane node: --upload-certs --pki-dir /etc/kubernetes/pki',
            '--upload-certs',
          );
        }
        planeKey = (await readText(options.certificateKeyFile, '--certificate-key-file')).trim();
        parseCertificateKey(planeKey, '--certificate-key-file');
      }
      let token: string;
      let endpoint: string;
      let server: string;
      let caPins: string[];
      let caPem: string | undefined;
      let kubernetesVersion: string;
      if (offline) {
        if (options.endpoint === undefined || options.kubernetesVersion === undefined || (options.caCertHash ?? []).length === 0) {
          throw usage('OFFLINE_FLAGS_REQUIRED', 'without a cluster, userdata needs --endpoint, --kubernetes-version and --ca-cert-hash besides the token', 'give all three, or drop --token/--token-file to mint a token with --kubeconfig', '--endpoint');
        }
        token = offlineToken as string;
        parseBootstrapToken(token, '--token');
        endpoint = options.endpoint;
        server = `https://${endpoint}`;
        caPins = [...parseCaPins(options.caCertHash ?? [], '--ca-cert-hash').pins];
        kubernetesVersion = options.kubernetesVersion;
        if (options.discovery === 'file') {
          throw usage('DISCOVERY_FILE_NEEDS_CLUSTER', 'offline, the discovery file cannot be made (it needs the cluster CA certificate, not only its pin)', 'add --discovery token (the pins protect token discovery), or give --kubeconfig', '--discovery');
        }
      } else {
        client = clusterClient(options, io);
        // The spec's Secret references are resolved before the token is minted: a missing one mints nothing.
        spec = resolveSecretRefs(spec, await secretLookup(client, spec, options.specNamespace));
        const facts = await clusterJoinFacts(client, options.kubernetesVersion);
        const minted = await mintNodeToken(client, { nodeName, discovery: options.discovery, ttl: options.ttl });
        token = minted.text;
        endpoint = facts.endpoint;
        server = facts.server;
        caPins = facts.caPins;
        caPem = facts.caPem;
        kubernetesVersion = facts.kubernetesVersion;
        io.stderr(`minted token ${minted.token.token.id} for node ${nodeName} (expires in ${options.ttl})\n`);
      }
      let controlPlane: { certificateKey?: string; advertiseAddress?: string; bindPort?: number; inlineCas?: ClusterCas } | undefined;
      if (role === 'control-plane') {
        controlPlane = {
          ...(options.advertiseAddress === undefined ? {} : { advertiseAddress: options.advertiseAddress }),
          ...(bindPort === undefined ? {} : { bindPort }),
        };
        if (options.inlineCas === true) controlPlane.inlineCas = planeCas as ClusterCas;
        else if (uploadCerts) {
          controlPlane.certificateKey = await uploadClusterCas(client as KubeClient, planeCas as ClusterCas);
          io.stderr('uploaded the CAs to kube-system/kubeadm-certs (encrypted; deleted with its owner token in 2h)\n');
        } else controlPlane.certificateKey = planeKey as string;
      }
      creds = {
        nodeName,
        kubernetesVersion,
        endpoint,
        token,
        caPins,
        discovery:
          options.discovery === 'file'
            ? { kind: 'file', kubeconfig: discoveryFileKubeconfig({ server, caData: caPem ?? '' }), path: options.discoveryFilePath }
            : { kind: 'token' },
        ...(controlPlane === undefined ? {} : { controlPlane }),
      };
    }
    if (client === undefined) {
      // Offline there is nothing to read Secrets from: a reference is an error that names its path.
      spec = resolveSecretRefs(spec, () => undefined);
    }
    const plan = bootPlan(spec, role, creds);
    if (format === 'ignition' && !(render.IGNITION_VERSIONS as readonly string[]).includes(options.ignitionVersion)) {
      throw usage('IGNITION_VERSION_INVALID', `--ignition-version ${JSON.stringify(options.ignitionVersion)} is not supported`, `use one of ${render.IGNITION_VERSIONS.join(', ')}`, '--ignition-version');
    }
    const text = render.renderBootData(plan, format, { ignitionVersion: options.ignitionVersion as (typeof render.IGNITION_VERSIONS)[number], jinja: options.jinja === true });
    const fitted = render.fitToMaxSize(text, format, maxSize);
    io.stderr(`${format} for ${role} ${nodeName}: ${render.renderedSize(text)} bytes${fitted.gzipped ? `, gzipped to ${fitted.bytes} bytes to fit --max-size ${maxSize}` : ''}\n`);
    if (options.out !== undefined) await writeFileAtomic(options.out, fitted.data);
    else if (fitted.gzipped) {
      throw new JoineryError('USERDATA_GZIPPED_TO_TERMINAL', `the ${format} is over --max-size ${maxSize} and was gzipped; binary output is not written to a terminal`, 'give --out FILE, or raise --max-size', { family: 'usage', path: '--out' });
    } else io.stdout(text);
    return 0;
  } finally {
    client?.close();
  }
}
