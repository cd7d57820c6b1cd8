/**
 * The boot plan as an Ignition v3 config (spec 3.3.0, 3.4.0 or 3.5.0; Flatcar and Fedora CoreOS), which
 * Cluster API's kubeadm provider renders by a second path; here it is one more translation of the same plan.
 * Ignition writes the files (data URLs, gzip where it is shorter), users and disks in the initramfs; one
 * oneshot systemd unit then runs one script with the boot commands, binaries, pre-commands, kubeadm, the
 * sentinel and the post-commands, guarded by `ConditionPathExists=!/etc/kubernetes/kubelet.conf`.
 *
 * Ignition writes to the root filesystem before switch-root, and /run (like /tmp) is a fresh tmpfs after it,
 * so files the plan puts there (kubeadm's config at /run/kubeadm/...) are written under STAGING_DIR and the
 * script copies them into place with their mode and owner before kubeadm runs, and removes the staged copies
 * once kubeadm has succeeded.
 */
import type { BootPlan, PlanFile } from '../plan.js';
import {
  base64Of,
  effectiveMode,
  gzipDeterministic,
  ntpFiles,
  octalMode,
  shQuote,
  splitOwner,
  sudoersFiles,
  unsupported,
} from './shared.js';
import { commandLines, inactiveUserLines, scriptPrologue, WRITE_FUNCTIONS } from './shell.js';

export const IGNITION_VERSIONS = ['3.3.0', '3.4.0', '3.5.0'] as const;
export type IgnitionVersion = (typeof IGNITION_VERSIONS)[number];

export interface IgnitionOptions {
  /** Ignition spec version; 3.4.0 when absent. */
  version?: IgnitionVersion;
  /** Where files bound for tmpfs paths wait for the boot script; STAGING_DIR when absent. */
  stagingDir?: string;
}

/** The systemd unit that runs the boot script once. */
export const BOOTSTRAP_UNIT_NAME = 'joinery-bootstrap.service';
/** The boot script the unit runs (mode 0700). */
export const BOOTSTRAP_SCRIPT_PATH = '/etc/joinery/bootstrap.sh';
/** Where files bound for tmpfs paths wait until the boot script copies them into place. */
export const STAGING_DIR = '/etc/joinery/staged';

/** Paths on a tmpfs after switch-root: what Ignition writes there is hidden at boot. */
const VOLATILE = /^\/(?:run|var\/run|tmp)\//;

/** Files from 1 KiB on are tried with gzip; below that it saves a few hundred bytes at most, for a zlib setup that costs more than the rest of the file's rendering. */
const GZIP_FROM = 1024;

/** RFC 2396 unreserved characters, the set vincent-petithory/dataurl (Ignition's parser) leaves unescaped. */
const UNRESERVED = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  UNRESERVED[c] = /[A-Za-z0-9\-_.!~*'()]/.test(ch) ? 1 : 0;
}
const HEX = '0123456789ABCDEF';

const HEX_BYTES = new TextEncoder().encode(HEX);

/** RFC 2396 escaping of the bytes into a buffer sized from `reserved` (the count of bytes to escape). */
function percentEncoded(content: Uint8Array, reserved: number): string {
  const out = Buffer.allocUnsafe(content.length + 2 * reserved);
  let j = 0;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (UNRESERVED[b] === 1) out[j++] = b;
    else {
      out[j++] = 0x25;
      out[j++] = HEX_BYTES[b >> 4] as number;
      out[j++] = HEX_BYTES[b & 15] as number;
    }
  }
  return out.toString('latin1', 0, j);
}

interface IgnitionResource {
  source: string;
  compression?: 'gzip';
}

/**
 * The shortest data URL for the bytes (RFC 2397): `data:,` with percent-encoding, `data:;base64,`, or
 * gzip+base64 with `compression: gzip`; ties go to the uncompressed, readable form.
 */
