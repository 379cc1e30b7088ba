/**
 * A group's database, on the real engine with a real PostgreSQL (images/postgres): a member finds
 * it through the variables in their server and makes a table with psycopg2; another member reads
 * it with psql, as their own role; a member of another group, whose group has its own database,
 * cannot reach this one; no member can drop the database or another's table; one who leaves the
 * group is off it at once; the passwords are in no page, no API answer and no log line; turning
 * the database off removes its container and keeps its data, back when it is turned on again.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn } from '../helpers/client';
import { containersOf, docker } from '../helpers/docker';
import { startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';

interface Ctx {
  hub: TestHub;
  logs: string[];
  admin: Client;
  ana: Client;
  ben: Client;
  cat: Client;
}

const t = suite<Ctx>("a group's database");
const COURSE = { images: ['scipy'], services: ['postgres'] };

t.before(async (ctx) => {
  ctx.logs = [];
  ctx.hub = await startHub({}, { logs: ctx.logs });
  await ctx.hub.addUser('root', 'root-password', true);
  for (const name of ['ana', 'ben', 'cat']) await ctx.hub.addUser(name, `${name}-password`);
  ctx.admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  assert.is((await ctx.admin.api('POST', '/groups/course', { users: ['ana', 'ben'] })).status, 201);
  assert.is((await ctx.admin.api('POST', '/groups/lab', { users: ['cat'] })).status, 201);
  assert.is((await ctx.admin.api('PUT', '/groups/course/properties', COURSE)).status, 200);
  assert.is((await ctx.admin.api('PUT', '/groups/lab/properties', COURSE)).status, 200);
  ctx.ana = await signedIn(ctx.hub.url, 'ana', 'ana-password');
  ctx.ben = await signedIn(ctx.hub.url, 'ben', 'ben-password');
  ctx.cat = await signedIn(ctx.hub.url, 'cat', 'cat-password');
  for (const [client, name] of [
    [ctx.ana, 'ana'],
    [ctx.ben, 'ben'],
    [ctx.cat, 'cat'],
  ] as const) {
    const res = await client.api('POST', `/users/${name}/server`);
    assert.is(res.status, 201, await res.text());
  }
});

t.after(async (ctx) => ctx.hub?.close());

const python = async (c: Client, user: string, code: string) => {
  const out = await runCode(c, user, code);
  assert.is(out.error, undefined, out.error);
  return out.stdout;
};

const MAKE_TABLE = [
  'import os, psycopg2',
  "db = psycopg2.connect(os.environ['DATABASE_URL'])",
  'cur = db.cursor()',
  "cur.execute('CREATE TABLE IF NOT EXISTS marks (who text, mark int)')",
  'cur.execute("INSERT INTO marks VALUES (\'ana\', 42)")',
  'db.commit()',
  "print(os.environ['PGUSER'], os.environ['PGDATABASE'], os.environ['PGHOST'])",
].join('\n');

const PSQL = (sql: string) =>
  `import subprocess\nr = subprocess.run(['psql', '-tAc', ${JSON.stringify(sql)}], capture_output=True, text=True)\nprint((r.stdout or r.stderr).strip())`;

t('a member makes a table with the variables in their server; another reads it as their own role', async (ctx) => {
  assert.is(await python(ctx.ana, 'ana', MAKE_TABLE), 'ana course postgres\n');
  assert.is(
    await python(ctx.ben, 'ben', PSQL("SELECT who || ':' || mark || ':' || current_user FROM marks")),
    'ana:42:ben\n',
  );
  assert.match(
    await (await ctx.ana.request('/hub/home')).text(),
    /id="offer-database">PostgreSQL database <code>course<\/code>/,
  );
});

t("a member of another group cannot reach the group's database, and has their own", async (ctx) => {
  const course = await docker.getContainer(`${ctx.hub.hubName}--postgres-course`).inspect();
  const address = course.NetworkSettings.Networks[`${ctx.hub.hubName}--postgres-course`]?.IPAddress;
  assert.ok(address, 'the course database has an address');
  const reach = [
    'import socket',
    'try:',
    `    socket.create_connection(('${address}', 5432), timeout=3).close()`,
    "    print('connected')",
    'except OSError as e:',
    '    print(type(e).__name__)',
  ].join('\n');
  assert.is.not(await python(ctx.cat, 'cat', reach), 'connected\n');
  assert.is(await python(ctx.ana, 'ana', reach), 'connected\n', 'a member reaches it at that address');
  const byName = `import socket\ntry:\n    socket.getaddrinfo('${ctx.hub.hubName}--postgres-course', 5432)\n    print('resolved')\nexcept OSError:\n    print('no such name')`;
  assert.is(await python(ctx.cat, 'cat', byName), 'no such name\n');
  assert.is(await python(ctx.cat, 'cat', PSQL('SELECT current_database()')), 'lab\n', "cat's own group database");
  assert.match(await python(ctx.cat, 'cat', PSQL('SELECT * FROM marks')), /relation "marks" does not exist/);
  const cat = (await containersOf(ctx.hub.hubName)).find((c) => c.Labels['berth.user'] === 'cat');
  const networks = Object.keys((await docker.getContainer(cat?.Id ?? '').inspect()).NetworkSettings.Networks);
  assert.not.ok(networks.includes(`${ctx.hub.hubName}--postgres-course`));
});

t("a member can neither drop the group's database nor another member's table", async (ctx) => {
  assert.match(await python(ctx.ben, 'ben', PSQL('DROP TABLE marks')), /must be owner of table marks/);
  assert.match(
    await python(ctx.ben, 'ben', PSQL('DROP DATABASE course')),
    /cannot drop the currently open database|must be owner of database course/,
  );
  assert.is(await python(ctx.ben, 'ben', PSQL('SELECT count(*) FROM marks')), '1\n', 'the table is still there');
});

t('a member who leaves the group is off its database at once', async (ctx) => {
  assert.is((await ctx.admin.api('DELETE', '/groups/course/users', { users: ['ben'] })).status, 200);
  assert.match(await python(ctx.ben, 'ben', PSQL('SELECT 1')), /could not translate host name|connection|timeout/i);
  assert.is((await ctx.admin.api('POST', '/groups/course/users', { users: ['ben'] })).status, 200);
  assert.is((await ctx.ben.api('DELETE', '/users/ben/server')).status, 204);
  assert.is((await ctx.ben.api('POST', '/users/ben/server')).status, 201);
  assert.is(await python(ctx.ben, 'ben', PSQL('SELECT mark FROM marks')), '42\n', 'back in, back on it');
});

t('the passwords are in no page, no API answer and no log line', async (ctx) => {
  const secret = (await python(ctx.ana, 'ana', "import os\nprint(os.environ['PGPASSWORD'])")).trim();
  assert.ok(secret.length >= 24, 'a random password');
  for (const [client, path] of [
    [ctx.ana, '/hub/home'],
    [ctx.ana, '/hub/api/users/ana'],
    [ctx.admin, '/hub/admin'],
    [ctx.admin, '/hub/admin/groups'],
    [ctx.admin, '/hub/api/groups/course'],
    [ctx.admin, '/hub/api/users'],
  ] as const) {
    const body = await (await client.request(path)).text();
    assert.not.ok(body.includes(secret), path);
  }
  assert.not.ok(
    ctx.logs.some((line) => line.includes(secret)),
    'no log line',
  );
});

t('turning the database off removes its container and keeps its data; turned on again, it is back', async (ctx) => {
  const name = `${ctx.hub.hubName}--postgres-course`;
  assert.is((await ctx.admin.api('PUT', '/groups/course/properties', { images: ['scipy'] })).status, 200);
  const gone = await docker
    .getContainer(name)
    .inspect()
    .then(
      () => false,
      () => true,
    );
  assert.ok(gone, 'the container is removed');
  assert.ok(await docker.getVolume(name).inspect(), 'the data volume stays');
  assert.is((await ctx.admin.api('PUT', '/groups/course/properties', COURSE)).status, 200);
  assert.is((await ctx.ben.api('DELETE', '/users/ben/server')).status, 204);
  assert.is((await ctx.ben.api('POST', '/users/ben/server')).status, 201);
  assert.is(await python(ctx.ben, 'ben', PSQL('SELECT mark FROM marks')), '42\n', 'the table is still there');
});

t.run();
