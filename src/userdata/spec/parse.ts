/**
 * Reading a machine spec: Cluster API's `KubeadmConfig.spec` (bootstrap.cluster.x-k8s.io/v1beta1) as
 * YAML or JSON text, as an already-parsed value, or wrapped in a whole KubeadmConfig,
 * KubeadmConfigTemplate, KubeadmControlPlane or KubeadmControlPlaneTemplate object. Strict: unknown
 * fields and bad values are JoineryErrors that name the field's path in the input.
 */
import { JoineryError } from '../../errors/index.js';
import { scrubSecrets } from '../../token/index.js';
import { goYamlDocuments, parseKubernetesVersion } from '../../kubeadm/index.js';
import { FORMATS, type Format, type PlanDiskSetup } from '../plan.js';
import {
  bool,
  checkValue,
  childPath,
  int,
  isJsonObject,
  list,
  object,
  quote,
  specError,
  str,
  typeName,
  wrongType,
  SPEC_INVALID,
  SPEC_UNSUPPORTED,
  SPEC_YAML_INVALID,
  type Json,
  type JsonObject,
  type Rule,
} from './check.js';
import { decodeFileContent } from './files.js';
import { kubeadmSections } from './kubeadm.js';
import {
  FILE_ENCODINGS,
  KUBERNETES_BINARY_NAMES,
  type FileEncoding,
  type KubernetesBinaryName,
  type MachineSpec,
  type SecretRef,
  type SpecFile,
  type SpecKubernetesBinaries,
  type SpecUser,
} from './model.js';

const strings = list(str());

const absolutePath = (what: string) => (v: string, path: string): void => {
  if (!v.startsWith('/') || v.endsWith('/') || /[\0\n\r]/.test(v) || v.split('/').includes('..')) {
    throw specError(
      SPEC_INVALID,
      path,
      `${quote(v)} is not an absolute ${what} path (it must start with /, not end with /, and hold no .. segment, newline or NUL)`,
      `write the full path, e.g. /etc/${what === 'file' ? 'example.conf' : 'example'}`,
    );
  }
};

const OWNER_FORM = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?(?::[A-Za-z0-9_][A-Za-z0-9_.-]*\$?)?$/;

const permissions: Rule = {
  type: 'custom',
  check: (v, path) => {
    if (typeof v === 'number') {
      throw specError(
        SPEC_INVALID,
        path,
        `must be an octal string such as "0640", not the number ${v} (YAML reads an unquoted 0640 as the number 416)`,
        'quote the permissions: permissions: "0640"',
      );
    }
    if (typeof v !== 'string') throw wrongType(path, 'an octal string such as "0640"', v);
    if (!/^0?[0-7]{3,4}$/.test(v) || Number.parseInt(v, 8) > 0o7777) {
      throw specError(SPEC_INVALID, path, `${quote(v)} is not an octal file mode`, 'write the mode as 3 or 4 octal digits, e.g. "0644" or "0600"');
    }
  },
};

const secretRef = object({ secret: object({ name: str(), key: str() }, ['name', 'key']) }, ['secret']);

const FILE_RULE = object(
  {
    path: str({ check: absolutePath('file') }),
    owner: str({
      check: (v, path) => {
        if (!OWNER_FORM.test(v)) throw specError(SPEC_INVALID, path, `${quote(v)} is not user:group`, 'write the owner as user:group (e.g. root:root) or user');
      },
    }),
    permissions,
    encoding: str({ oneOf: FILE_ENCODINGS }),
    append: bool,
    content: str(),
    contentFrom: secretRef,
  },
  ['path'],
);

const USER_NAME_FORM = /^[a-z_][a-z0-9_.-]{0,31}$|^[a-z_][a-z0-9_.-]{0,30}\$$/;

const groupsRule: Rule = {
  type: 'custom',
  check: (v, path) => {
    if (typeof v === 'string') return;
    if (Array.isArray(v)) {
      v.forEach((g, i) => {
        if (typeof g !== 'string' || g.includes(',')) {
          throw specError(SPEC_INVALID, childPath(path, i), 'must be a group name', 'write each group as a string without commas');
        }
      });
      return;
    }
    throw wrongType(path, 'a comma-separated string of groups (e.g. "wheel, docker")', v);
  },
};

