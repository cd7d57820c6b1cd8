import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { JoineryError } from '../../../../src/errors/index.js';
import { parseMachineSpec, resolveSecretRefs, type MachineSpec } from '../../../../src/userdata/spec/index.js';

/** Returns the spec or the JoineryError; anything else thrown fails the property. */
function outcome(input: unknown): MachineSpec | JoineryError {
  try {
    return parseMachineSpec(input);
  } catch (err) {
    if (err instanceof JoineryError) return err;
    throw err;
  }
}

const VALID = {
  clusterConfiguration: { apiServer: { certSANs: ['a'], extraArgs: { x: 'y' }, timeoutForControlPlane: '5m' }, networking: { podSubnet: '10.0.0.0/8' } },
  initConfiguration: { nodeRegistration: { kubeletExtraArgs: { a: 'b' }, taints: [] }, localAPIEndpoint: { bindPort: 6443 } },
  joinConfiguration: { discovery: { timeout: '5m' }, nodeRegistration: { criSocket: '/run/containerd/containerd.sock' } },
  files: [{ path: '/etc/a', content: 'aGk=', encoding: 'base64', permissions: '0600', owner: 'root:root' }],
  users: [{ name: 'ops', groups: 'a,b', sshAuthorizedKeys: ['k'] }],
  ntp: { servers: ['pool'], enabled: true },
  preKubeadmCommands: ['true'],
  verbosity: 2,
  kubernetesBinaries: { urlTemplate: 'https://e/{{version}}/{{name}}', sha256: { kubeadm: 'a'.repeat(64) } },
};

test('property: arbitrary text gives a spec or a JoineryError', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void outcome(s)), { numRuns: 500 });
});

test('property: arbitrary values give a spec or a JoineryError', () => {
  fc.assert(fc.property(fc.anything(), (v) => void outcome(v)), { numRuns: 1000 });
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...Object.keys(VALID), 'format', 'diskSetup', 'mounts'), fc.anything()), (v) => void outcome(v)), {
    numRuns: 1000,
  });
});

/** The valid spec with the value at one random path replaced by an arbitrary value. */
const mutated = fc
  .tuple(fc.nat(), fc.anything(), fc.boolean())
  .map(([pick, replacement, asYaml]) => {
    const copy = structuredClone(VALID) as Record<string, unknown>;
    const holders: Array<[Record<string, unknown> | unknown[], string | number]> = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach((x, i) => (holders.push([v, i]), walk(x)));
      else if (v && typeof v === 'object') for (const k of Object.keys(v)) holders.push([v as Record<string, unknown>, k]), walk((v as Record<string, unknown>)[k]);
    };
    walk(copy);
    const [holder, key] = holders[pick % holders.length] as [Record<string | number, unknown>, string | number];
    holder[key] = replacement;
    return asYaml ? JSON.stringify(copy) ?? '' : copy;
  });

test('property: the valid spec with one value mutated gives a spec or a JoineryError', () => {
  assert.ok(!(outcome(VALID) instanceof JoineryError), 'the unmutated spec is valid');
  fc.assert(fc.property(mutated, (v) => void outcome(v)), { numRuns: 2000 });
});

test('property: mutated YAML text gives a spec or a JoineryError', () => {
  const yaml = 'files:\n- path: /etc/a\n  content: aGk=\n  encoding: base64\njoinConfiguration:\n  nodeRegistration:\n    kubeletExtraArgs: {a: b}\n';
  const edits = fc.array(fc.tuple(fc.nat(yaml.length), fc.nat(3), fc.string({ maxLength: 4 })), { maxLength: 4 });
  fc.assert(
    fc.property(edits, (list) => {
      let s = yaml;
      for (const [at, del, ins] of list) s = s.slice(0, at) + ins + s.slice(at + del);
      void outcome(s);
    }),
    { numRuns: 1000 },
  );
});

test('property: file contents survive every encoding, inline and from a Secret', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.string({ maxLength: 100 }), (bytes, textContent) => {
      const b64 = Buffer.from(bytes).toString('base64');
      const gzb64 = gzipSync(bytes).toString('base64');
      const wrapped = b64.replace(/(.{76})/g, '$1\n');
      const spec = parseMachineSpec({
        files: [
          { path: '/plain', content: textContent },
          { path: '/b64', content: b64, encoding: 'base64' },
          { path: '/b64-wrapped', content: wrapped, encoding: 'base64' },
          { path: '/gzb64', content: gzb64, encoding: 'gzip+base64' },
          { path: '/s-gz', encoding: 'gzip', contentFrom: { secret: { name: 's', key: 'gz' } } },
          { path: '/s-b64', encoding: 'base64', contentFrom: { secret: { name: 's', key: 'b64' } } },
          { path: '/s-gzb64', encoding: 'gzip+base64', contentFrom: { secret: { name: 's', key: 'gzb64' } } },
          { path: '/s-raw', contentFrom: { secret: { name: 's', key: 'raw' } } },
        ],
      });
      const data: Record<string, Uint8Array> = {
        gz: new Uint8Array(gzipSync(bytes)),
        b64: new TextEncoder().encode(b64),
        gzb64: new TextEncoder().encode(gzb64),
        raw: bytes,
      };
      const resolved = resolveSecretRefs(spec, (_n, k) => data[k]);
      assert.deepEqual(resolved.files[0]?.content, new TextEncoder().encode(textContent));
      for (const f of resolved.files.slice(1)) assert.deepEqual(f.content, bytes, f.path);
    }),
    { numRuns: 300 },
  );
});
