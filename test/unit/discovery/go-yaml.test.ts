import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { goYamlMappingEntry, resolvesToNonString } from '../../../src/discovery/index.js';
import { kubeBinaries } from '../../support/kube-bin.js';
import { withTmpDirAsync } from '../pki/ca-support.js';
import { kubeadmTokenKubeconfig, mapLimit, throwsCode } from './support.js';

// Outputs of kubeadm v1.20.2 (`kubeadm alpha kubeconfig user --token <value>`, the line of `token:`).
const SEEN_FROM_KUBEADM: Array<[string, string]> = [
  ['abcdef.0123456789abcdef', 'token: abcdef.0123456789abcdef'],
  ['123456.1234567890123456', 'token: "123456.1234567890123456"'],
  ['123456.1e12345678901234', 'token: 123456.1e12345678901234'],
  ['yes', 'token: "yes"'],
  ['yEs', 'token: yEs'],
  ['0x1F', 'token: "0x1F"'],
  ['2001-12-14', 'token: "2001-12-14"'],
  ['a: b', "token: 'a: b'"],
  [':a', 'token: :a'],
  ['a#b', 'token: a#b'],
  ['a #b', "token: 'a #b'"],
  ["it's", "token: it's"],
  ['12:30', 'token: "12:30"'],
  ['08', 'token: "08"'],
  ['1e', 'token: 1e'],
  ['NaN', 'token: NaN'],
  ['<<', 'token: <<'],
  ['-', "token: '-'"],
  ['-x', 'token: -x'],
  ['a\tb', 'token: "a\\tb"'],
  ['\u{1F600}x', 'token: "\\U0001F600x"'],
  ['a\nb', 'token: |-\n      a\n      b'],
  [' a\nb', 'token: |2-\n       a\n      b'],
  ['a \nb', 'token: "a \\nb"'],
  ['a\n', 'token: |\n      a'],
  ['a\n\n', 'token: |+\n      a\n'],
  [`${'word '.repeat(30)}end`, `token: ${'word '.repeat(15).trimEnd()}\n      ${'word '.repeat(15)}end`],
];

test('goYamlMappingEntry writes strings as yaml.v2 does in kubeadm v1.20 (recorded outputs)', () => {
  for (const [value, line] of SEEN_FROM_KUBEADM) {
    assert.equal(goYamlMappingEntry('token', value, 4), `    ${line}\n`, JSON.stringify(value));
  }
  assert.equal(goYamlMappingEntry('name', '', 2), '  name: ""\n');
  assert.equal(goYamlMappingEntry('server', 'https://127.0.0.1:6443', 4), '    server: https://127.0.0.1:6443\n');
});

test('resolvesToNonString follows yaml.v2 resolve', () => {
  for (const s of ['', '~', 'null', 'y', 'No', 'ON', '1', '-1', '+1', '0o17', '0b101', '-0b101', '1_000', '1.5', '.5', '-.5', '1e5', '.inf', '-.Inf', '2001-12-14', '2001-12-14 1:2:3', '9223372036854775808', '18446744073709551615', '18446744073709551616']) {
    assert.equal(resolvesToNonString(s), true, s);
  }
  for (const s of ['a', 'yEs', 'NaN', '<<', '1e', '1e400', '0x10000000000000000', '-0x8000000000000001', '2001-02-29', '2001-13-01', '0x', '._5', 'abcdef.0123456789abcdef']) {
    assert.equal(resolvesToNonString(s), false, s);
  }
});

test('goYamlMappingEntry refuses Unicode line separators and unpaired surrogates', () => {
  for (const v of ['a\u2028b', 'a\u0085', '\ud800']) throwsCode(() => goYamlMappingEntry('token', v, 4), 'KUBECONFIG_VALUE_INVALID');
});

const TRICKY = [
  'on', '- a', '#x', ' lead', 'trail ', 'é', '1_000', '.inf', '~', '0o17', '+1', '@x', '---', '...', '[x', '"x',
  '1:20:30', '2001-12-14t21:59:43.10-05:00', '? x', '0777', '\n', 'a\n\nb', 'a\r\nb', 'a\x01b',
  `it's ${'word '.repeat(30)}end`, `#${'word '.repeat(30)}end`, 'a\tb '.repeat(30), `${'ab  '.repeat(30)}x`,
  '2000-02-29', '2001-02-29', '0b-101', '.5_5', '18446744073709551616', '.5e999',
];

test('goYamlMappingEntry equals kubeadm v1.20.2 output for tricky and random strings', async (t) => {
  const bins = kubeBinaries();
  if ('missing' in bins) return t.skip(bins.missing);
  await withTmpDirAsync(async (dir) => {
    execFileSync(bins.kubeadm, ['init', 'phase', 'certs', 'ca', '--cert-dir', dir], { stdio: 'ignore' });
    const config = join(dir, 'kubeadm.yaml');
    writeFileSync(config, `apiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\ncertificatesDir: ${dir}\n`);
    const alphabet = fc.constantFrom(...Array.from('aZ09 -:#\'"\n\t.,?!@&*|>[]{}%_+~\\é\u00a0\u{1F600}'), 'yes', 'null', '0x', 'e5');
    const random = fc.sample(fc.array(alphabet, { minLength: 1, maxLength: 30 }).map((a) => a.join('')), { numRuns: 12, seed: 20240601 });
    const values = [...TRICKY, ...random];
    const outputs = await mapLimit(values, 4, (v) => kubeadmTokenKubeconfig(bins.kubeadm, config, 'u', v));
    values.forEach((v, i) => {
      const out = outputs[i]!;
      const want = out.slice(out.indexOf('  user:\n') + '  user:\n'.length);
      assert.equal(goYamlMappingEntry('token', v, 4), want, JSON.stringify(v));
    });
  });
});
