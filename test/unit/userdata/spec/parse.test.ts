import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { JoineryError } from '../../../../src/errors/index.js';
import { parseMachineSpec, resolveSecretRefs } from '../../../../src/userdata/spec/index.js';
import { throwsCode } from '../../../support/errors.js';
import { AZURE_WORKER_TEMPLATE, DOCKER_CONTROL_PLANE } from './fixtures.js';

const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);


test('KubeadmControlPlane.spec.kubeadmConfigSpec parses into the kubeadm model (KubeadmControlPlane v1beta1)', () => {
  // KubeadmControlPlane has more spec fields than kubeadmConfigSpec; only kubeadmConfigSpec is read.
  const spec = parseMachineSpec(DOCKER_CONTROL_PLANE);
  assert.deepEqual(spec.clusterConfiguration, {
    apiServer: { certSANs: ['localhost', '127.0.0.1', '0.0.0.0', 'host.docker.internal'] },
    controllerManager: { extraArgs: [{ name: 'enable-hostpath-provisioner', value: 'true' }] },
  });
  assert.deepEqual(spec.initConfiguration?.nodeRegistration, {
    criSocket: 'unix:///var/run/containerd/containerd.sock',
    kubeletExtraArgs: [{ name: 'eviction-hard', value: 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%' }],
  });
  assert.equal(spec.joinConfiguration?.nodeRegistration?.criSocket, 'unix:///var/run/containerd/containerd.sock');
  assert.equal(spec.joinConfiguration?.discovery, undefined);
  assert.deepEqual(spec.files, []);
});

test('KubeadmConfigTemplate: contentFrom stays a reference, groups split, users kept', () => {
  const spec = parseMachineSpec(AZURE_WORKER_TEMPLATE);
  assert.deepEqual(spec.files, [
    {
      path: '/etc/kubernetes/azure.json',
      owner: 'root:root',
      mode: 0o644,
      contentFrom: { secret: { name: 'my-cluster-md-0-azure-json', key: 'worker-node-azure.json' } },
    },
  ]);
  assert.deepEqual(spec.users, [{ name: 'capi', groups: ['Administrators'], sshAuthorizedKeys: ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ capi@example'] }]);
  assert.deepEqual(spec.joinConfiguration?.nodeRegistration?.kubeletExtraArgs?.map((a) => a.name), [
    'azure-container-registry-config',
    'cloud-config',
    'cloud-provider',
  ]);
});

test('a bare spec, its JSON form and the parsed value give the same MachineSpec', () => {
  const yaml = `
files:
- path: /etc/motd
  content: hello
  permissions: "640"
  append: true
bootCommands: [echo boot]
preKubeadmCommands: ["echo pre"]
postKubeadmCommands: ["echo post"]
users:
- {name: ops, groups: "wheel, docker", lockPassword: false, passwd: "$6$x$y", shell: /bin/bash, sudo: "ALL=(ALL) NOPASSWD:ALL"}
ntp: {servers: [0.pool.ntp.org], enabled: true}
diskSetup:
  partitions: [{device: /dev/sdb, layout: true, tableType: gpt}]
  filesystems: [{device: /dev/sdb1, filesystem: ext4, label: data, extraOpts: ["-F"]}]
mounts: [[LABEL=data, /var/lib/data]]
format: script
verbosity: 4
useExperimentalRetryJoin: true
`;
  const value = {
    files: [{ path: '/etc/motd', content: 'hello', permissions: '640', append: true }],
    bootCommands: ['echo boot'],
    preKubeadmCommands: ['echo pre'],
    postKubeadmCommands: ['echo post'],
    users: [{ name: 'ops', groups: 'wheel, docker', lockPassword: false, passwd: '$6$x$y', shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL' }],
    ntp: { servers: ['0.pool.ntp.org'], enabled: true },
    diskSetup: {
      partitions: [{ device: '/dev/sdb', layout: true, tableType: 'gpt' }],
      filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4', label: 'data', extraOpts: ['-F'] }],
    },
    mounts: [['LABEL=data', '/var/lib/data']],
    format: 'script',
    verbosity: 4,
    useExperimentalRetryJoin: true,
  };
  const fromYaml = parseMachineSpec(yaml);
  assert.deepEqual(parseMachineSpec(JSON.stringify(value)), fromYaml);
  assert.deepEqual(parseMachineSpec(value), fromYaml);
  assert.equal(text(fromYaml.files[0]?.content), 'hello');
  assert.equal(fromYaml.files[0]?.mode, 0o640);
  assert.equal(fromYaml.files[0]?.append, true);
  assert.deepEqual(fromYaml.users[0]?.groups, ['wheel', 'docker']);
  assert.equal(fromYaml.format, 'script');
  assert.equal(fromYaml.verbosity, 4);
  assert.deepEqual(fromYaml.mounts, [['LABEL=data', '/var/lib/data']]);
});

test('an empty document is an empty spec', () => {
  assert.deepEqual(parseMachineSpec(''), { files: [], bootCommands: [], preKubeadmCommands: [], postKubeadmCommands: [], users: [] });
});

test('CAPI-only kubeadm fields map into the model: timeouts, validity days, discovery pieces', () => {
  const spec = parseMachineSpec({
    clusterConfiguration: {
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      kind: 'ClusterConfiguration',
      apiServer: { timeoutForControlPlane: '20m' },
      certificateValidityPeriodDays: 30,
      caCertificateValidityPeriodDays: 3650,
      etcd: { local: { extraArgs: { 'b': '2', 'a': '' } } },
      networking: { podSubnet: '192.168.0.0/16' },
    },
    joinConfiguration: {
      discovery: { timeout: '10m', bootstrapToken: { apiServerEndpoint: 'lb.example:6443', caCertHashes: [`sha256:${'b'.repeat(64)}`] } },
      controlPlane: { localAPIEndpoint: { advertiseAddress: '10.0.0.9', bindPort: 0 } },
    },
  });
  assert.equal(spec.initConfiguration?.timeouts?.controlPlaneComponentHealthCheck, 20n * 60n * 1_000_000_000n);
  assert.equal(spec.clusterConfiguration?.certificateValidityPeriod, 30n * 24n * 3600n * 1_000_000_000n);
  assert.equal(spec.clusterConfiguration?.caCertificateValidityPeriod, 3650n * 24n * 3600n * 1_000_000_000n);
  assert.deepEqual(spec.clusterConfiguration?.etcd?.local?.extraArgs, [
    { name: 'a', value: '' },
    { name: 'b', value: '2' },
  ]);
  assert.equal(spec.joinConfiguration?.timeouts?.discovery, 10n * 60n * 1_000_000_000n);
  assert.deepEqual(spec.joinConfiguration?.discovery, {
    bootstrapToken: { apiServerEndpoint: 'lb.example:6443', caCertHashes: [`sha256:${'b'.repeat(64)}`] },
  });
  assert.deepEqual(spec.joinConfiguration?.controlPlane, { localAPIEndpoint: { advertiseAddress: '10.0.0.9' } });
});

test('kubernetesBinaries: explicit entries and the template form', () => {
  const sum = (c: string) => c.repeat(64);
  const explicit = parseMachineSpec({
    kubernetesBinaries: {
      kubeadm: { url: 'https://example.com/kubeadm', sha256: sum('A') },
      kubelet: { url: 'https://example.com/kubelet', sha256: sum('b') },
    },
  });
  assert.deepEqual(explicit.kubernetesBinaries, {
    installDir: '/usr/local/bin',
    binaries: [
      { name: 'kubeadm', url: 'https://example.com/kubeadm', sha256: sum('a') },
      { name: 'kubelet', url: 'https://example.com/kubelet', sha256: sum('b') },
    ],
  });
  const templated = parseMachineSpec({
    kubernetesBinaries: {
      version: '1.30.2',
      installDir: '/opt/bin',
      urlTemplate: 'https://dl.k8s.io/release/{{version}}/bin/linux/amd64/{{name}}',
      sha256: { kubeadm: sum('1'), kubelet: sum('2'), kubectl: sum('3') },
      kubectl: { url: 'https://mirror.example/kubectl', sha256: sum('4') },
    },
  });
  assert.deepEqual(templated.kubernetesBinaries, {
    version: 'v1.30.2',
    installDir: '/opt/bin',
    binaries: [
      { name: 'kubeadm', url: 'https://dl.k8s.io/release/{{version}}/bin/linux/amd64/{{name}}', sha256: sum('1') },
      { name: 'kubelet', url: 'https://dl.k8s.io/release/{{version}}/bin/linux/amd64/{{name}}', sha256: sum('2') },
      { name: 'kubectl', url: 'https://mirror.example/kubectl', sha256: sum('4') },
    ],
  });
});

const SUM = 'c'.repeat(64);
const PIN = `sha256:${'d'.repeat(64)}`;
/** [name, spec value, code, path]: every unknown field and bad value names its path. */
const BAD: Array<[string, unknown, string, string]> = [
  ['unknown top-level field', { fils: [] }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'fils'],
  ['unknown file field', { files: [{ path: '/a', mode: '0644' }] }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'files[0].mode'],
  ['bad encoding', { files: [{ path: '/a' }, { path: '/b' }, { path: '/c', content: 'x', encoding: 'gz' }] }, 'USERDATA_SPEC_INVALID', 'files[2].encoding'],
  ['bad base64', { files: [{ path: '/a', content: 'not base64!', encoding: 'base64' }] }, 'USERDATA_SPEC_INVALID', 'files[0].content'],
  ['bad gzip', { files: [{ path: '/a', content: 'aGVsbG8=', encoding: 'gzip+base64' }] }, 'USERDATA_SPEC_INVALID', 'files[0].content'],
  ['numeric permissions', { files: [{ path: '/a', permissions: 416 }] }, 'USERDATA_SPEC_INVALID', 'files[0].permissions'],
  ['non-octal permissions', { files: [{ path: '/a', permissions: '0999' }] }, 'USERDATA_SPEC_INVALID', 'files[0].permissions'],
  ['relative path', { files: [{ path: 'etc/a' }] }, 'USERDATA_SPEC_INVALID', 'files[0].path'],
  ['dot-dot path', { files: [{ path: '/etc/../a' }] }, 'USERDATA_SPEC_INVALID', 'files[0].path'],
  ['missing path', { files: [{ content: 'x' }] }, 'USERDATA_SPEC_INVALID', 'files[0].path'],
  ['repeated path', { files: [{ path: '/a' }, { path: '/a' }] }, 'USERDATA_SPEC_INVALID', 'files[1].path'],
  ['content and contentFrom', { files: [{ path: '/a', content: 'x', contentFrom: { secret: { name: 's', key: 'k' } } }] }, 'USERDATA_SPEC_INVALID', 'files[0]'],
  ['contentFrom without key', { files: [{ path: '/a', contentFrom: { secret: { name: 's' } } }] }, 'USERDATA_SPEC_INVALID', 'files[0].contentFrom.secret.key'],
  ['bad owner', { files: [{ path: '/a', owner: 'root root' }] }, 'USERDATA_SPEC_INVALID', 'files[0].owner'],
  ['files not a list', { files: { path: '/a' } }, 'USERDATA_SPEC_INVALID', 'files'],
  ['command not a string', { preKubeadmCommands: ['ok', 3] }, 'USERDATA_SPEC_INVALID', 'preKubeadmCommands[1]'],
  ['null command', { postKubeadmCommands: [null] }, 'USERDATA_SPEC_INVALID', 'postKubeadmCommands[0]'],
  ['user without name', { users: [{ sudo: 'ALL' }] }, 'USERDATA_SPEC_INVALID', 'users[0].name'],
  ['bad user name', { users: [{ name: 'Bad User' }] }, 'USERDATA_SPEC_INVALID', 'users[0].name'],
  ['unknown user field', { users: [{ name: 'a', sshKeys: [] }] }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'users[0].sshKeys'],
  ['passwd and passwdFrom', { users: [{ name: 'a', passwd: 'x', passwdFrom: { secret: { name: 's', key: 'k' } } }] }, 'USERDATA_SPEC_INVALID', 'users[0]'],
  ['lockPassword not a bool', { users: [{ name: 'a', lockPassword: 'yes' }] }, 'USERDATA_SPEC_INVALID', 'users[0].lockPassword'],
  ['groups as a number', { users: [{ name: 'a', groups: 5 }] }, 'USERDATA_SPEC_INVALID', 'users[0].groups'],
  ['ntp servers not a list', { ntp: { servers: 'pool.ntp.org' } }, 'USERDATA_SPEC_INVALID', 'ntp.servers'],
  ['bad table type', { diskSetup: { partitions: [{ device: '/dev/sdb', layout: true, tableType: 'dos' }] } }, 'USERDATA_SPEC_INVALID', 'diskSetup.partitions[0].tableType'],
  ['filesystem without label', { diskSetup: { filesystems: [{ device: '/dev/sdb1', filesystem: 'ext4' }] } }, 'USERDATA_SPEC_INVALID', 'diskSetup.filesystems[0].label'],
  ['mount not a list', { mounts: ['/dev/sdb1 /data'] }, 'USERDATA_SPEC_INVALID', 'mounts[0]'],
  ['bad format', { format: 'cloudinit' }, 'USERDATA_SPEC_INVALID', 'format'],
  ['negative verbosity', { verbosity: -1 }, 'USERDATA_SPEC_INVALID', 'verbosity'],
  ['fractional verbosity', { verbosity: 1.5 }, 'USERDATA_SPEC_INVALID', 'verbosity'],
  ['additionalConfig', { format: 'ignition', ignition: { containerLinuxConfig: { additionalConfig: 'storage: {}' } } }, 'USERDATA_SPEC_UNSUPPORTED', 'ignition.containerLinuxConfig.additionalConfig'],
  ['ignition with another format', { format: 'cloud-config', ignition: {} }, 'USERDATA_SPEC_INVALID', 'format'],
  ['unknown kubeadm field', { clusterConfiguration: { apiServer: { extraArgz: {} } } }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'clusterConfiguration.apiServer.extraArgz'],
  ['extraArgs as a list (kubeadm v1beta4 form)', { clusterConfiguration: { apiServer: { extraArgs: [{ name: 'a', value: 'b' }] } } }, 'USERDATA_SPEC_INVALID', 'clusterConfiguration.apiServer.extraArgs'],
  ['bad duration', { clusterConfiguration: { apiServer: { timeoutForControlPlane: '5 minutes' } } }, 'USERDATA_SPEC_INVALID', 'clusterConfiguration.apiServer.timeoutForControlPlane'],
  ['validity out of range', { clusterConfiguration: { certificateValidityPeriodDays: 2000 } }, 'USERDATA_SPEC_INVALID', 'clusterConfiguration.certificateValidityPeriodDays'],
  ['local and external etcd (kubeadm rule)', { clusterConfiguration: { etcd: { local: {}, external: { endpoints: ['https://e:2379'] } } } }, 'USERDATA_SPEC_INVALID', 'clusterConfiguration.etcd'],
  ['bad taint effect', { joinConfiguration: { nodeRegistration: { taints: [{ key: 'a', effect: 'NoRun' }] } } }, 'USERDATA_SPEC_INVALID', 'joinConfiguration.nodeRegistration.taints[0].effect'],
  ['taint timeAdded', { initConfiguration: { nodeRegistration: { taints: [{ key: 'a', effect: 'NoSchedule', timeAdded: '2024-01-01T00:00:00Z' }] } } }, 'USERDATA_SPEC_UNSUPPORTED', 'initConfiguration.nodeRegistration.taints[0].timeAdded'],
  ['bad pull policy', { initConfiguration: { nodeRegistration: { imagePullPolicy: 'Sometimes' } } }, 'USERDATA_SPEC_INVALID', 'initConfiguration.nodeRegistration.imagePullPolicy'],
  ['bad bootstrap token (kubeadm rule)', { initConfiguration: { bootstrapTokens: [{ token: 'abcdef.short' }] } }, 'USERDATA_SPEC_INVALID', 'initConfiguration.bootstrapTokens[0].token'],
  ['bad CA pin (kubeadm rule)', { joinConfiguration: { discovery: { bootstrapToken: { caCertHashes: ['md5:00'] } } } }, 'USERDATA_SPEC_INVALID', 'joinConfiguration.discovery.bootstrapToken.caCertHashes[0]'],
  ['bad endpoint (kubeadm rule)', { joinConfiguration: { discovery: { bootstrapToken: { apiServerEndpoint: 'no-port', caCertHashes: [PIN] } } } }, 'USERDATA_SPEC_INVALID', 'joinConfiguration.discovery.bootstrapToken.apiServerEndpoint'],
  ['discovery kubeConfig', { joinConfiguration: { discovery: { file: { kubeConfigPath: '/k', kubeConfig: { user: {} } } } } }, 'USERDATA_SPEC_UNSUPPORTED', 'joinConfiguration.discovery.file.kubeConfig'],
  ['certificateKey in the spec', { joinConfiguration: { controlPlane: { certificateKey: 'e'.repeat(64) } } }, 'USERDATA_SPEC_UNSUPPORTED', 'joinConfiguration.controlPlane.certificateKey'],
  ['kubeadm v1beta4 timeouts', { joinConfiguration: { timeouts: { discovery: '5m' } } }, 'USERDATA_SPEC_UNSUPPORTED', 'joinConfiguration.timeouts'],
  ['env valueFrom', { clusterConfiguration: { scheduler: { extraEnvs: [{ name: 'A', valueFrom: {} }] } } }, 'USERDATA_SPEC_UNSUPPORTED', 'clusterConfiguration.scheduler.extraEnvs[0].valueFrom'],
  ['bad bindPort', { initConfiguration: { localAPIEndpoint: { bindPort: 70000 } } }, 'USERDATA_SPEC_INVALID', 'initConfiguration.localAPIEndpoint.bindPort'],
  ['kubeadm section not a mapping', { joinConfiguration: [] }, 'USERDATA_SPEC_INVALID', 'joinConfiguration'],
  ['binary without sha256', { kubernetesBinaries: { kubeadm: { url: 'https://e/kubeadm' } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.kubeadm.sha256'],
  ['binary bad sha256', { kubernetesBinaries: { kubelet: { url: 'https://e/k', sha256: 'abc' } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.kubelet.sha256'],
  ['binary without url', { kubernetesBinaries: { sha256: { kubectl: SUM } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.kubectl.url'],
  ['unknown placeholder', { kubernetesBinaries: { urlTemplate: 'https://e/{{arch}}/{{name}}', sha256: { kubeadm: SUM } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.urlTemplate'],
  ['url with shell characters', { kubernetesBinaries: { kubeadm: { url: 'https://e/$(id)', sha256: SUM } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.kubeadm.url'],
  ['ftp url', { kubernetesBinaries: { kubeadm: { url: 'ftp://e/kubeadm', sha256: SUM } } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.kubeadm.url'],
  ['sha256 for an unknown binary', { kubernetesBinaries: { urlTemplate: 'https://e/{{name}}', sha256: { kubeproxy: SUM } } }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'kubernetesBinaries.sha256.kubeproxy'],
  ['no binary', { kubernetesBinaries: { urlTemplate: 'https://e/{{name}}' } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries'],
  ['bad binary version', { kubernetesBinaries: { version: 'latest', sha256: { kubeadm: SUM }, urlTemplate: 'https://e/{{name}}' } }, 'USERDATA_SPEC_INVALID', 'kubernetesBinaries.version'],
  ['not a mapping', ['files'], 'USERDATA_SPEC_INVALID', ''],
  ['a wrapper of another kind', { apiVersion: 'v1', kind: 'ConfigMap' }, 'USERDATA_SPEC_INVALID', 'kind'],
  ['KubeadmConfig v1beta2', { apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta2', kind: 'KubeadmConfig', spec: {} }, 'USERDATA_SPEC_UNSUPPORTED', 'apiVersion'],
  ['inside a KubeadmConfig the path starts at spec', { apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1', kind: 'KubeadmConfig', spec: { files: [{ path: '/a', encoding: 'zip' }] } }, 'USERDATA_SPEC_INVALID', 'spec.files[0].encoding'],
  ['inside a template', { apiVersion: 'bootstrap.cluster.x-k8s.io/v1beta1', kind: 'KubeadmConfigTemplate', spec: { template: { spec: { joinConfiguration: { caCertPat: '/x' } } } } }, 'USERDATA_SPEC_UNKNOWN_FIELD', 'spec.template.spec.joinConfiguration.caCertPat'],
];

test('every unknown field and bad value is a JoineryError with its code and path', () => {
  for (const [name, value, code, path] of BAD) {
    const err = throwsCode(() => parseMachineSpec(value), code);
    assert.equal(err.path ?? '', path, `${name}: ${err.message}`);
    if (path !== '') assert.ok(err.message.includes(path), `${name}: the message names ${path}: ${err.message}`);
    assert.ok(err.fix.length > 0, name);
  }
});

test('unknown fields get a "did you mean" hint and the list of valid fields', () => {
  const err = throwsCode(() => parseMachineSpec({ preKubeadmComands: [] }), 'USERDATA_SPEC_UNKNOWN_FIELD');
  assert.match(err.fix, /did you mean "preKubeadmCommands"/);
  assert.match(err.fix, /postKubeadmCommands/);
});

test('a token in a bad kubeadm value never reaches the message', () => {
  const token = 'abcdef.0123456789abcdef';
  const err = throwsCode(() => parseMachineSpec({ joinConfiguration: { discovery: { bootstrapToken: { token, apiServerEndpoint: 'bad' } } } }), 'USERDATA_SPEC_INVALID');
  assert.doesNotMatch(JSON.stringify(err.toJSON()), /0123456789abcdef/);
});

test('YAML syntax errors, several documents and the source prefix', () => {
  const err = throwsCode(() => parseMachineSpec('files: [\n', { source: 'spec.yaml' }), 'USERDATA_SPEC_YAML_INVALID');
  assert.match(err.message, /^spec\.yaml: /);
  throwsCode(() => parseMachineSpec('a: 1\n---\nb: 2\n'), 'USERDATA_SPEC_YAML_INVALID');
  const unknown = throwsCode(() => parseMachineSpec('fils: []', { source: 'spec.yaml' }), 'USERDATA_SPEC_UNKNOWN_FIELD');
  assert.equal(unknown.path, 'fils');
  assert.match(unknown.message, /^spec\.yaml: fils: /);
});

test('unquoted 0640 is refused with a hint to quote it', () => {
  const err = throwsCode(() => parseMachineSpec('files:\n- path: /a\n  permissions: 0640\n'), 'USERDATA_SPEC_INVALID');
  assert.equal(err.path, 'files[0].permissions');
  assert.match(err.message, /416/);
  assert.match(err.fix, /"0640"/);
});

test('resolveSecretRefs fills files (decoding them) and passwords, and names the missing one', () => {
  const gz = gzipSync(Buffer.from('{"cloud":"azure"}'));
  const spec = parseMachineSpec({
    files: [
      { path: '/plain', content: 'x' },
      { path: '/gz', encoding: 'gzip', contentFrom: { secret: { name: 'files', key: 'azure.json.gz' } } },
    ],
    users: [{ name: 'ops', passwdFrom: { secret: { name: 'pw', key: 'hash' } } }],
  });
  const data: Record<string, Uint8Array> = {
    'files/azure.json.gz': new Uint8Array(gz),
    'pw/hash': new TextEncoder().encode('$6$salt$hash'),
  };
  const resolved = resolveSecretRefs(spec, (name, key) => data[`${name}/${key}`]);
  assert.equal(text(resolved.files[1]?.content), '{"cloud":"azure"}');
  assert.equal(resolved.files[1]?.contentFrom, undefined);
  assert.equal(resolved.users[0]?.passwd, '$6$salt$hash');
  assert.equal(resolved.users[0]?.passwdFrom, undefined);
  assert.ok(spec.files[1]?.contentFrom, 'the input spec is not changed');
  const err = throwsCode(() => resolveSecretRefs(spec, () => undefined), 'USERDATA_SECRET_MISSING');
  assert.equal(err.path, 'files[1].contentFrom.secret');
  const pwErr = throwsCode(() => resolveSecretRefs(spec, (name, key) => (name === 'files' ? data[`${name}/${key}`] : undefined)), 'USERDATA_SECRET_MISSING');
  assert.equal(pwErr.path, 'users[0].passwdFrom.secret');
});

test('null fields are "not set", as in Go', () => {
  const spec = parseMachineSpec({ files: null, ntp: null, joinConfiguration: { nodeRegistration: null, caCertPath: null } });
  assert.deepEqual(spec.files, []);
  assert.equal(spec.ntp, undefined);
  assert.deepEqual(spec.joinConfiguration, {});
});

test('errors are JoineryErrors (not TypeErrors) for odd parsed values', () => {
  for (const v of [null, 3, 'x: [', new Date(), { files: [new Map()] }, { users: [{ name: () => 1 }] }, Object.create(null)]) {
    try {
      parseMachineSpec(v);
    } catch (err) {
      assert.ok(err instanceof JoineryError, String(err));
    }
  }
});