export function dataUrlResource(content: Uint8Array): IgnitionResource {
  let reserved = 0;
  for (let i = 0; i < content.length; i++) if (UNRESERVED[content[i] as number] === 0) reserved++;
  const pctLength = 6 + content.length + 2 * reserved;
  const b64Length = 13 + Math.ceil(content.length / 3) * 4;
  let best = Math.min(pctLength, b64Length);
  if (content.length >= GZIP_FROM) {
    const gz = gzipDeterministic(content);
    if (13 + Math.ceil(gz.length / 3) * 4 < best) return { source: `data:;base64,${base64Of(gz)}`, compression: 'gzip' };
  }
  return pctLength <= best ? { source: `data:,${percentEncoded(content, reserved)}` } : { source: `data:;base64,${base64Of(content)}` };
}

/**
 * The boot script's data URL by script text. Machines of one MachineDeployment share the same script, and
 * gzip's setup dominates the cost of a small file, so a bounded memo keeps rendering fast; the output is the
 * same with or without it.
 */
const SCRIPT_MEMO = new Map<number, { script: string; resource: IgnitionResource }[]>();
const SCRIPT_MEMO_LIMIT = 64;

function scriptResource(script: string): IgnitionResource {
  // Keyed by length and compared whole: hashing a few kilobytes of string would cost more than the compare.
  const bucket = SCRIPT_MEMO.get(script.length);
  if (bucket !== undefined) {
    for (const entry of bucket) if (entry.script === script) return entry.resource;
  }
  const resource = dataUrlResource(new TextEncoder().encode(script));
  if (SCRIPT_MEMO.size >= SCRIPT_MEMO_LIMIT) SCRIPT_MEMO.clear();
  const entries = SCRIPT_MEMO.get(script.length) ?? [];
  if (entries.length < 4) entries.push({ script, resource });
  SCRIPT_MEMO.set(script.length, entries);
  return resource;
}

interface IgnitionFile {
  path: string;
  overwrite?: boolean;
  contents?: IgnitionResource;
  append?: IgnitionResource[];
  mode: number;
  user?: { name: string };
  group?: { name: string };
}

function ignitionFile(file: PlanFile, path = file.path, withOwner = true): IgnitionFile {
  const resource = dataUrlResource(file.content);
  const out: IgnitionFile =
    file.append === true ? { path, append: [resource], mode: effectiveMode(file) } : { path, overwrite: true, contents: resource, mode: effectiveMode(file) };
  if (withOwner && file.owner !== undefined && file.owner !== '') {
    const { user, group } = splitOwner(file.owner);
    out.user = { name: user };
    if (group !== undefined) out.group = { name: group };
  }
  return out;
}

