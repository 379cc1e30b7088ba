/**
 * Sign-in against a real LDAP directory (Debian's slapd, started here with a throwaway database):
 * bind by DN template over ldaps://, search-then-bind with a service account over StartTLS, groups
 * read from the directory and synced, and what must never work: an empty password (an anonymous
 * bind), LDAP filter characters in the name, plain LDAP unless allowed, a local account's name.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config';
import { Client } from '../helpers/client';
import { ADMIN_DN, ADMIN_PASSWORD, BASE, startDirectory, type TestDirectory } from '../helpers/directory';
import { startHub, type TestHub } from '../helpers/hub';
import { freePort } from '../helpers/redis';
import { makeCa, type TestCa } from '../helpers/tls';

interface Ctx {
  ca: TestCa;
  directory: TestDirectory;
  hub: TestHub;
  logs: string[];
}

const t = suite<Ctx>('sign-in with LDAP');

const PEOPLE = [
  { uid: 'lena', password: 'lena-directory-pw', groups: ['physics'] },
  { uid: 'otto', password: 'otto-directory-pw', groups: ['history'] },
  { uid: 'bob', password: 'bob-directory-pw', groups: ['physics'] },
  { uid: 'rita', password: 'rita-directory-pw', groups: ['physics', 'admins'] },
  { uid: 'theo', password: 'theo-directory-pw', groups: ['physics'] },
];

function ldapEnv(ctx: Ctx): Record<string, string> {
  return {
    HUB_AUTH: 'local,ldap',
    HUB_LDAP_URL: ctx.directory.tlsUrl,
    HUB_LDAP_CA_FILE: ctx.ca.caFile,
    HUB_LDAP_BIND_DN_TEMPLATE: `uid={username},ou=people,${BASE}`,
    HUB_LDAP_GROUP_BASE: `ou=groups,${BASE}`,
    HUB_ALLOWED_GROUPS: 'physics',
    HUB_ADMIN_GROUPS: 'admins',
  };
}

t.before(async (ctx) => {
  ctx.ca = makeCa();
  ctx.directory = await startDirectory(ctx.ca, PEOPLE);
  ctx.logs = [];
  ctx.hub = await startHub(ldapEnv(ctx), { background: false, logs: ctx.logs });
  await ctx.hub.addUser('bob', 'bob-local-password');
});

t.after(async (ctx) => {
  await ctx.hub?.close();
  await ctx.directory?.stop();
  ctx.ca?.remove();
});

async function formSignIn(hubUrl: string, username: string, password: string) {
  const client = new Client(hubUrl);
  const res = await client.login(username, password);
  return { client, res, page: res.status === 302 ? '' : await res.text() };
}

async function me(client: Client): Promise<{ name: string; admin: boolean; groups: string[] } | number> {
  const res = await client.api('GET', '/user');
  return res.status === 200 ? ((await res.json()) as { name: string; admin: boolean; groups: string[] }) : res.status;
}

t('a directory user signs in with the form over ldaps://, with groups from the directory', async (ctx) => {
  const { client, res } = await formSignIn(ctx.hub.url, 'Lena', 'lena-directory-pw');
  assert.is(res.status, 302);
  const who = await me(client);
  assert.equal(who, { ...(who as object), name: 'lena', admin: false, groups: ['physics'] });
  assert.is((await ctx.hub.runtime.users.get('lena'))?.auth, 'ldap');
});

t('a member of the admin group is an admin', async (ctx) => {
  const { client } = await formSignIn(ctx.hub.url, 'rita', 'rita-directory-pw');
  assert.is(((await me(client)) as { admin: boolean }).admin, true);
  assert.is((await client.request('/hub/admin')).status, 200);
});

t('a wrong password is the one generic failure', async (ctx) => {
  const { res, page } = await formSignIn(ctx.hub.url, 'lena', 'not-her-password');
  assert.is(res.status, 403);
  assert.match(page, /Invalid username or password\./);
});

t('an empty password never signs in (an anonymous bind is no sign-in)', async (ctx) => {
  const { res, client } = await formSignIn(ctx.hub.url, 'lena', '');
  assert.is(res.status, 403);
  assert.is(await me(client), 403);
});

for (const name of ['*', 'lena)(uid=*', 'lena\u0000', 'lena*', '*)(|(uid=*']) {
  t(`LDAP filter characters in the username are refused: ${JSON.stringify(name)}`, async (ctx) => {
    const { res, client } = await formSignIn(ctx.hub.url, name, 'lena-directory-pw');
    assert.is(res.status, 403);
    assert.is(await me(client), 403);
  });
}

t('a directory user outside the allowed groups is refused with the reason', async (ctx) => {
  const { res, page } = await formSignIn(ctx.hub.url, 'otto', 'otto-directory-pw');
  assert.is(res.status, 403);
  assert.match(page, /otto is not allowed on this hub/);
  assert.is(await ctx.hub.runtime.users.get('otto'), undefined);
});

t('groups follow the directory: a group joined there is joined here, and left when left', async (ctx) => {
  const group = `cn=lab,ou=groups,${BASE}`;
  ctx.directory.modify(
    `dn: ${group}\nchangetype: add\nobjectClass: groupOfNames\ncn: lab\nmember: uid=theo,ou=people,${BASE}\n`,
  );
  await formSignIn(ctx.hub.url, 'theo', 'theo-directory-pw');
  assert.equal(await ctx.hub.runtime.groups.groupsOf('theo'), ['lab', 'physics']);
  ctx.directory.modify(`dn: ${group}\nchangetype: delete\n`);
  await formSignIn(ctx.hub.url, 'theo', 'theo-directory-pw');
  assert.equal(await ctx.hub.runtime.groups.groupsOf('theo'), ['physics']);
  assert.equal((await ctx.hub.runtime.groups.get('lab'))?.users, []);
});

t("the directory's bob is not the local bob: refused, and the local account still works", async (ctx) => {
  const ldap = await formSignIn(ctx.hub.url, 'bob', 'bob-directory-pw');
  assert.is(ldap.res.status, 403);
  assert.match(ldap.page, /already belongs to a local account/);
  const local = await formSignIn(ctx.hub.url, 'bob', 'bob-local-password');
  assert.is(local.res.status, 302);
  assert.is((await ctx.hub.runtime.users.get('bob'))?.auth, undefined);
});

t('search-then-bind with a service account over StartTLS', async (ctx) => {
  const logs: string[] = [];
  const hub = await startHub(
    {
      ...ldapEnv(ctx),
      HUB_LDAP_URL: ctx.directory.url,
      HUB_LDAP_STARTTLS: 'yes',
      HUB_LDAP_BIND_DN_TEMPLATE: '',
      HUB_LDAP_SEARCH_BASE: `ou=people,${BASE}`,
      HUB_LDAP_SEARCH_DN: ADMIN_DN,
      HUB_LDAP_SEARCH_PASSWORD: ADMIN_PASSWORD,
    },
    { background: false, logs },
  );
  try {
    const { client, res } = await formSignIn(hub.url, 'lena', 'lena-directory-pw');
    assert.is(res.status, 302);
    assert.equal(((await me(client)) as { groups: string[] }).groups, ['physics']);
    assert.is((await formSignIn(hub.url, 'lena', 'wrong-password')).res.status, 403);
    assert.is((await formSignIn(hub.url, 'nobody', 'lena-directory-pw')).res.status, 403);
    assert.not.ok(
      logs.some((l) => l.includes(ADMIN_PASSWORD)),
      'the service password is never logged',
    );
  } finally {
    await hub.close();
  }
});

t('plain ldap:// is refused at start unless allowed, and then works', async (ctx) => {
  const plain = {
    ...ldapEnv(ctx),
    HUB_LDAP_URL: ctx.directory.url,
    HUB_SECRET: 'xxxxxxxxabcdefghijklmnopqrstuvwxyz',
  };
  assert.throws(
    () => loadConfig(plain),
    /HUB_LDAP_URL is plain ldap:\/\/: passwords would cross the network unencrypted/,
  );
  const hub = await startHub(
    { ...ldapEnv(ctx), HUB_LDAP_URL: ctx.directory.url, HUB_LDAP_ALLOW_PLAIN: 'yes' },
    { background: false },
  );
  try {
    assert.is((await formSignIn(hub.url, 'lena', 'lena-directory-pw')).res.status, 302);
  } finally {
    await hub.close();
  }
});

t('the directory down: the form says so, and local accounts still sign in', async (ctx) => {
  const port = await freePort();
  const hub = await startHub({ ...ldapEnv(ctx), HUB_LDAP_URL: `ldaps://127.0.0.1:${port}` }, { background: false });
  try {
    await hub.addUser('bob', 'bob-local-password');
    const { res, page } = await formSignIn(hub.url, 'lena', 'lena-directory-pw');
    assert.is(res.status, 503);
    assert.match(page, /The directory cannot be reached right now/);
    assert.is((await formSignIn(hub.url, 'bob', 'bob-local-password')).res.status, 302);
  } finally {
    await hub.close();
  }
});

t('failed directory sign-ins are throttled as local ones are', async (ctx) => {
  // Five failures go free (DEFAULT_RULES.perUser); the sixth is counted and makes the next one wait.
  for (let i = 0; i < 6; i++) assert.is((await formSignIn(ctx.hub.url, 'rita', `wrong-${i}`)).res.status, 403);
  const { res, page } = await formSignIn(ctx.hub.url, 'rita', 'wrong-again');
  assert.is(res.status, 429);
  assert.match(page, /Too many failed sign-ins/);
  assert.is(
    (await formSignIn(ctx.hub.url, 'rita', 'rita-directory-pw')).res.status,
    429,
    'even the right password waits',
  );
});

t.run();
