/**
 * Test helpers for the renderers: the real validators (cloud-init schema, ignition-validate, sh -n,
 * shellcheck, ajv against the official Ignition schemas), a data-URL decoder, PyYAML + cloud-init's own
 * write_files decoder, and a plan rewriter that moves every path under a temporary root so the script can
 * really run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { BootPlan } from '../../../../src/userdata/plan.js';

export function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** Why a tool-backed test must skip, or undefined when the tool is there. */
export function missing(...tools: string[]): string | undefined {
  const absent = tools.filter((t) => !which(t));
  return absent.length === 0 ? undefined : `${absent.join(', ')} not installed`;
}

const made: string[] = [];
// Temporary directories go when the test process ends, whatever the test did with them.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'joinery-render-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface ToolResult {
  status: number | null;
  out: string;
}

export function run(cmd: string, args: string[], input?: string | Uint8Array): ToolResult {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** cloud-init's own schema check of a cloud-config document; a jinja header line is dropped first (the check refuses it). */
export function cloudInitSchema(doc: string): ToolResult {
  const dir = tempDir();
  try {
    const file = join(dir, 'user-data.yaml');
    writeFileSync(file, doc.replace(/^## template: jinja\n/, ''));
    return run('cloud-init', ['schema', '-c', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function cloudInitValid(r: ToolResult): boolean {
  return r.status === 0 && r.out.includes('Valid cloud-config');
}

export function ignitionValidate(doc: string): ToolResult {
  const dir = tempDir();
  try {
    const file = join(dir, 'config.ign');
    writeFileSync(file, doc);
    return run('ignition-validate', [file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function shellcheck(script: string): ToolResult {
  return run('shellcheck', ['-s', 'sh', '-'], script);
}

export function shSyntax(script: string): ToolResult {
  return run('sh', ['-n'], script);
}

/** The bytes of an Ignition resource: a data URL, percent-encoded or base64, gunzipped when compressed. */
export function decodeResource(resource: { source: string; compression?: string }): Uint8Array {
  const m = /^data:([^,]*),(.*)$/s.exec(resource.source);
  if (m === null) throw new Error(`not a data URL: ${resource.source.slice(0, 40)}`);
  const meta = m[1] as string;
  const data = m[2] as string;
  // vincent-petithory/dataurl accepts only ASCII; percent-escapes decode to bytes, the rest stay as they are.
  if (/[^\x20-\x7e]/.test(data)) throw new Error('non-ASCII character in data URL');
  let bytes: Uint8Array;
  if (meta.endsWith(';base64')) bytes = Buffer.from(data, 'base64');
  else {
    const out: number[] = [];
    for (let i = 0; i < data.length; i++) {
      if (data[i] === '%') {
        const hex = data.slice(i + 1, i + 3);
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error('bad percent escape');
        out.push(parseInt(hex, 16));
        i += 2;
      } else out.push(data.charCodeAt(i));
    }
    bytes = Uint8Array.from(out);
  }
  if (resource.compression === 'gzip') return gunzipSync(bytes);
  if (resource.compression !== undefined) throw new Error(`unknown compression ${resource.compression}`);
  return bytes;
}

export interface IgnitionFileEntry {
  path: string;
  mode?: number;
  overwrite?: boolean;
  contents?: { source: string; compression?: string };
  append?: { source: string; compression?: string }[];
  user?: { name?: string };
  group?: { name?: string };
}

export interface IgnitionDoc {
  ignition: { version: string };
  passwd?: { users: Record<string, unknown>[] };
  storage: { files: IgnitionFileEntry[]; disks?: unknown[]; filesystems?: unknown[] };
  systemd: { units: { name: string; enabled?: boolean; contents?: string }[] };
}

/**
 * What cloud-init itself writes for each write_files entry: the document read by PyYAML (cloud-init's
 * reader) and every content decoded by cloud-init's cc_write_files.extract_contents. Runs /usr/bin/python3
 * once for many documents. Returns per document the list of {path, permissions, hex}.
 */
export function cloudInitWrites(docs: string[]): { path: string; permissions: string | null; append: boolean; hex: string }[][] {
  const dir = tempDir();
  const files = docs.map((d, i) => {
    const f = join(dir, `doc${i}.yaml`);
    writeFileSync(f, d);
    return f;
  });
  const py = `
import json, sys, yaml
from cloudinit.config.cc_write_files import canonicalize_extraction, extract_contents
out = []
for name in sys.argv[1:]:
    with open(name, 'rb') as fh:
        doc = yaml.safe_load(fh)
    entries = []
    for e in doc.get('write_files', []):
        c = extract_contents(e.get('content', ''), canonicalize_extraction(e.get('encoding')))
        if isinstance(c, str):
            c = c.encode('utf-8')
        entries.append({'path': e['path'], 'permissions': e.get('permissions'), 'append': bool(e.get('append', False)), 'hex': c.hex()})
    out.append(entries)
print(json.dumps(out))
`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, ...files], { encoding: 'utf8', maxBuffer: 256 << 20 });
  rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { path: string; permissions: string | null; append: boolean; hex: string }[][];
}

export function pythonCloudInitAvailable(): string | undefined {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import yaml, cloudinit.config.cc_write_files'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3 with cloud-init and PyYAML not available';
}

/** The plan with every path (files, binaries, guard, sentinel) moved under `root`, for running the script for real. */
export function underRoot(plan: BootPlan, root: string): BootPlan {
  return {
    ...plan,
    files: plan.files.map((f) => ({ ...f, path: root + f.path })),
    binaries: plan.binaries.map((b) => ({ ...b, path: root + b.path })),
    runOnceGuard: root + plan.runOnceGuard,
    sentinel: root + plan.sentinel,
  };
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
