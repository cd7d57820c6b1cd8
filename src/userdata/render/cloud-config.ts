/**
 * The boot plan as cloud-init `#cloud-config`, laid out as Cluster API's kubeadm bootstrap provider writes
 * it (bootstrap/kubeadm/internal/cloudinit: `write_files` with `path` first and `permissions` as a quoted
 * octal string, `runcmd` with `kubeadm ... && echo success > /run/cluster-api/bootstrap-success.complete`,
 * then `ntp`, `users`, `disk_setup`, `fs_setup`, `mounts`). The YAML is written here rather than by a
 * general writer so that the layout stays Cluster API's; every scalar is plain only when PyYAML (cloud-init's
 * reader) reads it back as the same string, and file contents are literal blocks only when they are
 * printable text, else base64 (gzip+base64 when that is shorter).
 */
import type { BootPlan, PlanFile, PlanUser } from '../plan.js';
import {
  base64Lines,
  binaryInstallLines,
  dirnameOf,
  effectiveMode,
  gzipDeterministic,
  INSTALL_FUNCTIONS,
  kubeadmCommandLine,
  literalText,
  octalMode,
  sentinelCommand,
  shQuote,
  splitOwner,
} from './shared.js';

export interface CloudConfigOptions {
  /** Start with `## template: jinja` as Cluster API does, so that cloud-init renders `{{ ds.meta_data... }}`. */
  jinja?: boolean;
}

/** Text files from this size on are gzipped when that makes them shorter; smaller ones stay readable. */
const GZIP_TEXT_FROM = 4096;
/** Binary files from this size on are gzipped when that makes them shorter. */
const GZIP_BINARY_FROM = 128;

/** Cluster API's placeholder, which makes cloud-init create the sentinel's directory. */
const PLACEHOLDER_CONTENT =
  'This placeholder file is used to create the /run/cluster-api sub directory in a way that is compatible with both Linux and Windows (mkdir -p /run/cluster-api does not work with Windows)';

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@:+=,-]*$/;
/** Words YAML 1.1 (PyYAML) and yaml.v2 read as booleans or null. */
const YAML11_WORDS = /^(?:y|n|yes|no|true|false|on|off|null)$/i;

/** Whether `s` may be written as a plain scalar and still read back as the same string. */
function isPlainSafe(s: string): boolean {
  return PLAIN.test(s) && !s.endsWith(':') && !YAML11_WORDS.test(s);
}

/**
 * Whether every character of `s` may stand as it is inside a quoted scalar: printable for PyYAML, no line
 * break of any kind, no lone surrogate.
 */
function isPrintableLine(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x7f) {
      if (c < 0x20) return false;
      continue;
    }
    if (c < 0xa0 || c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** A YAML double-quoted scalar: every character that is not printable or is a line break is escaped. */
function doubleQuoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0) out += '\\0';
    else if (c < 0xa0) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdbff && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s.slice(i, i + 2);
      i++;
    } else if ((c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029 || c === 0xfeff || c >= 0xfffe) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += s[i];
  }
  return `${out}"`;
}

/** A string scalar: plain when safe, single-quoted when printable, else double-quoted with escapes. */
function scalar(s: string): string {
  if (isPlainSafe(s)) return s;
  if (isPrintableLine(s)) return `'${s.replace(/'/g, "''")}'`;
  return doubleQuoted(s);
}

/**
 * `text` as the value of a mapping key whose block content is indented by `indent` spaces: a literal block
 * (`|`, `|-` or `|+` for one, none or several final line breaks; an indentation indicator when the text
 * starts with a space or a line break), or a quoted scalar when the text is empty or only line breaks.
 */
function blockValue(text: string, indent: number, relative: number): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x0a) end--;
  if (end === 0) return text.length === 0 ? "''" : doubleQuoted(text);
  const trailing = text.length - end;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  const indicator = text.charCodeAt(0) === 0x20 || text.charCodeAt(0) === 0x0a ? String(relative) : '';
  const pad = ' '.repeat(indent);
  let out = `|${indicator}${chomp}`;
  for (const line of text.slice(0, end).split('\n')) out += line === '' ? '\n' : `\n${pad}${line}`;
  return trailing > 1 ? out + '\n'.repeat(trailing - 1) : out;
}

