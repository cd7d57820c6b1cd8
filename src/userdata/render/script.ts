/**
 * The boot plan as one POSIX sh script, for any distribution or an Ansible `script` task: it does what
 * cloud-init does with Cluster API's cloud-config (boot commands, users, files, NTP, binaries, commands,
 * kubeadm, the sentinel) without cloud-init. File contents travel in quoted here-documents (printable text
 * as it is, anything else as base64), never on a command line.
 */
import type { BootPlan, PlanFile, PlanUser } from '../plan.js';
import {
  base64Lines,
  effectiveMode,
  heredocDelimiter,
  literalText,
  ntpFiles,
  octalMode,
  shQuote,
  sudoersFiles,
  unsupported,
} from './shared.js';
import { commandLines, inactiveUserLines, scriptPrologue, WRITE_FUNCTIONS } from './shell.js';

/** A here-document that feeds `body` (which ends with a line feed) to `command`. */
function heredoc(command: string, body: string): string {
  const delim = heredocDelimiter(body);
  return `${command} <<'${delim}'\n${body}${delim}`;
}

/** The lines that write one file atomically with its mode and owner; append files start from the old content. */
function fileLines(file: PlanFile): string[] {
  const path = shQuote(file.path);
  const out = [`joinery_tmp=$(joinery_temp ${path})`];
  if (file.append === true) out.push(`if [ -f ${path} ]; then cat ${path} >"$joinery_tmp"; fi`);
  if (file.content.length > 0) {
    const text = literalText(file.content);
    if (text !== undefined && text.endsWith('\n')) out.push(heredoc('cat >>"$joinery_tmp"', text));
    else out.push(heredoc('base64 -d >>"$joinery_tmp"', `${base64Lines(file.content).join('\n')}\n`));
  }
  const owner = file.owner !== undefined && file.owner !== '' ? ` ${shQuote(file.owner)}` : '';
  out.push(`joinery_commit "$joinery_tmp" ${path} ${octalMode(effectiveMode(file))}${owner}`);
  return out;
}

/** Groups a user needs that may not exist yet: cloud-init creates them, so the script does too. */
function groupLines(u: PlanUser): string[] {
  const groups = [...(u.primaryGroup !== undefined ? [u.primaryGroup] : []), ...(u.groups ?? [])];
  return groups.map((g) => `getent group ${shQuote(g)} >/dev/null || groupadd ${shQuote(g)}`);
}

/** cloud-init's users module by hand: create if missing, groups, crypted password via stdin, lock, ssh keys. */
function userLines(u: PlanUser): string[] {
  const name = shQuote(u.name);
  const args = ['useradd', '-m'];
  if (u.gecos !== undefined) args.push('-c', shQuote(u.gecos));
  if (u.homeDir !== undefined) args.push('-d', shQuote(u.homeDir));
  if (u.primaryGroup !== undefined) args.push('-g', shQuote(u.primaryGroup));
  if (u.shell !== undefined) args.push('-s', shQuote(u.shell));
  args.push(name);
  const out = [...groupLines(u), `if ! id ${name} >/dev/null 2>&1; then`, `  ${args.join(' ')}`, 'fi'];
  if (u.groups !== undefined && u.groups.length > 0) out.push(`usermod -a -G ${shQuote(u.groups.join(','))} ${name}`);
  if (u.passwd !== undefined) out.push(heredoc('chpasswd -e', `${u.name}:${u.passwd}\n`));
  // cloud-init locks the password unless lock_passwd is false.
  if (u.lockPassword !== false) out.push(`usermod -L ${name}`);
  if (u.sshAuthorizedKeys !== undefined && u.sshAuthorizedKeys.length > 0) {
    out.push(
      `joinery_home=$(getent passwd ${name} | cut -d: -f6)`,
      '(umask 077 && mkdir -p "$joinery_home/.ssh")',
      heredoc('cat >>"$joinery_home/.ssh/authorized_keys"', `${u.sshAuthorizedKeys.join('\n')}\n`),
      'chmod 0700 "$joinery_home/.ssh"',
      'chmod 0600 "$joinery_home/.ssh/authorized_keys"',
      `chown -R ${name}:"$(id -gn ${name})" "$joinery_home/.ssh"`,
    );
  }
  return out;
}

/**
 * The plan as one POSIX sh script (`#!/bin/sh`, `set -eu`): it exits 0 at once when the run-once guard
 * exists; runs the boot commands; creates users (useradd/usermod, ssh keys); writes every file atomically
 * with its mode (secrets 0600) and owner, append files appended; writes NTP drop-ins for
 * systemd-timesyncd and chrony; installs and verifies the binaries; then pre-commands, kubeadm, the
 * sentinel and post-commands. Refuses diskSetup and mounts (USERDATA_UNSUPPORTED_FOR_FORMAT): partitioning
 * is left to cloud-config or Ignition.
 */
export function renderScript(plan: BootPlan): string {
  if ((plan.diskSetup?.partitions?.length ?? 0) > 0 || (plan.diskSetup?.filesystems?.length ?? 0) > 0) {
    throw unsupported(
      'script',
      'diskSetup',
      'the shell script does not partition disks or make filesystems',
      'use --format cloud-config or --format ignition, or prepare the disks before running the script',
    );
  }
  if ((plan.mounts?.length ?? 0) > 0) {
    throw unsupported(
      'script',
      'mounts',
      'the shell script does not edit /etc/fstab or mount filesystems',
      'use --format cloud-config or --format ignition, or mount the filesystems before running the script',
    );
  }
  const out = scriptPrologue(plan, 'joinery bootstrap script: makes this machine a Kubernetes node with kubeadm');
  if (plan.bootCommands.length > 0) out.push('', '# bootCommands', 'umask 022', ...plan.bootCommands, 'umask 077');
  if (plan.users.length > 0) {
    out.push('', '# users');
    for (const u of plan.users) out.push(...userLines(u));
    out.push(...inactiveUserLines(plan.users));
  }
  const ntp = ntpFiles(plan, 'sources.d');
  const files = [...plan.files, ...sudoersFiles(plan), ...ntp];
  out.push('', '# files', WRITE_FUNCTIONS);
  for (const f of files) out.push(...fileLines(f));
  if (ntp.length > 0) {
    out.push(
      'if command -v systemctl >/dev/null 2>&1; then',
      '  systemctl try-restart systemd-timesyncd.service chrony.service chronyd.service || true',
      'fi',
    );
  }
  out.push(...commandLines(plan));
  return `${out.join('\n')}\n`;
}