const USER_RULE = object(
  {
    name: str({
      check: (v, path) => {
        if (!USER_NAME_FORM.test(v)) {
          throw specError(SPEC_INVALID, path, `${quote(v)} is not a portable user name`, 'use up to 32 characters of a-z 0-9 _ . - starting with a letter or _ (useradd\'s rule)');
        }
      },
    }),
    gecos: str(),
    groups: groupsRule,
    homeDir: str({ check: absolutePath('directory') }),
    inactive: bool,
    shell: str({ check: absolutePath('shell') }),
    passwd: str(),
    passwdFrom: secretRef,
    primaryGroup: str(),
    lockPassword: bool,
    sudo: str(),
    sshAuthorizedKeys: strings,
  },
  ['name'],
);

const SHA256_FORM = /^[0-9a-fA-F]{64}$/;
const sha256Rule = str({
  check: (v, path) => {
    if (!SHA256_FORM.test(v)) throw specError(SPEC_INVALID, path, 'is not a SHA-256 sum (64 hex digits)', 'write the sum printed by `sha256sum FILE` (or the .sha256 file next to the release binary)');
  },
});

const URL_FORM = /^https?:\/\/[^\s'"`$\\;|&<>(){}]+$/;
const urlRule = str({
  check: (v, path) => {
    const unknown = /\{\{\s*([^}]*?)\s*\}\}/g;
    for (const m of v.matchAll(unknown)) {
      if (m[1] !== 'version' && m[1] !== 'name') {
        throw specError(SPEC_INVALID, path, `has the unknown placeholder {{${(m[1] ?? '').slice(0, 32)}}}`, 'use {{version}} (e.g. v1.30.0) and {{name}} (kubeadm, kubelet or kubectl) only');
      }
    }
    if (!URL_FORM.test(v.replace(/\{\{(version|name)\}\}/g, 'x'))) {
      throw specError(
        SPEC_INVALID,
        path,
        `${quote(v)} is not an http(s) URL joinery can fetch safely`,
        'write an https:// URL without spaces, quotes or shell characters; placeholders are written {{version}} and {{name}}',
      );
    }
  },
});

const binaryRule = object({ url: urlRule, sha256: sha256Rule });

const KUBERNETES_BINARIES_RULE = object({
  version: str({
    check: (v, path) => {
      parseKubernetesVersionAt(v, path);
    },
  }),
  installDir: str({ check: absolutePath('directory') }),
  urlTemplate: urlRule,
  sha256: object({ kubeadm: sha256Rule, kubelet: sha256Rule, kubectl: sha256Rule }),
  kubeadm: binaryRule,
  kubelet: binaryRule,
  kubectl: binaryRule,
});

/** Cluster API's KubeadmConfigSpec plus joinery's kubernetesBinaries; the kubeadm sections are checked in kubeadm.ts. */
const SPEC_RULE = object({
  clusterConfiguration: { type: 'custom', check: (v, path) => mapping(v, path) },
  initConfiguration: { type: 'custom', check: (v, path) => mapping(v, path) },
  joinConfiguration: { type: 'custom', check: (v, path) => mapping(v, path) },
  files: list(FILE_RULE),
  diskSetup: object({
    partitions: list(object({ device: str(), layout: bool, overwrite: bool, tableType: str({ oneOf: ['mbr', 'gpt'] }) }, ['device'])),
    filesystems: list(
      object(
        { device: str(), filesystem: str(), label: str(), partition: str(), overwrite: bool, replaceFS: str(), extraOpts: strings },
        ['device', 'filesystem', 'label'],
      ),
    ),
  }),
  mounts: list(list(str())),
  bootCommands: strings,
  preKubeadmCommands: strings,
  postKubeadmCommands: strings,
  users: list(USER_RULE),
  ntp: object({ servers: strings, enabled: bool }),
  format: str({ oneOf: FORMATS }),
  verbosity: int(0, 2 ** 31 - 1),
  useExperimentalRetryJoin: bool,
  ignition: object({
    containerLinuxConfig: object({
      additionalConfig: str({
        check: (v, path) => {
          if (v !== '') {
            throw specError(
              SPEC_UNSUPPORTED,
              path,
              'is not supported: it is a Container Linux Config, which needs the Container Linux Config Transpiler and yields Ignition v2, while joinery writes Ignition v3',
              'express the additional content as files[], users[] and preKubeadmCommands in the spec, or merge your own Ignition v3 config into joinery\'s output',
            );
          }
        },
      }),
      strict: bool,
    }),
  }),
  kubernetesBinaries: KUBERNETES_BINARIES_RULE,
});

