/**
 * The `berth` command as a person uses it, against a real Redis.
 */

import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../src/paths';
import { keys } from '../../src/store/keys';
import { berth } from '../helpers/cli';
import { startRedis, type TestRedis } from '../helpers/redis';

interface Ctx {
  redis: TestRedis;
  env: Record<string, string>;
}

const t = suite<Ctx>('berth CLI');

t.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.env = { REDIS_URL: ctx.redis.url };
});

t.after(async (ctx) => ctx.redis.stop());

t('--help shows every command', async (ctx) => {
  const r = await berth(['--help'], ctx.env);
  assert.is(r.code, 0);
  for (const cmd of [
    'berth serve',
    'berth user add',
    'berth user list',
    'berth user rm',
    'berth user set-password',
    'berth images list',
    'berth images build',
  ]) {
    assert.ok(r.stdout.includes(cmd), cmd);
  }
});

t('unknown commands and options exit non-zero with one line', async (ctx) => {
  for (const args of [
    ['frobnicate'],
    ['user'],
    ['user', 'add'],
    ['user', 'add', 'x', '--bogus'],
    ['user', 'add', 'a', 'b'],
  ]) {
    const r = await berth(args, ctx.env);
    assert.is(r.code, 2, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

t('user add reads the password from the first line of stdin and stores only a hash', async (ctx) => {
  const r = await berth(['user', 'add', 'alice'], ctx.env, 'alice-password\nignored\n');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Added user alice/);
  const stored = await ctx.redis.client().hgetall(keys.user('alice'));
  assert.is(stored.admin, '0');
  assert.match(stored.password, /^scrypt\$/);
  assert.not.ok(JSON.stringify(stored).includes('alice-password'));
});

t('--admin makes an admin; names are normalised', async (ctx) => {
  const r = await berth(['user', 'add', 'Carol', '--admin'], ctx.env, 'carol-password\n');
  assert.is(r.code, 0, r.stderr);
  assert.is((await ctx.redis.client().hgetall(keys.user('carol'))).admin, '1');
});

t('bad input: taken name, bad name, short password, unknown user', async (ctx) => {
  const cases: Array<[string[], string, RegExp]> = [
    [['user', 'add', 'alice'], 'another-password\n', /already exists/],
    [['user', 'add', '../x'], 'password123\n', /Invalid username/],
    [['user', 'add', 'dave'], 'short\n', /at least 8 characters/],
    [['user', 'add', 'erin'], '', /at least 8 characters/],
    [['user', 'rm', 'nobody'], '', /No such user/],
    [['user', 'set-password', 'nobody'], 'password123\n', /No such user/],
  ];
  for (const [args, input, message] of cases) {
    const r = await berth(args, ctx.env, input);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, message);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.is(await ctx.redis.client().exists(keys.user('dave')), 0);
});

t('user list shows users and roles', async (ctx) => {
  const r = await berth(['user', 'list'], ctx.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^NAME\s+ROLE\s+SERVER\s+CREATED/);
  assert.match(r.stdout, /\nalice\s+stopped/);
  assert.match(r.stdout, /\ncarol\s+admin\s+stopped/);
});

t("set-password changes the hash and ends the user's sessions", async (ctx) => {
  const redis = ctx.redis.client();
  const before = await redis.hget(keys.user('alice'), 'password');
  await redis.set(keys.session('s1'), JSON.stringify({ passport: { user: 'alice' } }));
  await redis.sadd(keys.userSessions('alice'), 's1');
  const r = await berth(['user', 'set-password', 'alice'], ctx.env, 'a-new-password\n');
  assert.is(r.code, 0, r.stderr);
  assert.is.not(await redis.hget(keys.user('alice'), 'password'), before);
  assert.is(await redis.exists(keys.session('s1')), 0);
});

t('user rm removes the user', async (ctx) => {
  const r = await berth(['user', 'rm', 'carol'], { ...ctx.env, HUB_NAME: 'cli-test-none' });
  assert.is(r.code, 0, r.stderr);
  assert.is(await ctx.redis.client().exists(keys.user('carol')), 0);
});

t(
  'token create prints the token alone on its last line; it works with the API and holds only its scopes',
  async (ctx) => {
    const r = await berth(
      ['token', 'create', 'alice', '--scopes', 'read:users!user=alice', '--note', 'for a script'],
      ctx.env,
    );
    assert.is(r.code, 0, r.stderr);
    const token = r.stdout.trim().split('\n').pop()!;
    assert.match(token, /^[0-9a-f]{64}$/);
    const stored = await ctx.redis.client().keys('berth:token:*');
    assert.is(stored.length, 1);
    assert.not.ok(stored[0].includes(token));
    const record = await ctx.redis.client().hgetall(stored[0]);
    assert.is(record.note, 'for a script');
    assert.equal(JSON.parse(record.scopes), ['read:users!user=alice']);
  },
);

t('token create refuses unknown users, unknown scopes and scopes the user does not hold', async (ctx) => {
  for (const [args, message] of [
    [['token', 'create', 'nobody'], /No such user/],
    [['token', 'create', 'alice', '--scopes', 'fly:away'], /Unknown scope 'fly:away'/],
    [['token', 'create', 'alice', '--scopes', 'admin:users'], /alice does not hold admin:users/],
    [['token', 'create', 'alice', '--note'], /--note needs a value/],
  ] as Array<[string[], RegExp]>) {
    const r = await berth(args, ctx.env);
    assert.ok(r.code === 1 || r.code === 2, `${args.join(' ')}: ${r.code}`);
    assert.match(r.stderr, message);
  }
});

t('images list shows the catalogue: id, title, kernels, status, size', async (ctx) => {
  const r = await berth(['images', 'list'], ctx.env);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^ID\s+TITLE\s+KERNELS\s+STATUS\s+SIZE/);
  for (const id of ['python', 'scipy', 'r', 'octave'])
    assert.match(r.stdout, new RegExp(`\\n${id}\\s+\\S.*\\s+built \\d{4}-\\d\\d-\\d\\d\\s+\\d+ MB`));
  assert.match(r.stdout, /\nr\s+R\s+R 4\.2\.2, Python 3\.11\s+built/);
});

t('images build says which names it knows', async (ctx) => {
  const r = await berth(['images', 'build', 'julia'], ctx.env);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^berth: No image 'julia' in images\/\. Known: .*python/);
});

t('every command explains itself with --help; the help names the version', async (ctx) => {
  const all = await berth(['--help'], ctx.env);
  assert.match(all.stdout, /berth --version\s+the version \(\d+\.\d+\.\d+\)/);
  assert.match(all.stdout, /berth <command> --help/);
  const version = await berth(['--version'], ctx.env);
  assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+$/);
  for (const words of [['serve'], ['user', 'add'], ['token', 'create'], ['images', 'build'], ['config', 'check']]) {
    const r = await berth([...words, '--help'], ctx.env);
    assert.is(r.code, 0, words.join(' '));
    assert.ok(r.stdout.startsWith(`berth ${words.join(' ')}: `), r.stdout);
    assert.match(r.stdout, new RegExp(`Usage:\\n  berth ${words.join(' ')}`));
  }
  const group = await berth(['user', '--help'], ctx.env);
  for (const sub of ['add', 'list', 'rm', 'set-password']) assert.match(group.stdout, new RegExp(`berth user ${sub}`));
});

