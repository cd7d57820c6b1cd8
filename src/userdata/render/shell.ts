/**
 * The POSIX sh text shared by the shell renderer and the script Ignition's boot unit runs: the run-once
 * guard, atomic file writes (a temporary file in the target directory, then chmod, chown, mv -f), the
 * binary installer, and the command sequence pre-commands, kubeadm, sentinel, post-commands. No I/O.
 */
import type { BootPlan, PlanUser } from '../plan.js';
import {
  binaryInstallLines,
  dirnameOf,
  INSTALL_FUNCTIONS,
  kubeadmCommandLine,
  sentinelCommand,
  shQuote,
} from './shared.js';

/**
 * `joinery_temp PATH` prints a new empty temporary file (mode 0600 under umask 077) in PATH's directory,
 * creating the directory 0755 as cloud-init and Ignition do; `joinery_commit TMP PATH MODE [OWNER]` gives it
 * its mode and owner and renames it over PATH, so PATH never holds a partial file or a wrong mode.
 */
export const WRITE_FUNCTIONS = [
  'joinery_temp() {',
  '  joinery_d=$(dirname "$1")',
  '  (umask 022 && mkdir -p "$joinery_d")',
  '  mktemp "$joinery_d/.joinery.XXXXXX"',
  '}',
  'joinery_commit() {',
  '  chmod "$3" "$1"',
  '  if [ -n "${4:-}" ]; then chown "$4" "$1"; fi',
  '  mv -f "$1" "$2"',
  '}',
].join('\n');

/**
 * The script's opening: shebang, strict mode, a private umask while files are written (user commands run
 * under 022, as under cloud-init), and the exit when the run-once guard exists.
 */
export function scriptPrologue(plan: BootPlan, purpose: string): string[] {
  return [
    '#!/bin/sh',
    `# ${purpose}`,
    `# role ${plan.role}`,
    'set -eu',
    'umask 077',
    `if [ -e ${shQuote(plan.runOnceGuard)} ]; then`,
    `  echo ${shQuote(`joinery: ${plan.runOnceGuard} exists, this machine has already joined; nothing to do`)}`,
    '  exit 0',
    'fi',
  ];
}

/** The lines that set an existing user's inactive flag (account expired, as `usermod --expiredate 1`). */
export function inactiveUserLines(users: readonly PlanUser[]): string[] {
  return users.filter((u) => u.inactive === true).map((u) => `usermod --expiredate 1 ${shQuote(u.name)}`);
}

/**
 * From the binaries to the post-commands: install and verify the binaries, the pre-commands, kubeadm, the
 * sentinel (its directory created first), `cleanup` lines, then the post-commands. Commands are written as
 * given, one per line, as cloud-init's runcmd does; `set -e` stops at the first failure.
 */
export function commandLines(plan: BootPlan, cleanup: readonly string[] = []): string[] {
  // Files are written; the commands get the usual umask, as under cloud-init.
  const out: string[] = ['', 'umask 022'];
  const installs = binaryInstallLines(plan);
  if (installs.length > 0) out.push('', '# Kubernetes binaries, checked against their sha256', INSTALL_FUNCTIONS, ...installs);
  if (plan.preKubeadmCommands.length > 0) out.push('', '# preKubeadmCommands', ...plan.preKubeadmCommands);
  out.push(
    '',
    '# kubeadm, then the Cluster API bootstrap sentinel',
    kubeadmCommandLine(plan),
    `mkdir -p ${shQuote(dirnameOf(plan.sentinel))}`,
    sentinelCommand(plan),
    ...cleanup,
  );
  if (plan.postKubeadmCommands.length > 0) out.push('', '# postKubeadmCommands', ...plan.postKubeadmCommands);
  return out;
}
