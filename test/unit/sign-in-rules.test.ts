/**
 * The sign-in rules on their own: who may enter (JupyterHub 5's allow, admin and block rules),
 * what the admin flag becomes, provider group names, DN escaping, and the settings each method
 * needs, refused at start with what to set.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AdmissionRules, adminByRules, hasAllowRule, mayEnter, providerGroups } from '../../src/auth/admission';
import { escapeDnValue } from '../../src/auth/ldap';
import { configProblems, loadConfig } from '../../src/config';

const NONE: AdmissionRules = {
  allowAll: false,
  allowedUsers: [],
  allowedGroups: [],
  adminUsers: [],
  adminGroups: [],
  blockedUsers: [],
};

test('with no allow rule nobody enters; each rule lets in whom it names', () => {
  assert.not.ok(hasAllowRule(NONE));
  assert.not.ok(mayEnter('alice', ['students'], NONE));
  assert.ok(mayEnter('alice', [], { ...NONE, allowedUsers: ['alice'] }));
  assert.not.ok(mayEnter('bob', [], { ...NONE, allowedUsers: ['alice'] }));
  assert.ok(mayEnter('bob', ['students'], { ...NONE, allowedGroups: ['students'] }));
  assert.ok(mayEnter('root', [], { ...NONE, adminUsers: ['root'] }), 'admins are allowed');
  assert.ok(mayEnter('carol', ['staff'], { ...NONE, adminGroups: ['staff'] }));
  assert.ok(mayEnter('anyone', [], { ...NONE, allowAll: true }));
});

test('a blocked user is refused whatever else allows them', () => {
  const rules = { ...NONE, allowAll: true, adminUsers: ['zed'], allowedUsers: ['zed'], blockedUsers: ['zed'] };
  assert.not.ok(mayEnter('zed', [], rules));
  assert.ok(mayEnter('alice', [], rules));
});

test('admin rights: admin groups decide both ways when set; else admin users only promote', () => {
  assert.is(adminByRules('alice', ['admins'], { ...NONE, adminGroups: ['admins'] }), true);
  assert.is(adminByRules('alice', ['students'], { ...NONE, adminGroups: ['admins'] }), false);
  assert.is(adminByRules('root', [], { ...NONE, adminGroups: ['admins'], adminUsers: ['root'] }), true);
  assert.is(adminByRules('root', [], { ...NONE, adminUsers: ['root'] }), true);
  assert.is(adminByRules('alice', ['admins'], NONE), undefined, 'left to the admin page');
});

test("provider groups: lowercased, Keycloak's leading slash dropped, unusable names set aside", () => {
  assert.equal(providerGroups(['/Staff', 'students', 'students', 'a b', 42, '']), {
    groups: ['staff', 'students'],
    skipped: ['a b', '42', ''],
  });
  assert.equal(providerGroups('physics'), { groups: ['physics'], skipped: [] });
  assert.equal(providerGroups(undefined), { groups: [], skipped: [] });
});

test('DN values are escaped (RFC 4514)', () => {
  assert.is(escapeDnValue('a,b+c"d\\e<f>g;h=i'), 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h\\=i');
  assert.is(escapeDnValue(' #lead'), '\\ #lead');
  assert.is(escapeDnValue('#x'), '\\#x');
  assert.is(escapeDnValue('trail '), 'trail\\ ');
  assert.is(escapeDnValue('nul\u0000'), 'nul\\00');
});

const SECRET = 'abcdefghijklmnopqrstuvwxyz0123456789';

test('each method says what it needs, at start and in config check', () => {
  assert.throws(() => loadConfig({ HUB_AUTH: 'oidc' }), /HUB_AUTH has oidc or oauth2: set HUB_PUBLIC_URL/);
  const oidc = { HUB_AUTH: 'oidc', HUB_PUBLIC_URL: 'https://hub.example.org' };
  assert.equal(configProblems({ ...oidc, HUB_SECRET: SECRET }), [
    'HUB_AUTH has oidc: set HUB_OIDC_ISSUER',
    'HUB_AUTH has oidc: set HUB_OIDC_CLIENT_ID',
    'HUB_AUTH has oidc: set HUB_OIDC_CLIENT_SECRET',
  ]);
  assert.match(
    configProblems({ HUB_AUTH: 'oauth2', HUB_PUBLIC_URL: 'https://h.example' }).join('\n'),
    /HUB_OAUTH2_TOKEN_URL/,
  );
  assert.match(
    configProblems({ HUB_AUTH: 'ldap', HUB_LDAP_URL: 'ldaps://ldap.example.org' }).join('\n'),
    /HUB_LDAP_BIND_DN_TEMPLATE/,
  );
  assert.throws(() => loadConfig({ HUB_AUTH: 'local,saml' }), /HUB_AUTH: 'saml' is not a sign-in method/);
  assert.throws(() => loadConfig({ HUB_AUTH: '' }), /HUB_AUTH: must list one or more/);
});

test('providers are reached over https, or http on this machine only', () => {
  assert.throws(() => loadConfig({ HUB_OIDC_ISSUER: 'http://id.example.org' }), /must be an https:\/\/ URL/);
  assert.is(loadConfig({ HUB_OIDC_ISSUER: 'http://127.0.0.1:9000' }).oidcIssuer?.port, '9000');
  assert.throws(
    () => loadConfig({ HUB_LDAP_URL: 'http://ldap.example.org' }),
    /must be an ldaps:\/\/ or ldap:\/\/ URL/,
  );
  assert.throws(
    () =>
      loadConfig({
        HUB_AUTH: 'ldap',
        HUB_LDAP_URL: 'ldap://ldap.example.org',
        HUB_LDAP_BIND_DN_TEMPLATE: 'uid={username}',
      }),
    /plain ldap:\/\/: passwords would cross the network unencrypted/,
  );
  assert.throws(() => loadConfig({ HUB_LDAP_BIND_DN_TEMPLATE: 'uid=alice' }), /must contain \{username\}/);
});

test('a secret in a bad setting is never repeated in the error', () => {
  try {
    loadConfig({ HUB_AUTH: 'oidc', HUB_OIDC_CLIENT_SECRET: 'super-secret-value' });
    assert.unreachable();
  } catch (err) {
    assert.not.match((err as Error).message, /super-secret-value/);
  }
  assert.not.ok(
    configProblems({ HUB_OIDC_CLIENT_SECRET: 'super-secret-value', HUB_AUTH: 'oidc' })
      .join('')
      .includes('super-secret-value'),
  );
});

test.run();
