/** Where credentials come from, in kubectl's order, and what a kubeconfig yields. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCredentials, kubeconfigCredentials } from '../../../src/cluster/index.js';
import { throwsCode } from '../../support/errors.js';

const root = mkdtempSync(join(tmpdir(), 'joinery-creds-'));
after(() => rmSync(root, { recursive: true, force: true }));

function kubeconfig(name: string, server: string, user: Record<string, string> = { token: 'tok' }, extra = ''): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'config');
  const userLines = Object.entries(user).map(([k, v]) => `    ${k}: ${v}`).join('\n');
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${server}\n    certificate-authority: ca.pem\n${extra}contexts:\n- name: x\n  context: {cluster: c, user: u}\n- name: other\n  context: {cluster: c, user: nobody}\ncurrent-context: x\nusers:\n- name: u\n  user:\n${userLines}\n`,
  );
  writeFileSync(join(dir, 'ca.pem'), `CA of ${name}`);
  return path;
}

const flag = kubeconfig('flag', 'https://flag:6443');
const env1 = kubeconfig('env', 'https://env:6443/');
const home = join(root, 'home');
mkdirSync(join(home, '.kube'), { recursive: true });
writeFileSync(join(home, '.kube', 'config'), `apiVersion: v1\nclusters:\n- name: c\n  cluster: {server: 'https://home:6443'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user: {token: t}\n`);
const sa = join(root, 'sa');
mkdirSync(sa);
writeFileSync(join(sa, 'token'), 'satoken\n');
writeFileSync(join(sa, 'ca.crt'), 'SA CA');
writeFileSync(join(sa, 'namespace'), 'joinery');

describe('loadCredentials', () => {
  const inCluster = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  it('takes --kubeconfig first', () => {
    const c = loadCredentials({ kubeconfig: flag, env: { KUBECONFIG: env1, HOME: home, ...inCluster }, serviceAccountDir: sa });
    assert.equal(c.server, 'https://flag:6443');
    assert.equal(c.ca, 'CA of flag', 'a relative certificate-authority is read beside the kubeconfig');
    assert.equal(c.bearerToken, 'tok');
  });
  it('then $KUBECONFIG (first existing file of the list; trailing slash dropped)', () => {
    const c = loadCredentials({ env: { KUBECONFIG: `${join(root, 'missing')}:${env1}`, HOME: home, ...inCluster }, serviceAccountDir: sa });
    assert.equal(c.server, 'https://env:6443');
  });
  it('then ~/.kube/config', () => {
    assert.equal(loadCredentials({ env: { HOME: home, ...inCluster }, serviceAccountDir: sa }).server, 'https://home:6443');
  });
  it('then the in-cluster service account', () => {
    const c = loadCredentials({ env: { HOME: join(root, 'nohome'), ...inCluster }, serviceAccountDir: sa });
    assert.deepEqual(c, { server: 'https://10.96.0.1:443', ca: 'SA CA', bearerToken: 'satoken', source: 'in-cluster service account', user: 'a service account in namespace joinery' });
  });
  it('and says what it tried when there is nothing', () => {
    throwsCode(() => loadCredentials({ env: { HOME: join(root, 'nohome') }, serviceAccountDir: sa }), 'NO_CREDENTIALS');
    throwsCode(() => loadCredentials({ env: { KUBECONFIG: join(root, 'missing'), HOME: home } }), 'KUBECONFIG_NOT_FOUND');
  });
});

describe('kubeconfigCredentials', () => {
  it('reads inline data, client certificates and a named context', () => {
    const p = kubeconfig('inline', 'https://x:1', { 'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64') }, '    insecure-skip-tls-verify: true\n    tls-server-name: api.example\n');
    const c = kubeconfigCredentials(p);
    assert.equal(c.clientCert, 'CERT');
    assert.equal(c.clientKey, 'KEY');
    assert.equal(c.insecureSkipTlsVerify, true);
    assert.equal(c.tlsServerName, 'api.example');
    throwsCode(() => kubeconfigCredentials(p, 'other'), 'KUBECONFIG_INVALID');
    throwsCode(() => kubeconfigCredentials(p, 'nonexistent'), 'KUBECONFIG_INVALID');
  });
  it('refuses exec plugins with a clear error, and files that are not kubeconfigs', () => {
    const p = kubeconfig('exec', 'https://x:1', { exec: '{command: aws}' });
    const err = throwsCode(() => kubeconfigCredentials(p), 'KUBECONFIG_UNSUPPORTED');
    assert.match(err.fix, /client certificate or a bearer token/);
    const bad = join(root, 'bad');
    writeFileSync(bad, '- just\n- a list\n');
    throwsCode(() => kubeconfigCredentials(bad), 'KUBECONFIG_INVALID');
    throwsCode(() => kubeconfigCredentials(join(root, 'nope')), 'KUBECONFIG_NOT_FOUND');
  });
});