function mapping(v: Json, path: string): void {
  if (!isJsonObject(v)) throw wrongType(path, 'a mapping', v);
}

function parseKubernetesVersionAt(v: string, path: string): string {
  try {
    const k = parseKubernetesVersion(v, path);
    return `v${k.major}.${k.minor}.${k.patch}${k.preRelease === undefined ? '' : `-${k.preRelease}`}`;
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    // src/kubeadm quotes the value as it is: scrubbed here like every spec error (it may be a token or a hash).
    throw new JoineryError(SPEC_INVALID, scrubSecrets(err.message), err.fix, { path });
  }
}

// ---------------------------------------------------------------- reading the input

const CAPI_BOOTSTRAP_GROUP = 'bootstrap.cluster.x-k8s.io';
const CAPI_CONTROL_PLANE_GROUP = 'controlplane.cluster.x-k8s.io';

/** Where the KubeadmConfigSpec sits inside each wrapping kind. */
const WRAPPERS: Readonly<Record<string, { group: string; at: readonly string[] }>> = {
  KubeadmConfig: { group: CAPI_BOOTSTRAP_GROUP, at: ['spec'] },
  KubeadmConfigTemplate: { group: CAPI_BOOTSTRAP_GROUP, at: ['spec', 'template', 'spec'] },
  KubeadmControlPlane: { group: CAPI_CONTROL_PLANE_GROUP, at: ['spec', 'kubeadmConfigSpec'] },
  KubeadmControlPlaneTemplate: { group: CAPI_CONTROL_PLANE_GROUP, at: ['spec', 'template', 'spec', 'kubeadmConfigSpec'] },
};

function readText(text: string): Json {
  let docs: { index: number; value: Json }[];
  try {
    docs = goYamlDocuments(text) as { index: number; value: Json }[];
  } catch (err) {
    if (!(err instanceof JoineryError)) throw err;
    throw new JoineryError(SPEC_YAML_INVALID, err.message.replace(/^document 1: /, ''), err.fix);
  }
  if (docs.length === 0) return {};
  if (docs.length > 1) {
    throw new JoineryError(SPEC_YAML_INVALID, `the spec has ${docs.length} YAML documents; a machine spec is one`, 'keep one document (one KubeadmConfig spec) in the file');
  }
  return (docs[0] as { value: Json }).value;
}

/** The KubeadmConfigSpec inside `value` and the path prefix of its fields. */
function unwrap(value: Json): { spec: JsonObject; base: string } {
  if (!isJsonObject(value)) {
    throw specError(SPEC_INVALID, '', `the spec must be a mapping, not ${typeName(value)}`, "write Cluster API's KubeadmConfig.spec as a YAML/JSON mapping (files:, joinConfiguration:, ...)");
  }
  const kind = value['kind'];
  const apiVersion = value['apiVersion'];
  if (kind === undefined && apiVersion === undefined) return { spec: value, base: '' };
  if (typeof kind !== 'string' || !Object.prototype.hasOwnProperty.call(WRAPPERS, kind)) {
    throw specError(
      SPEC_INVALID,
      'kind',
      `${typeof kind === 'string' ? quote(kind) : 'a missing kind'} is not a kind that holds a KubeadmConfig spec`,
      `give a bare spec (without apiVersion and kind) or one of ${Object.keys(WRAPPERS).join(', ')}`,
    );
  }
  const wrapper = WRAPPERS[kind] as { group: string; at: readonly string[] };
  const want = `${wrapper.group}/v1beta1`;
  if (apiVersion !== want) {
    throw specError(
      SPEC_UNSUPPORTED,
      'apiVersion',
      `${typeof apiVersion === 'string' ? quote(apiVersion) : 'a missing apiVersion'} is not read: joinery reads ${kind} ${want}`,
      `use apiVersion: ${want} (\`kubectl get ${kind.toLowerCase()} NAME -o yaml\` with ${want} as the served version prints it)`,
    );
  }
  let node: Json = value;
  let path = '';
  const allowedTop = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
  for (const k of Object.keys(value)) {
    if (!allowedTop.includes(k)) throw specError(SPEC_INVALID, childPath('', k), `unknown field ${quote(k)} in ${kind}`, `remove it; ${kind} has ${allowedTop.join(', ')}`);
  }
  for (const seg of wrapper.at) {
    const next: Json | undefined = isJsonObject(node) ? node[seg] : undefined;
    path = childPath(path, seg);
    if (next === undefined || next === null) return { spec: {}, base: `${path}.` };
    if (!isJsonObject(next)) throw wrongType(path, 'a mapping', next);
    node = next;
  }
  return { spec: node as JsonObject, base: `${path}.` };
}