interface EncodedContent {
  encoding?: 'b64' | 'gz+b64';
  value: string;
}

/** How one file's bytes are carried: a literal block when they are text, else base64 or gzip+base64. */
function encodeContent(content: Uint8Array): EncodedContent {
  const text = literalText(content);
  if (text !== undefined && content.length < GZIP_TEXT_FROM) return { value: blockValue(text, 6, 2) };
  if (content.length >= (text === undefined ? GZIP_BINARY_FROM : GZIP_TEXT_FROM)) {
    const gz = gzipDeterministic(content);
    if (Math.ceil(gz.length / 3) * 4 < (text === undefined ? Math.ceil(content.length / 3) * 4 : content.length)) {
      return { encoding: 'gz+b64', value: blockValue(`${base64Lines(gz).join('\n')}\n`, 6, 2) };
    }
  }
  if (text !== undefined) return { value: blockValue(text, 6, 2) };
  if (content.length === 0) return { value: "''" };
  return { encoding: 'b64', value: blockValue(`${base64Lines(content).join('\n')}\n`, 6, 2) };
}

/** Names a user or group the plan itself creates: a file owned by one must wait for cloud-init's users module. */
function planPrincipals(users: readonly PlanUser[]): Set<string> {
  const names = new Set<string>();
  for (const u of users) {
    names.add(u.name);
    if (u.primaryGroup !== undefined) names.add(u.primaryGroup);
    for (const g of u.groups ?? []) names.add(g);
  }
  return names;
}

function writeFile(out: string[], file: PlanFile, principals: Set<string>): void {
  const enc = encodeContent(file.content);
  out.push(`-   path: ${scalar(file.path)}`);
  if (enc.encoding !== undefined) out.push(`    encoding: ${enc.encoding}`);
  if (file.owner !== undefined && file.owner !== '') out.push(`    owner: ${scalar(file.owner)}`);
  out.push(`    permissions: '${octalMode(effectiveMode(file))}'`);
  if (file.append === true) out.push('    append: true');
  if (file.owner !== undefined) {
    const { user, group } = splitOwner(file.owner);
    // write_files runs before users-groups; `defer` writes the file in the final stage, still before runcmd.
    if (principals.has(user) || (group !== undefined && principals.has(group))) out.push('    defer: true');
  }
  out.push(`    content: ${enc.value}`);
}

/** One `runcmd`/`bootcmd` item: a literal block for a multi-line printable command, else a scalar. */
function commandItem(cmd: string): string {
  if (cmd.includes('\n') && literalText(new TextEncoder().encode(cmd)) !== undefined) return `  - ${blockValue(cmd, 4, 2)}`;
  return `  - ${scalar(cmd)}`;
}

function writeUser(out: string[], u: PlanUser): void {
  out.push(`  - name: ${scalar(u.name)}`);
  if (u.passwd !== undefined) out.push(`    passwd: ${scalar(u.passwd)}`);
  if (u.gecos !== undefined) out.push(`    gecos: ${scalar(u.gecos)}`);
  if (u.groups !== undefined && u.groups.length > 0) out.push(`    groups: ${scalar(u.groups.join(','))}`);
  if (u.homeDir !== undefined) out.push(`    homedir: ${scalar(u.homeDir)}`);
  // cloud-init's `inactive` is a number of days (useradd -f); an inactive user is one whose account has expired.
  if (u.inactive === true) out.push("    expiredate: '1970-01-02'");
  if (u.lockPassword !== undefined) out.push(`    lock_passwd: ${u.lockPassword}`);
  if (u.shell !== undefined) out.push(`    shell: ${scalar(u.shell)}`);
  if (u.primaryGroup !== undefined) out.push(`    primary_group: ${scalar(u.primaryGroup)}`);
  if (u.sudo !== undefined && u.sudo !== '') out.push(`    sudo: ${scalar(u.sudo)}`);
  if (u.sshAuthorizedKeys !== undefined && u.sshAuthorizedKeys.length > 0) {
    out.push('    ssh_authorized_keys:');
    for (const k of u.sshAuthorizedKeys) out.push(`      - ${scalar(k)}`);
  }
}

