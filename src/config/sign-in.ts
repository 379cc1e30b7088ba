/**
 * Sign-in settings: which methods are on (HUB_AUTH), who may enter (JupyterHub 5's allow, admin
 * and block rules), and each identity provider's own settings. Secrets (client secrets, bind
 * passwords) are parsed by `secretText`, so an error about them never repeats them.
 */
import { list, secretText, setting, yesNo } from './values';

export const AUTH_METHODS = ['local', 'oidc', 'oauth2', 'ldap'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

function authMethods(raw: string): AuthMethod[] {
  const methods = list(raw);
  if (methods.length === 0) throw new Error(`must list one or more of ${AUTH_METHODS.join(', ')}`);
  for (const m of methods)
    if (!(AUTH_METHODS as readonly string[]).includes(m))
      throw new Error(`'${m}' is not a sign-in method: use ${AUTH_METHODS.join(', ')}`);
  return [...new Set(methods)] as AuthMethod[];
}

/** An identity provider's URL: https, or http on this machine only (a test provider). */
export function providerUrl(raw: string): URL | undefined {
  if (raw === '') return undefined;
  const url = new URL(raw);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error('must be an https:// URL (http:// only for a provider on this machine)');
  return url;
}

function ldapUrl(raw: string): URL | undefined {
  if (raw === '') return undefined;
  const url = new URL(raw);
  if (url.protocol !== 'ldap:' && url.protocol !== 'ldaps:') throw new Error('must be an ldaps:// or ldap:// URL');
  return url;
}

function text(raw: string): string {
  return raw.trim();
}

/** A template with a {username} placeholder, e.g. uid={username},ou=people,dc=example,dc=org. */
function template(raw: string): string {
  if (raw !== '' && !raw.includes('{username}')) throw new Error('must contain {username}');
  return raw;
}

export const SIGN_IN_SETTINGS = {
  auth: setting(
    'HUB_AUTH',
    'local',
    'Sign-in methods, comma-separated: local (accounts made with `berth user add`), oidc (OpenID Connect), ' +
      'oauth2 (plain OAuth 2, GitHub-like), ldap (a directory). The login page shows each one that is on.',
    authMethods,
  ),
  allowedUsers: setting(
    'HUB_ALLOWED_USERS',
    '',
    'Comma-separated usernames that may sign in through oidc, oauth2 or ldap (local accounts always may).',
    list,
  ),
  allowedGroups: setting(
    'HUB_ALLOWED_GROUPS',
    '',
    'Comma-separated groups (from the provider or directory) whose members may sign in.',
    list,
  ),
  adminGroups: setting(
    'HUB_ADMIN_GROUPS',
    '',
    'Comma-separated groups whose members are admins; when set, admin rights follow them at every sign-in.',
    list,
  ),
  blockedUsers: setting(
    'HUB_BLOCKED_USERS',
    '',
    'Comma-separated usernames that may never sign in, by any method; their sessions and tokens end at start.',
    list,
  ),
  allowAll: setting(
    'HUB_ALLOW_ALL',
    'no',
    'yes: everyone the provider or directory signs in may enter. With oidc, oauth2 or ldap on and no allow ' +
      'rule, nobody but HUB_ADMIN_USERS gets in.',
    yesNo,
  ),
  oidcIssuer: setting(
    'HUB_OIDC_ISSUER',
    '',
    'OpenID Connect issuer; its /.well-known/openid-configuration is read. e.g. https://id.example.org/realms/uni',
    providerUrl,
  ),
  oidcClientId: setting('HUB_OIDC_CLIENT_ID', '', "Berth's client id at the OpenID provider.", text),
  oidcClientSecret: setting('HUB_OIDC_CLIENT_SECRET', '', "Berth's client secret at the OpenID provider.", secretText),
  oidcScopes: setting('HUB_OIDC_SCOPES', 'openid profile email', 'Scopes asked for, space-separated.', text),
  oidcUsernameClaim: setting(
    'HUB_OIDC_USERNAME_CLAIM',
    'preferred_username',
    "Claim (ID token or userinfo) that holds the username; it is lowercased and must fit Berth's username rule.",
    text,
  ),
  oidcGroupsClaim: setting(
    'HUB_OIDC_GROUPS_CLAIM',
    'groups',
    'Claim that holds the list of groups, synced into Berth groups at every sign-in. Empty: none.',
    text,
  ),
  oidcLabel: setting('HUB_OIDC_LABEL', 'your institution', 'Shown on the button: "Sign in with <label>".', text),
  oidcLogout: setting(
    'HUB_OIDC_LOGOUT',
    'no',
    'yes: signing out of Berth also signs out at the provider (its end_session_endpoint), when it has one.',
    yesNo,
  ),
  oauth2AuthorizeUrl: setting('HUB_OAUTH2_AUTHORIZE_URL', '', "The provider's authorization endpoint.", providerUrl),
  oauth2TokenUrl: setting('HUB_OAUTH2_TOKEN_URL', '', "The provider's token endpoint.", providerUrl),
  oauth2UserdataUrl: setting(
    'HUB_OAUTH2_USERDATA_URL',
    '',
    'URL that answers the signed-in user as JSON, called with the access token (GitHub: https://api.github.com/user).',
    providerUrl,
  ),
  oauth2ClientId: setting('HUB_OAUTH2_CLIENT_ID', '', "Berth's client id at the OAuth 2 provider.", text),
  oauth2ClientSecret: setting(
    'HUB_OAUTH2_CLIENT_SECRET',
    '',
    "Berth's client secret at the OAuth 2 provider.",
    secretText,
  ),
  oauth2Scopes: setting('HUB_OAUTH2_SCOPES', '', 'Scopes asked for, space-separated.', text),
  oauth2UsernameField: setting(
    'HUB_OAUTH2_USERNAME_FIELD',
    'login',
    'Field of the user data that holds the username (GitHub: login).',
    text,
  ),
  oauth2GroupsField: setting(
    'HUB_OAUTH2_GROUPS_FIELD',
    '',
    'Field of the user data that holds the list of groups. Empty: none.',
    text,
  ),
  oauth2Label: setting('HUB_OAUTH2_LABEL', 'OAuth 2', 'Shown on the button: "Sign in with <label>".', text),
  ldapUrl: setting(
    'HUB_LDAP_URL',
    '',
    'Directory to sign in against: ldaps://ldap.example.org (or ldap:// with HUB_LDAP_STARTTLS=yes).',
    ldapUrl,
  ),
  ldapStartTls: setting('HUB_LDAP_STARTTLS', 'no', 'yes: upgrade an ldap:// connection with StartTLS.', yesNo),
  ldapCaFile: setting(
    'HUB_LDAP_CA_FILE',
    '',
    "PEM file of the CA that signed the directory's certificate. Unset: the system's CAs.",
    text,
  ),
  ldapAllowPlain: setting(
    'HUB_LDAP_ALLOW_PLAIN',
    'no',
    'yes: send passwords over plain ldap:// (only for a test directory on this machine).',
    yesNo,
  ),
  ldapBindDnTemplate: setting(
    'HUB_LDAP_BIND_DN_TEMPLATE',
    '',
    'Bind as this DN, e.g. uid={username},ou=people,dc=example,dc=org. Unset: search for the user with ' +
      'HUB_LDAP_SEARCH_* first.',
    template,
  ),
  ldapSearchBase: setting(
    'HUB_LDAP_SEARCH_BASE',
    '',
    'Where users are searched, e.g. ou=people,dc=example,dc=org.',
    text,
  ),
  ldapSearchFilter: setting(
    'HUB_LDAP_SEARCH_FILTER',
    '(uid={username})',
    'Filter that finds a user ({username} is escaped); Active Directory: (sAMAccountName={username}).',
    template,
  ),
  ldapSearchDn: setting('HUB_LDAP_SEARCH_DN', '', 'Service account that searches. Unset: an anonymous search.', text),
  ldapSearchPassword: setting('HUB_LDAP_SEARCH_PASSWORD', '', "The service account's password.", secretText),
  ldapGroupBase: setting(
    'HUB_LDAP_GROUP_BASE',
    '',
    'Where groups are searched, e.g. ou=groups,dc=example,dc=org. Unset: groups are not read.',
    text,
  ),
  ldapGroupFilter: setting(
    'HUB_LDAP_GROUP_FILTER',
    '(|(member={dn})(uniqueMember={dn})(memberUid={username}))',
    "Filter for the user's groups: {dn} is the user's DN, {username} the name (both escaped).",
    text,
  ),
  ldapGroupAttribute: setting('HUB_LDAP_GROUP_ATTRIBUTE', 'cn', 'Attribute of a group that names it.', text),
} as const;

type SignIn = { readonly [K in keyof typeof SIGN_IN_SETTINGS]: ReturnType<(typeof SIGN_IN_SETTINGS)[K]['parse']> };

/** Settings that only make sense together: what each method on needs, one line each. */
export function signInProblems(c: SignIn & { publicUrl: URL | undefined }): string[] {
  const problems: string[] = [];
  const need = (method: AuthMethod, missing: Array<[string, unknown]>) => {
    for (const [env, value] of missing)
      if (value === undefined || value === '') problems.push(`HUB_AUTH has ${method}: set ${env}`);
  };
  const external = c.auth.some((m) => m === 'oidc' || m === 'oauth2');
  if (external && !c.publicUrl)
    problems.push('HUB_AUTH has oidc or oauth2: set HUB_PUBLIC_URL (the provider sends people back to it)');
  if (c.auth.includes('oidc'))
    need('oidc', [
      ['HUB_OIDC_ISSUER', c.oidcIssuer],
      ['HUB_OIDC_CLIENT_ID', c.oidcClientId],
      ['HUB_OIDC_CLIENT_SECRET', c.oidcClientSecret],
    ]);
  if (c.auth.includes('oauth2'))
    need('oauth2', [
      ['HUB_OAUTH2_AUTHORIZE_URL', c.oauth2AuthorizeUrl],
      ['HUB_OAUTH2_TOKEN_URL', c.oauth2TokenUrl],
      ['HUB_OAUTH2_USERDATA_URL', c.oauth2UserdataUrl],
      ['HUB_OAUTH2_CLIENT_ID', c.oauth2ClientId],
      ['HUB_OAUTH2_CLIENT_SECRET', c.oauth2ClientSecret],
    ]);
  if (c.auth.includes('ldap')) {
    need('ldap', [['HUB_LDAP_URL', c.ldapUrl]]);
    if (!c.ldapBindDnTemplate && !c.ldapSearchBase)
      problems.push('HUB_AUTH has ldap: set HUB_LDAP_BIND_DN_TEMPLATE, or HUB_LDAP_SEARCH_BASE to search for users');
    const encrypted = c.ldapUrl?.protocol === 'ldaps:' || c.ldapStartTls;
    if (c.ldapUrl && !encrypted && !c.ldapAllowPlain)
      problems.push(
        'HUB_LDAP_URL is plain ldap://: passwords would cross the network unencrypted; use ldaps://, or ' +
          'HUB_LDAP_STARTTLS=yes (HUB_LDAP_ALLOW_PLAIN=yes only for a test directory on this machine)',
      );
  }
  return problems;
}
