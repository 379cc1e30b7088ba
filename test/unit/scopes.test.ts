/**
 * JupyterHub's scopes as Berth holds them: broad scopes imply narrow ones, filters limit a scope
 * to a user or a group, a token holds the intersection of what it was given and what its owner
 * holds, and an unknown scope or filter is a 400 that lists what exists.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { roleScopes, tokenScopes } from '../../src/auth/roles';
import { ScopeSet } from '../../src/auth/scopes';
import { BerthError } from '../../src/errors';

const alice = { user: 'alice', groups: ['class1'] };
const bob = { user: 'bob', groups: [] };

test('broad scopes imply the narrow ones, all the way down', () => {
  const admin = new ScopeSet(['admin:users']);
  for (const scope of ['users', 'read:users', 'list:users', 'read:users:name', 'read:users:activity', 'delete:users'])
    assert.ok(admin.can(scope, alice), scope);
  assert.not.ok(admin.can('servers', alice));
  assert.ok(new ScopeSet(['servers']).can('start:servers', bob));
  assert.not.ok(new ScopeSet(['read:servers']).can('delete:servers', bob));
});

test('a user filter reaches one user, a group filter the group, and neither covers everyone', () => {
  const own = new ScopeSet(['servers!user=alice']);
  assert.ok(own.can('start:servers', alice));
  assert.not.ok(own.can('start:servers', bob));
  assert.not.ok(own.can('start:servers'), 'a filtered scope is not a hub-wide one');
  assert.ok(own.any('start:servers'));
  const teacher = new ScopeSet(['read:users!group=class1']);
  assert.ok(teacher.can('read:users:name', alice));
  assert.not.ok(teacher.can('read:users:name', bob));
});

test('a token holds what it was given and its owner still holds: never more', () => {
  const owner = { name: 'alice', admin: false };
  const token = tokenScopes(['servers', 'read:users!user=alice', 'read:users!user=bob'], owner, false);
  assert.ok(token.can('start:servers', alice));
  assert.not.ok(token.can('start:servers', bob), 'alice holds servers only for herself');
  assert.not.ok(token.can('read:users', bob));
  assert.equal(tokenScopes(['inherit'], owner, false).list(), roleScopes(owner, false).list());
});

test('holds names the scopes a user cannot give a token', () => {
  const user = roleScopes({ name: 'alice', admin: false }, false);
  assert.equal(user.holds(['servers!user=alice', 'admin:users', 'read:metrics']), ['admin:users', 'read:metrics']);
  const admin = roleScopes({ name: 'root', admin: true }, false);
  assert.equal(
    admin.holds(['admin:users', 'read:metrics', 'access:servers']),
    ['access:servers'],
    'admins use servers only with HUB_ADMIN_ACCESS',
  );
  assert.equal(roleScopes({ name: 'root', admin: true }, true).holds(['access:servers']), []);
});

test('an unknown scope or filter is a 400 that says what exists', () => {
  for (const bad of ['read:everything', 'servers!user=', 'servers!team=x', 'servers!user=alice!group=x']) {
    try {
      new ScopeSet([bad]);
      assert.unreachable(bad);
    } catch (err) {
      assert.instance(err, BerthError);
      assert.is((err as BerthError).status, 400);
      assert.match((err as BerthError).message, /^Unknown scope/);
    }
  }
});

test('list writes every scope out, filters included, sorted', () => {
  assert.equal(new ScopeSet(['read:users!user=alice']).list(), [
    'read:users!user=alice',
    'read:users:activity!user=alice',
    'read:users:groups!user=alice',
    'read:users:name!user=alice',
  ]);
});

test.run();