/** systemd-escape --path: the unit name of a mount point. */
function systemdEscapePath(path: string): string {
  const trimmed = path.replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  if (trimmed === '') return '-';
  let out = '';
  const bytes = new TextEncoder().encode(trimmed);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const ch = String.fromCharCode(b);
    if (ch === '/') out += '-';
    else if (/[A-Za-z0-9:_]/.test(ch) || (ch === '.' && i > 0)) out += ch;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** An fstab device spec as a device path for a systemd mount unit (LABEL=x is /dev/disk/by-label/x, ...). */
function mountWhat(spec: string): string {
  const m = /^(LABEL|UUID|PARTLABEL|PARTUUID)=(.+)$/.exec(spec);
  if (m === null) return spec;
  const dir = { LABEL: 'by-label', UUID: 'by-uuid', PARTLABEL: 'by-partlabel', PARTUUID: 'by-partuuid' }[m[1] as 'LABEL'];
  return `/dev/disk/${dir}/${m[2] as string}`;
}

/** A Cluster API partition reference as a device path: `/dev/sdb` + 1 is /dev/sdb1, `/dev/nvme0n1` + 1 is /dev/nvme0n1p1. */
function partitionDevice(device: string, partition: string | undefined, field: string): string {
  if (partition === undefined || partition === 'none') return device;
  if (!/^[0-9]+$/.test(partition)) {
    throw unsupported(
      'ignition',
      field,
      `partition "${partition}" asks cloud-init to search the disk, which Ignition cannot do`,
      'name the partition by number or give its device path (e.g. /dev/sdb1), or use --format cloud-config',
    );
  }
  return /[0-9]$/.test(device) ? `${device}p${partition}` : `${device}${partition}`;
}

/** Ignition's storage.disks and storage.filesystems for Cluster API's diskSetup (GPT only). */
function storageDisks(plan: BootPlan): { disks: object[]; filesystems: object[] } {
  const disks: object[] = [];
  (plan.diskSetup?.partitions ?? []).forEach((p, i) => {
    if (p.tableType !== undefined && p.tableType !== 'gpt') {
      throw unsupported(
        'ignition',
        `diskSetup.partitions[${i}].tableType`,
        `Ignition writes GPT partition tables only, not "${p.tableType}"`,
        'use tableType: gpt, or --format cloud-config for an MBR table',
      );
    }
    if (!p.layout && p.overwrite !== true) return;
    const disk: Record<string, unknown> = { device: p.device, wipeTable: p.overwrite === true };
    if (p.layout) disk['partitions'] = [{ number: 1 }];
    disks.push(disk);
  });
  const filesystems = (plan.diskSetup?.filesystems ?? []).map((f, i) => {
    if (f.replaceFS !== undefined) {
      throw unsupported(
        'ignition',
        `diskSetup.filesystems[${i}].replaceFS`,
        'Ignition has no replace-filesystem operation',
        'drop replaceFS and set overwrite: true to wipe the old filesystem, or use --format cloud-config',
      );
    }
    const fs: Record<string, unknown> = {
      device: partitionDevice(f.device, f.partition, `diskSetup.filesystems[${i}].partition`),
      format: f.filesystem,
      label: f.label,
      wipeFilesystem: f.overwrite === true,
    };
    if (f.extraOpts !== undefined && f.extraOpts.length > 0) fs['options'] = f.extraOpts;
    return fs;
  });
  return { disks, filesystems };
}

/** One systemd mount unit per Cluster API mount ([device, mount point, type, options, ...]). */
function mountUnits(plan: BootPlan): { name: string; enabled: boolean; contents: string }[] {
  const units: { name: string; enabled: boolean; contents: string }[] = [];
  (plan.mounts ?? []).forEach((m, i) => {
    const [what, where, type, options] = m;
    if (what === undefined || where === undefined) return; // cloud-init skips a mount without a mount point
    if (!where.startsWith('/')) {
      throw unsupported(
        'ignition',
        `mounts[${i}][1]`,
        `"${where}" is not an absolute mount point (swap entries are not supported)`,
        'give an absolute mount point, or use --format cloud-config',
      );
    }
    const lines = [
      '[Unit]',
      `Description=Mount ${what} on ${where} (joinery, from mounts[${i}])`,
      'Before=local-fs.target',
      '',
      '[Mount]',
      `What=${mountWhat(what)}`,
      `Where=${where}`,
    ];
    if (type !== undefined && type !== '' && type !== 'auto') lines.push(`Type=${type}`);
    lines.push(`Options=${options !== undefined && options !== '' ? options : 'defaults,nofail'}`, '', '[Install]', 'RequiredBy=local-fs.target', '');
    units.push({ name: `${systemdEscapePath(where)}.mount`, enabled: true, contents: lines.join('\n') });
  });
  return units;
}

/** The unit that runs the boot script once per machine: kubelet.conf, written by kubeadm, ends the runs. */
function bootstrapUnit(plan: BootPlan): string {
  return [
    '[Unit]',
    'Description=joinery: make this machine a Kubernetes node with kubeadm',
    'Requires=network-online.target',
    'After=network-online.target containerd.service',
    `ConditionPathExists=!${plan.runOnceGuard}`,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/bin/sh ${BOOTSTRAP_SCRIPT_PATH}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** The boot script: staged tmpfs files into place, boot commands, inactive users, then commandLines. */
function bootstrapScript(plan: BootPlan, staged: readonly PlanFile[], stagingDir: string): string {
  const out = scriptPrologue(plan, `joinery boot script, run once by ${BOOTSTRAP_UNIT_NAME}`);
  if (plan.bootCommands.length > 0) out.push('', '# bootCommands', 'umask 022', ...plan.bootCommands, 'umask 077');
  if (staged.length > 0) {
    out.push('', `# files for tmpfs paths, staged by Ignition under ${stagingDir}`, WRITE_FUNCTIONS);
    for (const f of staged) {
      const path = shQuote(f.path);
      const from = shQuote(stagingDir + f.path);
      const owner = f.owner !== undefined && f.owner !== '' ? ` ${shQuote(f.owner)}` : '';
      out.push(`joinery_tmp=$(joinery_temp ${path})`);
      if (f.append === true) out.push(`if [ -f ${path} ]; then cat ${path} >"$joinery_tmp"; fi`);
      out.push(`cat ${from} >>"$joinery_tmp"`, `joinery_commit "$joinery_tmp" ${path} ${octalMode(effectiveMode(f))}${owner}`);
    }
  }
  const inactive = inactiveUserLines(plan.users);
  if (inactive.length > 0) out.push('', '# inactive users', ...inactive);
  const cleanup = staged.length > 0 ? [`rm -rf ${shQuote(stagingDir)}`] : [];
  out.push(...commandLines(plan, cleanup));
  return `${out.join('\n')}\n`;
}

/**
 * The plan as an Ignition config (JSON, one line): `passwd.users`; `storage.files` with data URLs, modes in
 * decimal (secrets 0600), `overwrite: true` or `append`, owners by name; NTP as a systemd-timesyncd drop-in
 * and /etc/chrony.conf; sudo rules as sudoers drop-ins; diskSetup as `storage.disks`/`filesystems` (GPT,
 * numbered partitions) and mounts as mount units; and the oneshot `joinery-bootstrap.service` that runs
 * /etc/joinery/bootstrap.sh while /etc/kubernetes/kubelet.conf is absent.
 */
export function renderIgnition(plan: BootPlan, options: IgnitionOptions = {}): string {
  const version = options.version ?? '3.4.0';
  const stagingDir = options.stagingDir ?? STAGING_DIR;
  const staged: PlanFile[] = [];
  const files: IgnitionFile[] = [];
  for (const f of [...plan.files, ...sudoersFiles(plan), ...ntpFiles(plan, 'chrony.conf')]) {
    if (VOLATILE.test(f.path)) {
      staged.push(f);
      files.push(ignitionFile({ ...f, append: false }, stagingDir + f.path, false));
    } else files.push(ignitionFile(f));
  }
  files.push({ path: BOOTSTRAP_SCRIPT_PATH, overwrite: true, contents: scriptResource(bootstrapScript(plan, staged, stagingDir)), mode: 0o700 });

  const doc: Record<string, unknown> = { ignition: { version } };
  if (plan.users.length > 0) {
    doc['passwd'] = {
      users: plan.users.map((u) => {
        const user: Record<string, unknown> = { name: u.name };
        // cloud-init locks the password unless lock_passwd is false; an Ignition user without a hash has none.
        if (u.passwd !== undefined && u.lockPassword === false) user['passwordHash'] = u.passwd;
        if (u.sshAuthorizedKeys !== undefined && u.sshAuthorizedKeys.length > 0) user['sshAuthorizedKeys'] = u.sshAuthorizedKeys;
        if (u.gecos !== undefined) user['gecos'] = u.gecos;
        if (u.homeDir !== undefined) user['homeDir'] = u.homeDir;
        if (u.primaryGroup !== undefined) user['primaryGroup'] = u.primaryGroup;
        if (u.groups !== undefined && u.groups.length > 0) user['groups'] = u.groups;
        if (u.shell !== undefined) user['shell'] = u.shell;
        return user;
      }),
    };
  }
  const { disks, filesystems } = storageDisks(plan);
  const storage: Record<string, unknown> = {};
  if (disks.length > 0) storage['disks'] = disks;
  if (filesystems.length > 0) storage['filesystems'] = filesystems;
  storage['files'] = files;
  doc['storage'] = storage;
  doc['systemd'] = { units: [...mountUnits(plan), { name: BOOTSTRAP_UNIT_NAME, enabled: true, contents: bootstrapUnit(plan) }] };
  return `${JSON.stringify(doc)}\n`;
}
