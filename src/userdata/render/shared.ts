/**
 * What the three renderers share: the effective mode of a file, the kubeadm command line, shell quoting,
 * the binary installer, the sudoers and NTP files that Ignition and the script write where cloud-init has
 * its own modules, and deterministic gzip. Format-neutral; no I/O.
 */
import { gzipSync } from 'node:zlib';
import { JoineryError } from '../../errors/index.js';
import type { BootPlan, PlanFile } from '../plan.js';

/** The mode a file is written with: 0600 for secrets whatever the plan says, else the plan's permission bits. */
export function effectiveMode(file: PlanFile): number {
  return file.secret ? 0o600 : file.mode & 0o7777;
}

/** A mode as Cluster API writes `permissions`: a zero-led octal string ('0644', '0600', '04755'). */
export function octalMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** `user:group` split as chown reads it; no group means the user's own. */
export function splitOwner(owner: string): { user: string; group?: string } {
  const i = owner.indexOf(':');
  if (i < 0) return { user: owner };
  const group = owner.slice(i + 1);
  return group === '' ? { user: owner.slice(0, i) } : { user: owner.slice(0, i), group };
}

/** The kubeadm invocation with Cluster API's `verbosity` as `--v=N` (left alone when the plan already set one). */
export function kubeadmCommandLine(plan: BootPlan): string {
  const cmd = plan.kubeadmCommand.trim();
  if (plan.verbosity === undefined || /(^|\s)--v=/.test(cmd)) return cmd;
  return `${cmd} --v=${plan.verbosity}`;
}

/** The directory of an absolute path, as dirname(1) prints it. */
export function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

const SHELL_BARE = /^[A-Za-z0-9_/.:=@%+,-]+$/;
/** One shell word for `s`: bare when it holds no special character, else single-quoted (POSIX 2.2.2). */
export function shQuote(s: string): string {
  if (s !== '' && SHELL_BARE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A here-document delimiter that no line of `body` can be mistaken for, so the body ends where it should
 * whatever it holds (POSIX 2.7.4: the delimiter is a line on its own).
 */
export function heredocDelimiter(body: string): string {
  let delim = 'JOINERY_EOF';
  for (let n = 1; body.includes(delim); n++) delim = `JOINERY_EOF_${n}`;
  return delim;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The content as text when it can be written as it is inside a YAML literal block or a shell here-document:
 * valid UTF-8 made of tab, line feed and printable characters only (PyYAML's printable set less its other
 * line breaks U+0085, U+2028, U+2029 and the BOM). Anything else (NUL, CR, other controls, invalid UTF-8)
 * gives undefined, and the renderers carry the bytes as base64.
 */
export function literalText(content: Uint8Array): string | undefined {
  let ascii = true;
  for (let i = 0; i < content.length; i++) {
    const b = content[i] as number;
    if (b >= 0x80) {
      ascii = false;
      break;
    }
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a) || b === 0x7f) return undefined;
  }
  if (ascii) return Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('latin1');
  let text: string;
  try {
    text = UTF8.decode(content);
  } catch {
    return undefined;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 0x09 && c !== 0x0a) return undefined;
    } else if (c >= 0x7f && c < 0xa0) return undefined;
    else if (c === 0x2028 || c === 0x2029 || c === 0xfeff || c === 0xfffe || c === 0xffff) return undefined;
  }
  return text;
}

/** Standard base64 of the bytes. */
export function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Base64 cut into lines of `width` characters, as base64(1) writes it. */
export function base64Lines(bytes: Uint8Array, width = 76): string[] {
  const b64 = base64Of(bytes);
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines;
}

/**
 * gzip of the bytes with a fixed header (RFC 1952: no name, MTIME 0, OS 3 = Unix), so the same input gives
 * the same output whatever the platform zlib was built for.
 */
export function gzipDeterministic(bytes: Uint8Array, level = 9): Uint8Array {
  // A window no larger than the input compresses as well and sets up faster (zlib allocates 4 windows' worth).
  let windowBits = 9;
  while (windowBits < 15 && 1 << windowBits < bytes.length + 262) windowBits++;
  const gz = gzipSync(bytes, { level, windowBits });
  gz[4] = 0;
  gz[5] = 0;
  gz[6] = 0;
  gz[7] = 0;
  gz[9] = 3;
  return gz;
}

/**
 * POSIX sh functions: `joinery_install URL SHA256 PATH` downloads URL (curl, else wget) to a temporary file
 * beside PATH, checks its sha256 and installs it with mode 0755. Any failure prints what failed and exits the
 * whole script, so a checksum mismatch stops the boot before kubeadm runs. They work with and without
 * `set -e` (cloud-init's runcmd script has none).
 */
