/**
 * A small interpreter of the cloud-init subset joinery emits, for the testbed's nodes (tests only): it turns a
 * `#cloud-config` document into a POSIX sh script that does what cloud-init would do with it, in cloud-init's
 * order: `bootcmd`, `write_files` (not deferred), then deferred `write_files` and `runcmd`. Anything outside
 * that subset is refused by name, so a test never passes on a document it did not really run.
 */
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { JoineryError } from '../../errors/index.js';

const HANDLED = new Set(['write_files', 'runcmd', 'bootcmd']);

interface WriteFile {
  path: string;
  content: Buffer;
  mode: string;
  owner: string;
  append: boolean;
  defer: boolean;
}

function refuse(message: string, fix: string): never {
  throw new JoineryError('TESTBED_CLOUD_CONFIG_UNSUPPORTED', message, fix, { family: 'usage' });
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function decode(content: unknown, encoding: unknown, where: string): Buffer {
  const text = content === undefined || content === null ? '' : String(content);
  switch (encoding ?? 'text/plain') {
    case 'text/plain':
      return Buffer.from(text, 'utf8');
    case 'b64':
    case 'base64':
      return Buffer.from(text, 'base64');
    case 'gz':
    case 'gzip':
      return gunzipSync(Buffer.from(text, 'latin1'));
    case 'gz+b64':
    case 'gz+base64':
    case 'gzip+b64':
    case 'gzip+base64':
      return gunzipSync(Buffer.from(text, 'base64'));
    default:
      return refuse(`${where}.encoding: ${String(encoding)} is not a cloud-init encoding`, 'use b64, gzip or gz+b64');
  }
}

function writeFiles(doc: Record<string, unknown>): WriteFile[] {
  const list = doc['write_files'] ?? [];
  if (!Array.isArray(list)) refuse('write_files must be a list', 'give write_files as a YAML list');
  return list.map((item: Record<string, unknown>, i) => {
    const where = `write_files[${i}]`;
    if (typeof item['path'] !== 'string') refuse(`${where}.path is missing`, 'every write_files entry needs a path');
    const perm = item['permissions'] ?? '0644';
    if (typeof perm !== 'string' || !/^0?[0-7]{3,4}$/.test(perm)) refuse(`${where}.permissions: ${String(perm)} is not an octal mode string`, "quote it, e.g. '0600'");
    return {
      path: item['path'],
      content: decode(item['content'], item['encoding'], where),
      mode: perm,
      owner: typeof item['owner'] === 'string' ? item['owner'] : 'root:root',
      append: item['append'] === true,
      defer: item['defer'] === true,
    };
  });
}

function commands(doc: Record<string, unknown>, key: string): string[] {
  const list = doc[key] ?? [];
  if (!Array.isArray(list)) refuse(`${key} must be a list`, `give ${key} as a YAML list`);
  // A string runs with sh -c; a list is an argv (cloud-init's shellify).
  return list.map((c: unknown, i) => {
    if (typeof c === 'string') return c;
    if (Array.isArray(c)) return c.map((a) => quote(String(a))).join(' ');
    return refuse(`${key}[${i}] is neither a string nor a list`, 'give each command as a string or an argv list');
  });
}

function writeFileLines(f: WriteFile): string[] {
  return [
    `mkdir -p "$(dirname ${quote(f.path)})"`,
    `printf '%s' ${quote(f.content.toString('base64'))} | base64 -d ${f.append ? '>>' : '>'} ${quote(f.path)}`,
    `chmod ${f.mode} ${quote(f.path)}`,
    `chown ${quote(f.owner)} ${quote(f.path)}`,
  ];
}

/** The sh script that runs `text` (a `#cloud-config` document) as cloud-init would, within the subset above. */
export function cloudConfigScript(text: string): string {
  const first = text.split('\n', 1)[0]?.trim();
  if (first !== '#cloud-config') {
    refuse(`the document starts with ${JSON.stringify(first)}, not #cloud-config`, 'render it without --jinja (templates are not interpreted here)');
  }
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const other = Object.keys(doc).filter((k) => !HANDLED.has(k));
  if (other.length > 0) refuse(`this interpreter does not run ${other.join(', ')}`, `testbed nodes interpret only ${[...HANDLED].join(', ')}`);
  const files = writeFiles(doc);
  // bootcmd and runcmd each become one sh script of one line per entry, as cloud-init's shellify makes them:
  // every line runs and the script's status is its last line's. write_files stops at the first failure.
  const lines = ['# bootcmd', ...commands(doc, 'bootcmd'), '# write_files', 'set -e'];
  for (const f of files.filter((x) => !x.defer)) lines.push(...writeFileLines(f));
  for (const f of files.filter((x) => x.defer)) lines.push(...writeFileLines(f));
  lines.push('set +e', '# runcmd', ...commands(doc, 'runcmd'));
  return lines.join('\n') + '\n';
}