// ---------------------------------------------------------------- converting

function optString(o: JsonObject, k: string): string | undefined {
  const v = o[k];
  return typeof v === 'string' ? v : undefined;
}
function optBool(o: JsonObject, k: string): boolean | undefined {
  const v = o[k];
  return typeof v === 'boolean' ? v : undefined;
}
function stringList(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}
function secretRefOf(v: Json | undefined): { secret: SecretRef } | undefined {
  if (!isJsonObject(v) || !isJsonObject(v['secret'])) return undefined;
  return { secret: { name: String(v['secret']['name']), key: String(v['secret']['key']) } };
}

function filesOf(v: Json | undefined, at: string): SpecFile[] {
  if (!Array.isArray(v)) return [];
  const seen = new Map<string, number>();
  return v.map((item, i) => {
    const o = item as JsonObject;
    const here = childPath(at, i);
    const path = String(o['path']);
    const earlier = seen.get(path);
    if (earlier !== undefined) {
      throw specError(SPEC_INVALID, childPath(here, 'path'), `${quote(path)} is also the path of ${childPath(at, earlier)}`, 'give each file its own path (Cluster API refuses repeated paths too)');
    }
    seen.set(path, i);
    const content = optString(o, 'content');
    const from = secretRefOf(o['contentFrom']);
    if (from && content !== undefined && content !== '') {
      throw specError(SPEC_INVALID, here, 'has both content and contentFrom', 'keep one of content or contentFrom');
    }
    const f: SpecFile = { path };
    const owner = optString(o, 'owner');
    if (owner !== undefined && owner !== '') f.owner = owner;
    const perms = optString(o, 'permissions');
    if (perms !== undefined && perms !== '') f.mode = Number.parseInt(perms, 8);
    const encoding = optString(o, 'encoding');
    if (encoding !== undefined && encoding !== '') f.encoding = encoding as FileEncoding;
    if (o['append'] === true) f.append = true;
    if (from) f.contentFrom = from;
    else f.content = decodeFileContent(content ?? '', f.encoding, childPath(here, 'content'));
    return f;
  });
}

function usersOf(v: Json | undefined, at: string): SpecUser[] {
  if (!Array.isArray(v)) return [];
  return v.map((item, i) => {
    const o = item as JsonObject;
    const here = childPath(at, i);
    const u: SpecUser = { name: String(o['name']) };
    const passwd = optString(o, 'passwd');
    const from = secretRefOf(o['passwdFrom']);
    if (passwd !== undefined && from) throw specError(SPEC_INVALID, here, 'has both passwd and passwdFrom', 'keep one of passwd or passwdFrom');
    for (const k of ['gecos', 'homeDir', 'shell', 'primaryGroup', 'sudo'] as const) {
      const s = optString(o, k);
      if (s !== undefined) u[k] = s;
    }
    if (passwd !== undefined) u.passwd = passwd;
    if (from) u.passwdFrom = from;
    const groups = o['groups'];
    if (typeof groups === 'string' || Array.isArray(groups)) {
      const list = (typeof groups === 'string' ? groups.split(',') : groups.map(String)).map((g) => g.trim()).filter((g) => g !== '');
      list.forEach((g, j) => {
        if (/\s/.test(g)) throw specError(SPEC_INVALID, childPath(here, 'groups'), `group ${j + 1} (${quote(g)}) holds white space`, 'separate groups with commas');
      });
      if (list.length > 0) u.groups = list;
    }
    for (const k of ['inactive', 'lockPassword'] as const) {
      const b = optBool(o, k);
      if (b !== undefined) u[k] = b;
    }
    if (Array.isArray(o['sshAuthorizedKeys'])) u.sshAuthorizedKeys = stringList(o['sshAuthorizedKeys']);
    return u;
  });
}