export const INSTALL_FUNCTIONS = [
  'joinery_download() {',
  '  if command -v curl >/dev/null 2>&1; then',
  '    curl -fsSL --retry 5 -o "$1" "$2"',
  '  else',
  '    wget -q -O "$1" "$2"',
  '  fi',
  '}',
  'joinery_install() {',
  '  joinery_dir=$(dirname "$3")',
  '  mkdir -p "$joinery_dir" || exit 1',
  '  joinery_tmp=$(mktemp "$joinery_dir/.joinery.XXXXXX") || exit 1',
  '  if ! joinery_download "$joinery_tmp" "$1"; then',
  '    rm -f "$joinery_tmp"',
  '    echo "joinery: could not download $1 for $3" >&2',
  '    exit 1',
  '  fi',
  `  if ! printf '%s  %s\\n' "$2" "$joinery_tmp" | sha256sum -c - >/dev/null; then`,
  '    rm -f "$joinery_tmp"',
  '    echo "joinery: $1 does not have sha256 $2; refusing to install $3" >&2',
  '    exit 1',
  '  fi',
  '  chmod 0755 "$joinery_tmp" || exit 1',
  '  mv -f "$joinery_tmp" "$3" || exit 1',
  '}',
].join('\n');

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One `joinery_install URL SHA256 PATH` line per binary, in plan order; the sha256 must be 64 lowercase hex digits. */
export function binaryInstallLines(plan: BootPlan): string[] {
  return plan.binaries.map((b, i) => {
    if (!SHA256_HEX.test(b.sha256)) {
      throw new JoineryError(
        'USERDATA_BINARY_CHECKSUM_INVALID',
        `binaries[${i}] (${b.name}): sha256 must be 64 lowercase hexadecimal digits`,
        'give the SHA-256 of the file as `sha256sum` prints it',
        { path: `binaries[${i}].sha256` },
      );
    }
    return `joinery_install ${shQuote(b.url)} ${b.sha256} ${shQuote(b.path)}`;
  });
}

/** Cluster API's sentinel write: `echo success > /run/cluster-api/bootstrap-success.complete`. */
export function sentinelCommand(plan: BootPlan): string {
  return `echo success > ${shQuote(plan.sentinel)}`;
}

/** A sudoers drop-in for a user: sudo(8) skips names holding '.' or ending in '~', so only [A-Za-z0-9_-] stay. */
function sudoersPath(user: string): string {
  return `/etc/sudoers.d/90-joinery-${user.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const TEXT = new TextEncoder();

/**
 * The files that stand for cloud-init's `users[].sudo` where there is no cloud-init: one sudoers drop-in
 * per user with a rule (`<name> <rule>`, mode 0440, as cloud-init writes its rules).
 */
export function sudoersFiles(plan: BootPlan): PlanFile[] {
  return plan.users
    .filter((u) => u.sudo !== undefined && u.sudo !== '')
    .map((u) => ({ path: sudoersPath(u.name), content: TEXT.encode(`${u.name} ${u.sudo}\n`), mode: 0o440, secret: false }));
}

/** systemd-timesyncd's drop-in for the plan's NTP servers (Flatcar, Debian, Ubuntu). */
export const TIMESYNCD_DROPIN_PATH = '/etc/systemd/timesyncd.conf.d/joinery-ntp.conf';

/**
 * NTP as configuration files where cloud-init's `ntp` module is absent: a systemd-timesyncd drop-in and, for
 * chrony, either the whole /etc/chrony.conf (Ignition, as Fedora CoreOS documents) or a Debian-style
 * sources.d file (script). Nothing when NTP is absent, disabled or has no servers.
 */
export function ntpFiles(plan: BootPlan, chrony: 'chrony.conf' | 'sources.d'): PlanFile[] {
  const ntp = plan.ntp;
  if (ntp === undefined || ntp.enabled === false || ntp.servers.length === 0) return [];
  const servers = ntp.servers.map((s) => `server ${s} iburst\n`).join('');
  const files: PlanFile[] = [
    { path: TIMESYNCD_DROPIN_PATH, content: TEXT.encode(`[Time]\nNTP=${ntp.servers.join(' ')}\n`), mode: 0o644, secret: false },
  ];
  if (chrony === 'chrony.conf') {
    const conf = `${servers}driftfile /var/lib/chrony/drift\nmakestep 1.0 3\nrtcsync\nlogdir /var/log/chrony\n`;
    files.push({ path: '/etc/chrony.conf', content: TEXT.encode(conf), mode: 0o644, secret: false });
  } else {
    files.push({ path: '/etc/chrony/sources.d/joinery-ntp.sources', content: TEXT.encode(servers), mode: 0o644, secret: false });
  }
  return files;
}

/** The error for a plan field a format cannot carry: it names the field and says which formats can. */
export function unsupported(format: string, field: string, why: string, fix: string): JoineryError {
  return new JoineryError('USERDATA_UNSUPPORTED_FOR_FORMAT', `${field} cannot be rendered as ${format}: ${why}`, fix, {
    path: field,
  });
}
