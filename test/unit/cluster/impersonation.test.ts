/** Impersonation: the kubeconfig user's `as`, `as-uid`, `as-groups`, `as-user-extra`, and the Impersonate-* headers they become. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { impersonationHeaders, kubeconfigCredentials, kubeconfigImpersonation } from '../../../src/cluster/credentials.js';
import { throwsCode } from '../../support/errors.js';

const root = mkdtempSync(join(tmpdir(), 'joinery-impersonate-'));
after(() => rmSync(root, { recursive: true, force: true }));

function kubeconfig(name: string, userYaml: string): string {
  const path = join(root, name);
  writeFileSync(
    path,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\nusers:\n- name: u\n  user:\n    token: tok\n${userYaml}`,
  );
  return path;
}

describe('kubeconfig impersonation', () => {
  it('reads as, as-uid, as-groups and as-user-extra (kubectl --as, --as-uid, --as-group)', () => {
    const c = kubeconfigCredentials(
      kubeconfig(
        'all',
        '    as: system:serviceaccount:joinery-system:joinery\n    as-uid: "1234"\n    as-groups: [system:serviceaccounts, "system:serviceaccounts:joinery-system", system:authenticated]\n    as-user-extra:\n      scopes.example/x: [a, b]\n',
      ),
    );
    assert.equal(c.bearerToken, 'tok', 'the credentials that impersonate stay');
    assert.deepEqual(c.impersonate, {
      user: 'system:serviceaccount:joinery-system:joinery',
      uid: '1234',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:joinery-system', 'system:authenticated'],
      extra: { 'scopes.example/x': ['a', 'b'] },
    });
  });

  it('is absent without as', () => {
    assert.equal(kubeconfigCredentials(kubeconfig('none', '')).impersonate, undefined);
    assert.deepEqual(kubeconfigCredentials(kubeconfig('user-only', '    as: jane\n')).impersonate, { user: 'jane' });
  });

  it('refuses groups, uid or extra without a user, and wrong types, naming the field', () => {
    assert.equal(throwsCode(() => kubeconfigCredentials(kubeconfig('groups-only', '    as-groups: [g]\n')), 'KUBECONFIG_INVALID').path, 'users[u].as-groups');
    throwsCode(() => kubeconfigCredentials(kubeconfig('uid-only', '    as-uid: "7"\n')), 'KUBECONFIG_INVALID');
    assert.equal(throwsCode(() => kubeconfigCredentials(kubeconfig('groups-string', '    as: jane\n    as-groups: g\n')), 'KUBECONFIG_INVALID').path, 'users[u].as-groups');
    throwsCode(() => kubeconfigCredentials(kubeconfig('as-list', '    as: [jane]\n')), 'KUBECONFIG_INVALID');
    throwsCode(() => kubeconfigImpersonation({ as: 'jane', 'as-user-extra': { k: 'v' } }, 'here', 'users[u]'), 'KUBECONFIG_INVALID');
  });
});

describe('impersonationHeaders', () => {
  it('sends Impersonate-User, one Impersonate-Group per group, Impersonate-Uid and escaped Impersonate-Extra-*', () => {
    assert.deepEqual(impersonationHeaders({ user: 'jane' }), { 'impersonate-user': 'jane' });
    assert.deepEqual(impersonationHeaders({ user: 'jane', uid: 'u1', groups: ['a', 'b'], extra: { 'scopes.example/x y%': ['1'] } }), {
      'impersonate-user': 'jane',
      'impersonate-uid': 'u1',
      'impersonate-group': ['a', 'b'],
      'impersonate-extra-scopes.example%2Fx%20y%25': ['1'],
    });
    assert.deepEqual(impersonationHeaders({ user: 'jane', groups: [] }), { 'impersonate-user': 'jane' });
  });
});
