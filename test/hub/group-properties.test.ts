/**
 * Group properties over fakes (a real Redis): every field checked and a wrong one named, conflicts
 * with other groups refused when set, volumes that groups mount kept from deletion; and what a
 * member's start gets: only the images their groups offer (the spawn page too), the most generous
 * limits, the groups' variables and mounts, and the home page saying so.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeDatabases, FakeSpawner } from '../fakes/spawners';
import { type Client, signedIn } from '../helpers/client';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';

interface Ctx {
  hub: FakeHub;
  spawner: FakeSpawner;
  admin: Client;
  sam: Client;
}

const t = suite<Ctx>('hub: group properties');
const DATA = '/home/jovyan/shared/course-data';

t.before(async (ctx) => {
  ctx.spawner = new FakeSpawner();
  ctx.hub = await fakeHub(ctx.spawner);
  await ctx.hub.addUser('root', 'root-password', true);
  await ctx.hub.addUser('sam', 'sam-password');
  await ctx.hub.addUser('tia', 'tia-password');
  ctx.admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  ctx.sam = await signedIn(ctx.hub.url, 'sam', 'sam-password');
  for (const [group, users] of [
    ['students', ['sam', 'tia']],
    ['tas', ['tia']],
    ['other', []],
  ] as const)
    assert.is((await ctx.admin.api('POST', `/groups/${group}`, { users })).status, 201);
  assert.is((await ctx.admin.api('POST', '/volumes/course-data')).status, 201);
  assert.is((await ctx.admin.api('POST', '/volumes/elsewhere')).status, 201);
});

t.after(async (ctx) => ctx.hub?.close());

const put = (c: Client, group: string, properties: unknown) => c.api('PUT', `/groups/${group}/properties`, properties);

t('each wrong property is a 400 that names its field', async ({ admin }) => {
  const cases: Array<[unknown, RegExp]> = [
    [{ colour: 'red' }, /^properties\.colour: unknown property/],
    [{ images: ['python', 'nope'] }, /^properties\.images: 'nope' is not in the catalogue/],
    [{ images: 'python' }, /^properties\.images: must be a list/],
    [{ limits: { memory: 'lots' } }, /^properties\.limits\.memory: must be a size/],
    [{ limits: { memory: '1k' } }, /^properties\.limits\.memory/],
    [{ limits: { cpu: 0 } }, /^properties\.limits\.cpu/],
    [{ limits: { gpu: 1 } }, /^properties\.limits\.gpu: unknown limit/],
    [{ env: { JUPYTERHUB_API_TOKEN: 'x' } }, /^properties\.env\.JUPYTERHUB_API_TOKEN: is set by the hub/],
    [{ env: { 'BAD NAME': 'x' } }, /^properties\.env\.BAD NAME: is not a variable name/],
    [{ env: { COURSE: 3 } }, /^properties\.env\.COURSE: must be a string/],
    [{ env: { PYTHONPATH: '/home/jovyan/shared/team' } }, /^properties\.env\.PYTHONPATH: is set by the hub/],
    [{ env: { LD_PRELOAD: 'x.so' } }, /^properties\.env\.LD_PRELOAD/],
    [{ env: { COURSE: 'a\nB=1' } }, /^properties\.env\.COURSE: must be a string .*no control characters/],
    [{ volumes: [{ volume: 'course-data', path: `${DATA}/`, mode: 'ro' }] }, /^properties\.volumes\[0\]\.path/],
    [
      { volumes: [{ volume: 'course-data', path: '/home/jovyan/shared', mode: 'ro' }] },
      /^properties\.volumes\[0\]\.path/,
    ],
    [
      { volumes: [{ volume: 'course-data', path: '/home/jovyan/shared/./x', mode: 'ro' }] },
      /^properties\.volumes\[0\]\.path/,
    ],
    [{ limits: { memory: 100000000.5 } }, /^properties\.limits\.memory/],
    [
      { volumes: [{ volume: 'nope', path: `${DATA}`, mode: 'ro' }] },
      /^properties\.volumes\[0\]\.volume: no shared volume 'nope'/,
    ],
    [
      { volumes: [{ volume: 'course-data', path: '/etc/passwd', mode: 'ro' }] },
      /^properties\.volumes\[0\]\.path: must be a plain path under/,
    ],
    [{ volumes: [{ volume: 'course-data', path: '/home/jovyan', mode: 'ro' }] }, /^properties\.volumes\[0\]\.path/],
    [
      { volumes: [{ volume: 'course-data', path: '/home/jovyan/shared/../.ssh', mode: 'ro' }] },
      /^properties\.volumes\[0\]\.path/,
    ],
    [
      { volumes: [{ volume: 'course-data', path: DATA, mode: 'rwx' }] },
      /^properties\.volumes\[0\]\.mode: must be "ro" or "rw"/,
    ],
    [
      {
        volumes: [
          { volume: 'course-data', path: DATA, mode: 'ro' },
          { volume: 'elsewhere', path: `${DATA}/in`, mode: 'ro' },
        ],
      },
      /^properties\.volumes\[1\]\.path: overlaps another mount/,
    ],
    [{ network: 'intranet' }, /^properties\.network: must be "internet" or "none"/],
    [{ services: ['mysql'] }, /^properties\.services: 'mysql' is not a service; known: postgres/],
    [{ services: 'postgres' }, /^properties\.services: must be a list of strings/],
    // These fakes run no databases, as a swarm does not yet.
    [{ services: ['postgres'] }, /^properties\.services: group databases work on one Docker engine only/],
    [{ quota: 5 }, /^properties\.quota: must be an object/],
    [{ quota: { servers: 0 } }, /^properties\.quota\.servers: must be a whole number of servers, 1 or more/],
    [{ quota: { servers: 2.5 } }, /^properties\.quota\.servers/],
    [{ quota: { server_hours_per_week: -2 } }, /^properties\.quota\.server_hours_per_week: must be a number/],
    [{ quota: { server_hours_per_week: 200 } }, /^properties\.quota\.server_hours_per_week: .*at most 168/],
    [{ quota: { gpus: 1 } }, /^properties\.quota\.gpus: unknown quota/],
    [['images'], /^properties must be a JSON object/],
  ];
  for (const [body, expected] of cases) {
    const res = await put(admin, 'other', body);
    const { message } = (await res.json()) as { message: string };
    assert.is(res.status, 400, `${JSON.stringify(body)}: ${message}`);
    assert.match(message, expected);
  }
  assert.equal((await (await admin.api('GET', '/groups/other')).json()).properties, {}, 'nothing was stored');
});

t('only an admin of groups sets properties', async ({ sam }) => {
  assert.is((await put(sam, 'students', { images: ['python'] })).status, 403);
});

t(
  'properties are stored as checked, in the group model; two groups cannot contradict each other',
  async ({ admin }) => {
    const students = {
      images: ['python'],
      limits: { memory: '1g', cpu: 0.5 },
      env: { COURSE: 'ml-101' },
      volumes: [{ volume: 'course-data', path: DATA, mode: 'ro' }],
    };
    const res = await put(admin, 'students', students);
    assert.is(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).properties, students);
    assert.equal((await (await admin.api('GET', '/groups/students')).json()).properties, students);
    // The same volume at the same path, read-write for the TAs: no conflict.
    const tas = { limits: { memory: '2g' }, volumes: [{ volume: 'course-data', path: DATA, mode: 'rw' }] };
    assert.is((await put(admin, 'tas', tas)).status, 200);
    const clash = await put(admin, 'other', { volumes: [{ volume: 'elsewhere', path: DATA, mode: 'rw' }] });
    assert.is(clash.status, 400);
    assert.match(
      (await clash.json()).message,
      /^properties\.volumes\[0\]\.path: group (students|tas) mounts course-data/,
    );
    const env = await put(admin, 'other', { env: { COURSE: 'another' } });
    assert.is(env.status, 400);
    assert.match((await env.json()).message, /^properties\.env\.COURSE: group students sets it to another value/);
  },
);

t('a volume a group mounts is not deleted: the answer names the groups and their members', async ({ admin }) => {
  const listed = (await (await admin.api('GET', '/volumes')).json()) as Array<{ name: string; groups: string[] }>;
  assert.equal(listed.find((v) => v.name === 'course-data')?.groups.sort(), ['students', 'tas']);
  const refused = await admin.api('DELETE', '/volumes/course-data');
  assert.is(refused.status, 409);
  assert.match((await refused.json()).message, /mounted by group\(s\) students, tas \(users: sam, tia\)/);
  assert.is((await admin.api('DELETE', '/volumes/elsewhere')).status, 204);
  assert.is((await admin.api('DELETE', '/volumes/elsewhere')).status, 404);
  assert.is((await admin.api('POST', '/volumes/Bad..Name')).status, 400);
});

t("a member starts only their groups' images, with their limits, variables and mounts", async ({ sam, spawner }) => {
  const other = await sam.api('POST', '/users/sam/server', { image: 'r' });
  assert.is(other.status, 400);
  assert.match((await other.json()).message, /Image 'r' is not offered to your groups\. Pick one of: python\./);
  const page = await (await sam.request('/hub/spawn')).text();
  assert.match(page, /value="python"/);
  assert.not.match(page, /value="r"/, 'the spawn page offers only python');
  assert.is((await sam.api('POST', '/users/sam/server')).status, 201);
  const request = spawner.requests.at(-1);
  assert.is(request?.image.id, 'python');
  assert.is(request?.image.limits.memory, 1024 ** 3);
  assert.is(request?.image.limits.cpu, 0.5);
  assert.equal(request?.grants?.env, { COURSE: 'ml-101' });
  assert.equal(request?.grants?.volumes, [{ volume: 'course-data', path: DATA, mode: 'ro' }]);
  const home = await (await sam.request('/hub/home')).text();
  assert.match(home, /<code>\/home\/jovyan\/shared\/course-data<\/code>: course-data, read-only/);
  assert.match(home, /1 GiB of memory, 0\.5 CPU \(from your groups\)/);
  assert.is((await sam.api('DELETE', '/users/sam/server')).status, 204);
});

t(
  'a member of two groups gets the union of mounts (read-write wins) and the most generous limits',
  async ({ hub, spawner }) => {
    const tia = await signedIn(hub.url, 'tia', 'tia-password');
    assert.is((await tia.api('POST', '/users/tia/server')).status, 201);
    const request = spawner.requests.at(-1);
    assert.is(request?.user, 'tia');
    assert.is(request?.image.limits.memory, 2 * 1024 ** 3);
    assert.equal(request?.grants?.volumes, [{ volume: 'course-data', path: DATA, mode: 'rw' }]);
    assert.is((await tia.api('DELETE', '/users/tia/server')).status, 204);
  },
);

t(
  "a group's database: members' starts join its network with the PG variables; turning it off closes it",
  async ({ hub, admin, spawner }) => {
    const databases = new FakeDatabases();
    spawner.databases = databases;
    try {
      await hub.addUser('dan', 'dan-password');
      assert.is((await admin.api('POST', '/groups/db-b', { users: ['dan'] })).status, 201);
      assert.is((await admin.api('POST', '/groups/db-a', { users: ['dan'] })).status, 201);
      for (const group of ['db-a', 'db-b'])
        assert.is((await put(admin, group, { services: ['postgres'] })).status, 200);
      const dan = await signedIn(hub.url, 'dan', 'dan-password');
      assert.is((await dan.api('POST', '/users/dan/server')).status, 201);
      const request = spawner.requests.at(-1);
      const password = databases.roles.get('db-a')?.get('dan') ?? '';
      assert.ok(password.length >= 24, 'a random password for the role');
      assert.equal(request?.networks, ['fake-postgres-db-a'], 'the first of his groups with a database, by name');
      assert.equal(request?.grants?.env, {
        PGHOST: 'postgres',
        PGPORT: '5432',
        PGUSER: 'dan',
        PGPASSWORD: password,
        PGDATABASE: 'db-a',
        DATABASE_URL: `postgresql://dan:${password}@postgres:5432/db-a`,
      });
      const home = await (await dan.request('/hub/home')).text();
      assert.match(home, /id="offer-database">PostgreSQL database <code>db-a<\/code>/);
      assert.not.ok(home.includes(password), 'the password is not on the page');
      assert.is((await dan.api('DELETE', '/users/dan/server')).status, 204);
      assert.is((await dan.api('POST', '/users/dan/server')).status, 201);
      assert.is(databases.roles.get('db-a')?.get('dan'), password, 'the same password at the next start');
      assert.is((await admin.api('DELETE', '/groups/db-a/users', { users: ['dan'] })).status, 200);
      assert.not.ok(databases.roles.get('db-a')?.has('dan'), 'left the group: off its database at once');
      assert.is((await admin.api('POST', '/groups/db-a/users', { users: ['dan'] })).status, 200);
      assert.is((await put(admin, 'db-a', {})).status, 200);
      assert.not.ok(databases.roles.has('db-a'), 'turned off: closed');
      assert.is((await admin.api('DELETE', '/groups/db-b')).status, 204);
      assert.not.ok(databases.roles.has('db-b'), 'group deleted: closed');
      assert.is((await dan.api('DELETE', '/users/dan/server')).status, 204);
    } finally {
      spawner.databases = undefined;
    }
  },
);

t(
  "without an image asked for, a start takes the hub's default only when the groups offer it",
  async ({ hub, admin, spawner }) => {
    await hub.addUser('ola', 'ola-password');
    assert.is((await admin.api('POST', '/groups/r-users', { users: ['ola'] })).status, 201);
    assert.is((await put(admin, 'r-users', { images: ['r'] })).status, 200);
    const ola = await signedIn(hub.url, 'ola', 'ola-password');
    assert.is((await ola.api('POST', '/users/ola/server')).status, 201);
    assert.is(spawner.requests.at(-1)?.image.id, 'r', 'python, the default, is not offered to ola');
    assert.match(await (await ola.request('/hub/home')).text(), /id="offer-images">R/);
    assert.is((await ola.api('DELETE', '/users/ola/server')).status, 204);
  },
);

t('running servers whose groups changed say so until they restart', async ({ admin, sam }) => {
  const oldSettings = async () => {
    const user = (await (await admin.api('GET', '/users/sam')).json()) as {
      servers: Record<string, { state?: { old_settings?: boolean } }>;
    };
    return user.servers['']?.state?.old_settings === true;
  };
  assert.is((await sam.api('POST', '/users/sam/server')).status, 201);
  assert.is(await oldSettings(), false);
  const same = (await (await admin.api('GET', '/groups/students')).json()).properties;
  assert.is((await put(admin, 'students', same)).status, 200);
  assert.is(await oldSettings(), false, 'setting the same properties again changes nothing');
  assert.is((await put(admin, 'students', { ...same, env: { COURSE: 'ml-102' } })).status, 200);
  assert.is(await oldSettings(), true, 'a change to its group');
  assert.is((await sam.api('DELETE', '/users/sam/server')).status, 204);
  assert.is((await sam.api('POST', '/users/sam/server')).status, 201);
  assert.is(await oldSettings(), false, 'a restart takes the settings of now');
  assert.is((await admin.api('POST', '/groups/other/users', { users: ['sam'] })).status, 200);
  assert.is(await oldSettings(), false, 'joining a group without properties changes nothing');
  assert.is((await admin.api('DELETE', '/groups/tas/users', { users: ['tia'] })).status, 200);
  assert.is((await admin.api('POST', '/groups/tas/users', { users: ['sam'] })).status, 200);
  assert.is(await oldSettings(), true, 'joining a group with properties');
  assert.is((await sam.api('DELETE', '/users/sam/server')).status, 204);
});

t.run();