function diskSetupOf(v: Json | undefined): PlanDiskSetup | undefined {
  if (!isJsonObject(v)) return undefined;
  const d: PlanDiskSetup = {};
  if (Array.isArray(v['partitions'])) {
    d.partitions = v['partitions'].map((p) => {
      const o = p as JsonObject;
      const out: NonNullable<PlanDiskSetup['partitions']>[number] = { device: String(o['device']), layout: o['layout'] === true };
      const ow = optBool(o, 'overwrite');
      if (ow !== undefined) out.overwrite = ow;
      const t = optString(o, 'tableType');
      if (t !== undefined) out.tableType = t;
      return out;
    });
  }
  if (Array.isArray(v['filesystems'])) {
    d.filesystems = v['filesystems'].map((f) => {
      const o = f as JsonObject;
      const out: NonNullable<PlanDiskSetup['filesystems']>[number] = {
        device: String(o['device']),
        filesystem: String(o['filesystem']),
        label: String(o['label']),
      };
      for (const k of ['partition', 'replaceFS'] as const) {
        const s = optString(o, k);
        if (s !== undefined) out[k] = s;
      }
      const ow = optBool(o, 'overwrite');
      if (ow !== undefined) out.overwrite = ow;
      if (Array.isArray(o['extraOpts'])) out.extraOpts = stringList(o['extraOpts']);
      return out;
    });
  }
  return d;
}

function kubernetesBinariesOf(v: Json | undefined, at: string): SpecKubernetesBinaries | undefined {
  if (!isJsonObject(v)) return undefined;
  const template = optString(v, 'urlTemplate');
  const sums = isJsonObject(v['sha256']) ? v['sha256'] : {};
  const binaries: SpecKubernetesBinaries['binaries'] = [];
  for (const name of KUBERNETES_BINARY_NAMES) {
    const own = isJsonObject(v[name]) ? (v[name] as JsonObject) : undefined;
    const sum = (own && optString(own, 'sha256')) ?? optString(sums, name);
    const url = (own && optString(own, 'url')) ?? template;
    if (own === undefined && sum === undefined) continue;
    if (url === undefined) {
      throw specError(SPEC_INVALID, childPath(childPath(at, name), 'url'), 'is required (there is no urlTemplate)', `set ${name}.url, or set urlTemplate with {{version}} and {{name}}`);
    }
    if (sum === undefined) {
      throw specError(SPEC_INVALID, childPath(childPath(at, name), 'sha256'), 'is required: joinery never installs a binary it cannot verify', `set ${name}.sha256 (or sha256.${name}) to the file's SHA-256`);
    }
    binaries.push({ name: name as KubernetesBinaryName, url, sha256: sum.toLowerCase() });
  }
  if (binaries.length === 0) {
    throw specError(SPEC_INVALID, at, 'lists no binary', 'give kubeadm, kubelet and/or kubectl with url and sha256, or urlTemplate with sha256.<name> for each');
  }
  const out: SpecKubernetesBinaries = { installDir: optString(v, 'installDir') ?? '/usr/local/bin', binaries };
  const version = optString(v, 'version');
  if (version !== undefined) out.version = parseKubernetesVersionAt(version, childPath(at, 'version'));
  return out;
}

/**
 * Reads a machine spec: Cluster API's `KubeadmConfig.spec` (bootstrap.cluster.x-k8s.io/v1beta1) as
 * YAML or JSON text or as a parsed value, or a whole KubeadmConfig / KubeadmConfigTemplate /
 * KubeadmControlPlane / KubeadmControlPlaneTemplate (v1beta1) whose spec is used. File encodings are
 * undone here; `contentFrom` and `passwdFrom` stay references (resolveSecretRefs fills them).
 * Throws JoineryError (USERDATA_SPEC_INVALID, USERDATA_SPEC_UNKNOWN_FIELD, USERDATA_SPEC_UNSUPPORTED,
 * USERDATA_SPEC_YAML_INVALID) with the field's path; `source` (a file name) prefixes messages.
 */
export function parseMachineSpec(input: string | unknown, options: { source?: string } = {}): MachineSpec {
  try {
    return machineSpecOf(typeof input === 'string' ? readText(input) : (input as Json));
  } catch (err) {
    if (!(err instanceof JoineryError) || options.source === undefined) throw err;
    throw new JoineryError(err.code, `${options.source}: ${err.message}`, err.fix, err.path === undefined ? {} : { path: err.path });
  }
}