t('user list --json gives the users as data', async (ctx) => {
  const r = await berth(['user', 'list', '--json'], ctx.env);
  assert.is(r.code, 0, r.stderr);
  const users = JSON.parse(r.stdout) as Array<{ name: string; admin: boolean; server: string; created: string }>;
  assert.equal(
    users.map((u) => [u.name, u.admin, u.server]),
    [['alice', false, 'stopped']],
  );
  assert.ok(!Number.isNaN(Date.parse(users[0].created)));
});

t('config example prints hub.env.example; config check says what is wrong, one line per problem', async (ctx) => {
  const example = await berth(['config', 'example'], ctx.env);
  assert.is(example.code, 0);
  assert.is(example.stdout, fs.readFileSync(path.join(ROOT, 'hub.env.example'), 'utf8'));
  const good = await berth(['config', 'check'], ctx.env);
  assert.is(good.code, 0, good.stderr);
  assert.match(good.stdout, /configuration is valid/);
  const bad = await berth(['config', 'check'], {
    ...ctx.env,
    HUB_PORT: 'eighty',
    HUB_IDLE_TIMEOUT: '-1',
    HUB_MEMLIMIT: '2g',
  });
  assert.is(bad.code, 1);
  assert.equal(bad.stderr.trim().split('\n'), [
    "HUB_PORT: must be a whole number from 0 to 65535 (got 'eighty')",
    "HUB_IDLE_TIMEOUT: must be a number of seconds, 0 or more (got '-1')",
    'HUB_MEMLIMIT is not a Berth setting; did you mean HUB_MEM_LIMIT? (see `berth config example`)',
  ]);
  const noRedis = await berth(['config', 'check'], { ...ctx.env, REDIS_URL: 'redis://127.0.0.1:1/0' });
  assert.is(noRedis.code, 1);
  assert.match(noRedis.stderr, /^REDIS_URL: no Redis answers at 127\.0\.0\.1:1$/m);
});

t('a bad setting is named in one line', async (ctx) => {
  const r = await berth(['user', 'list'], { ...ctx.env, HUB_PORT: 'eighty' });
  assert.is(r.code, 1);
  assert.match(r.stderr, /^berth: HUB_PORT: /);
});

t.run();
