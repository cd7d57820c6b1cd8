/**
 * Secrets are radioactive: a file marked secret comes out mode 0600 whatever the plan says, and its content
 * (the bootstrap token, the certificate key, a CA key) appears only in the part of each format that writes
 * files: never in runcmd/bootcmd, a systemd unit, the Ignition boot script, or a command line of the script.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { renderCloudConfig, renderIgnition, renderScript, IGNITION_VERSIONS } from '../../../../src/userdata/render/index.js';
import type { BootPlan } from '../../../../src/userdata/plan.js';
import { FIXTURE_CERT_KEY, FIXTURE_TOKEN, FIXTURES, text } from './fixtures.js';
import { decodeResource, type IgnitionDoc } from './support.js';

const MARK = 'SECRET-abcdef.9f86d081884c7d65';

/** The fixture plus a binary secret and a text secret with a recognisable token, both asking for 0644. */
function withMarkedSecrets(plan: BootPlan): BootPlan {
  const binary = new Uint8Array([0, 0xff, 0xfe, ...text(MARK), 0x80, 0]);
  return {
    ...plan,
    files: [
      ...plan.files,
      { path: '/etc/joinery/token', content: text(`${MARK}\n`), mode: 0o644, secret: true },
      { path: '/run/joinery/blob', content: binary, mode: 0o644, owner: 'root:root', secret: true },
    ],
  };
}

const SECRETS = [FIXTURE_TOKEN, FIXTURE_CERT_KEY, MARK, 'RSA PRIVATE KEY'];

/** The script's lines with every here-document body cut out, and the bodies with the line after each. */
function scriptParts(script: string): { commands: string[]; bodies: { body: string; commit: string }[] } {
  const lines = script.split('\n');
  const commands: string[] = [];
  const bodies: { body: string; commit: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    commands.push(line);
    const m = /<<'([A-Z_0-9]+)'$/.exec(line);
    if (m === null) continue;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[1]; i++) body.push(lines[i] as string);
    bodies.push({ body: body.join('\n'), commit: lines[i + 1] ?? '' });
  }
  return { commands, bodies };
}

for (const [role, build] of Object.entries(FIXTURES)) {
  const plan = withMarkedSecrets(build());
  const secretPaths = new Set(plan.files.filter((f) => f.secret).map((f) => f.path));

  test(`${role}: cloud-config keeps secrets in write_files entries of mode 0600`, () => {
    const doc = renderCloudConfig(plan);
    const parsed = parseYaml(doc) as { write_files: { path: string; content: string; permissions: string; encoding?: string }[]; runcmd: string[]; bootcmd: string[] };
    for (const f of parsed.write_files) {
      if (secretPaths.has(f.path)) assert.equal(f.permissions, '0600', f.path);
      else for (const s of SECRETS.slice(0, 3)) assert.ok(!f.content.includes(s), `${s} in ${f.path}`);
    }
    const rest = JSON.stringify({ ...parsed, write_files: parsed.write_files.map((f) => (secretPaths.has(f.path) ? { ...f, content: '' } : f)) });
    for (const s of SECRETS) assert.ok(!rest.includes(s), `${s} outside the secret files`);
    assert.ok(doc.includes(FIXTURE_TOKEN), 'the token is in the kubeadm config (the test looks at the right thing)');
  });

  for (const version of IGNITION_VERSIONS) {
    test(`${role}: ignition ${version} keeps secrets in storage.files of mode 0600, out of the unit and the boot script`, () => {
      const doc = JSON.parse(renderIgnition(plan, { version })) as IgnitionDoc;
      let seen = 0;
      for (const f of doc.storage.files) {
        const bytes = Buffer.from(decodeResource(f.contents ?? f.append![0]!)).toString('latin1');
        const holds = SECRETS.some((s) => bytes.includes(s));
        if (holds) {
          seen++;
          assert.equal(f.mode, 0o600, `${f.path} holds a secret`);
          assert.ok([...secretPaths].some((p) => f.path.endsWith(p)), `${f.path} is not a secret file of the plan`);
        }
      }
      assert.ok(seen >= 2);
      for (const u of doc.systemd.units) for (const s of SECRETS) assert.ok(!(u.contents ?? '').includes(s));
      const raw = JSON.stringify({ ...doc, storage: { ...doc.storage, files: [] } });
      for (const s of SECRETS) assert.ok(!raw.includes(s));
    });
  }

  test(`${role}: the script carries secrets only in here-documents committed 0600`, () => {
    const { commands, bodies } = scriptParts(renderScript(plan));
    const cmdText = commands.join('\n');
    for (const s of SECRETS) assert.ok(!cmdText.includes(s), `${s} on a command line`);
    let seen = 0;
    for (const { body, commit } of bodies) {
      const decoded = /^[A-Za-z0-9+/=\n]*$/.test(body) ? Buffer.from(body, 'base64').toString('latin1') : '';
      if (SECRETS.some((s) => body.includes(s) || decoded.includes(s))) {
        seen++;
        assert.match(commit, /^joinery_commit "\$joinery_tmp" \S+ 0600( |$)/, commit);
      }
    }
    assert.ok(seen >= 2);
  });
}