function machineSpecOf(value: Json): MachineSpec {
  const { spec: o, base } = unwrap(value);
  const at = (name: string): string => childPath(base.replace(/\.$/, ''), name);
  checkValue(o, SPEC_RULE, base.replace(/\.$/, ''));
  const ignition = o['ignition'];
  const format = optString(o, 'format');
  if (isJsonObject(ignition) && format !== undefined && format !== '' && format !== 'ignition') {
    throw specError(SPEC_INVALID, at('format'), `must be "ignition" when ignition is set, not ${quote(format)}`, 'set format: ignition, or remove the ignition section');
  }
  const sections = kubeadmSections(o, base);
  const spec: MachineSpec = {
    files: filesOf(o['files'], at('files')),
    bootCommands: stringList(o['bootCommands']),
    preKubeadmCommands: stringList(o['preKubeadmCommands']),
    postKubeadmCommands: stringList(o['postKubeadmCommands']),
    users: usersOf(o['users'], at('users')),
  };
  if (sections.cluster) spec.clusterConfiguration = sections.cluster;
  if (sections.init) spec.initConfiguration = sections.init;
  if (sections.join) spec.joinConfiguration = sections.join;
  const ntp = o['ntp'];
  if (isJsonObject(ntp)) {
    spec.ntp = { servers: stringList(ntp['servers']) };
    const enabled = optBool(ntp, 'enabled');
    if (enabled !== undefined) spec.ntp.enabled = enabled;
  }
  const disk = diskSetupOf(o['diskSetup']);
  if (disk) spec.diskSetup = disk;
  if (Array.isArray(o['mounts'])) spec.mounts = o['mounts'].map((m) => stringList(m));
  if (format !== undefined && format !== '') spec.format = format as Format;
  if (typeof o['verbosity'] === 'number') spec.verbosity = o['verbosity'];
  if (o['useExperimentalRetryJoin'] === true) spec.useExperimentalRetryJoin = true;
  if (isJsonObject(ignition)) {
    const clc = ignition['containerLinuxConfig'];
    spec.ignition = isJsonObject(clc) ? { containerLinuxConfig: optBool(clc, 'strict') === undefined ? {} : { strict: clc['strict'] as boolean } } : {};
  }
  const bins = kubernetesBinariesOf(o['kubernetesBinaries'], at('kubernetesBinaries'));
  if (bins) spec.kubernetesBinaries = bins;
  return spec;
}

/**
 * Fills every `files[].contentFrom.secret` and `users[].passwdFrom.secret` of `spec` from `lookup`
 * (the cluster edge reads the Secrets in the KubeadmConfig's namespace), as Cluster API's
 * resolveFiles/resolveUsers do: a file's bytes are then decoded with its `encoding`, a password hash is
 * the UTF-8 text of the value. Returns a new spec; throws USERDATA_SECRET_MISSING naming the path when
 * a Secret or key is not found.
 */
export function resolveSecretRefs(spec: MachineSpec, lookup: (name: string, key: string) => Uint8Array | undefined): MachineSpec {
  const get = (ref: SecretRef, path: string): Uint8Array => {
    const data = lookup(ref.name, ref.key);
    if (!(data instanceof Uint8Array)) {
      throw new JoineryError(
        'USERDATA_SECRET_MISSING',
        `${path}: the Secret ${quote(ref.name)} has no key ${quote(ref.key)} (or does not exist)`,
        `create the Secret in the KubeadmConfig's namespace (kubectl create secret generic ${ref.name} --from-file=${ref.key}=FILE), or fix the name and key`,
        { path },
      );
    }
    return data;
  };
  const files = spec.files.map((f, i) => {
    if (!f.contentFrom) return f;
    const path = `files[${i}].contentFrom.secret`;
    const { contentFrom, ...rest } = f;
    return { ...rest, content: decodeFileContent(get(contentFrom.secret, path), f.encoding, path) };
  });
  const users = spec.users.map((u, i) => {
    if (!u.passwdFrom) return u;
    const { passwdFrom, ...rest } = u;
    return { ...rest, passwd: new TextDecoder().decode(get(passwdFrom.secret, `users[${i}].passwdFrom.secret`)) };
  });
  return { ...spec, files, users };
}