/**
 * The plan as a `#cloud-config` document (cloud-init's write_files, bootcmd, runcmd, users, ntp,
 * disk_setup, fs_setup and mounts modules), in Cluster API's layout. Files marked secret are written 0600
 * and their content appears only under `write_files`. kubeadm runs only while the run-once guard is absent,
 * and the sentinel is written when it succeeds (Cluster API's `kubeadm ... && echo success > ...`).
 */
export function renderCloudConfig(plan: BootPlan, options: CloudConfigOptions = {}): string {
  const out: string[] = [];
  if (options.jinja === true) out.push('## template: jinja');
  out.push('#cloud-config');
  if (plan.bootCommands.length > 0) {
    out.push('bootcmd:');
    for (const c of plan.bootCommands) out.push(commandItem(c));
  }
  out.push('write_files:');
  const principals = planPrincipals(plan.users);
  for (const f of plan.files) writeFile(out, f, principals);
  writeFile(
    out,
    {
      path: `${dirnameOf(plan.sentinel)}/placeholder`,
      content: new TextEncoder().encode(PLACEHOLDER_CONTENT),
      mode: 0o640,
      owner: 'root:root',
      secret: false,
    },
    principals,
  );
  out.push('runcmd:');
  const installs = binaryInstallLines(plan);
  if (installs.length > 0) {
    out.push(commandItem(INSTALL_FUNCTIONS));
    for (const line of installs) out.push(commandItem(line));
  }
  for (const c of plan.preKubeadmCommands) out.push(commandItem(c));
  out.push(
    commandItem(`{ [ -e ${shQuote(plan.runOnceGuard)} ] || ${kubeadmCommandLine(plan)}; } && ${sentinelCommand(plan)}`),
  );
  for (const c of plan.postKubeadmCommands) out.push(commandItem(c));
  if (plan.ntp !== undefined) {
    out.push('ntp:');
    if (plan.ntp.enabled !== undefined) out.push(`  enabled: ${plan.ntp.enabled}`);
    if (plan.ntp.servers.length > 0) {
      out.push('  servers:');
      for (const s of plan.ntp.servers) out.push(`    - ${scalar(s)}`);
    }
  }
  if (plan.users.length > 0) {
    out.push('users:');
    for (const u of plan.users) writeUser(out, u);
  }
  const partitions = plan.diskSetup?.partitions ?? [];
  if (partitions.length > 0) {
    out.push('disk_setup:');
    for (const p of partitions) {
      out.push(`  ${scalar(p.device)}:`);
      if (p.tableType !== undefined) out.push(`    table_type: ${scalar(p.tableType)}`);
      out.push(`    layout: ${p.layout}`);
      if (p.overwrite !== undefined) out.push(`    overwrite: ${p.overwrite}`);
    }
  }
  const filesystems = plan.diskSetup?.filesystems ?? [];
  if (filesystems.length > 0) {
    out.push('fs_setup:');
    for (const f of filesystems) {
      out.push(`  - label: ${scalar(f.label)}`);
      out.push(`    filesystem: ${scalar(f.filesystem)}`);
      out.push(`    device: ${scalar(f.device)}`);
      // cloud-init takes a partition number as a number and auto/any/none as words.
      if (f.partition !== undefined) out.push(`    partition: ${/^[0-9]+$/.test(f.partition) ? f.partition : scalar(f.partition)}`);
      if (f.overwrite !== undefined) out.push(`    overwrite: ${f.overwrite}`);
      if (f.replaceFS !== undefined) out.push(`    replace_fs: ${scalar(f.replaceFS)}`);
      if (f.extraOpts !== undefined && f.extraOpts.length > 0) {
        out.push('    extra_opts:');
        for (const o of f.extraOpts) out.push(`      - ${scalar(o)}`);
      }
    }
  }
  const mounts = plan.mounts ?? [];
  if (mounts.length > 0) {
    out.push('mounts:');
    for (const m of mounts) {
      m.forEach((field, i) => out.push(`${i === 0 ? '  - - ' : '    - '}${scalar(field)}`));
    }
  }
  return `${out.join('\n')}\n`;
}
