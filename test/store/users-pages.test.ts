/**
 * The users pages Redis orders, against a real redis-server: by last sign of life (the later of
 * activity and sign-in; the never seen after, in account order, in both directions) and with some
 * users first (running servers by what they use), page after page, equal to sorting every user.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ActivityStore } from '../../src/store/activity';
import { keys } from '../../src/store/keys';
import { UserStore } from '../../src/store/users';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite('users pages ordered by Redis');
let redis: TestRedis;
let users: UserStore;
const names = Array.from({ length: 23 }, (_, i) => `u${String(i).padStart(2, '0')}`);
const seen = new Map<string, number>();

t.before(async () => {
  redis = await startRedis();
  users = new UserStore(redis.client());
  const activity = new ActivityStore(redis.client());
  for (const name of names) await users.create(name, { admin: false });
  const now = Date.now();
  for (const [i, name] of names.entries()) {
    // A third active on their server, a third signed in, some both; the rest never seen.
    const active = i % 3 === 0 ? now - i * 7_000 : undefined;
    const login = i % 4 === 1 ? now - i * 5_000 - 1 : undefined; // no ties: their order is not defined
    if (active !== undefined) await activity.touch(name, active);
    if (login !== undefined) await redis.client().zadd(keys.logins, login, name);
    if (active !== undefined || login !== undefined) seen.set(name, Math.max(active ?? -1, login ?? -1));
  }
  // A trace of a deleted user: not a user, never listed.
  await activity.touch('gone', now);
});
t.after(async () => redis.stop());

async function allPages(read: (offset: number) => Promise<{ names: string[]; total: number }>): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; offset < names.length + 3; offset += 4) {
    const page = await read(offset);
    assert.is(page.total, names.length, 'the total counts everyone');
    out.push(...page.names);
  }
  return out;
}

t('by last sign of life, latest first or oldest first, the never seen after in account order', async () => {
  const never = names.filter((n) => !seen.has(n));
  const latest = [...seen.keys()].sort((a, b) => (seen.get(b) ?? 0) - (seen.get(a) ?? 0));
  assert.equal(await allPages((offset) => users.pages.byLastSeen(offset, 4, true)), [...latest, ...never]);
  assert.equal(await allPages((offset) => users.pages.byLastSeen(offset, 4, false)), [...latest.reverse(), ...never]);
});

t('some users first, in the order given, then everyone else in account order', async () => {
  const first = ['u17', 'u03', 'gone', 'u09'];
  const expected = ['u17', 'u03', 'u09', ...names.filter((n) => !first.includes(n))];
  assert.equal(await allPages((offset) => users.pages.withFirst(first, offset, 4)), expected);
  assert.equal(await allPages((offset) => users.pages.withFirst([], offset, 4)), names);
});

t('by name or account order, with a part of the name, either way, equal to filtering every name', async () => {
  const byName = [...names].sort();
  assert.equal(await allPages((offset) => users.pages.filtered('', 'name', false, offset, 4)), byName);
  assert.equal(await allPages((offset) => users.pages.filtered('', 'name', true, offset, 4)), [...byName].reverse());
  const ones = names.filter((n) => n.includes('1'));
  const some = async (offset: number) => {
    const page = await users.pages.filtered('1', 'account', true, offset, 4);
    assert.is(page.total, ones.length);
    return page.names;
  };
  const out: string[] = [];
  for (let offset = 0; offset < ones.length; offset += 4) out.push(...(await some(offset)));
  assert.equal(out, [...ones].reverse());
});

t('the name-ordered set is made whole again for users from before it', async () => {
  await redis.client().del(keys.userNames);
  assert.equal((await users.pages.inOrder('name', 0, 50, false)).names, []);
  await users.pages.indexNames();
  assert.equal((await users.pages.inOrder('name', 0, 50, false)).names, [...names].sort());
  await users.remove('u22');
  assert.not.ok((await users.pages.filtered('', 'name', false, 0, 50)).names.includes('u22'));
  await users.create('u22', { admin: false });
});

t('a user added or removed elsewhere (the command line) is in the next filtered page', async () => {
  const elsewhere = new UserStore(redis.client());
  assert.equal((await users.pages.filtered('u0', 'name', false, 0, 50)).total, 10);
  await elsewhere.create('u0x', { admin: false });
  assert.ok((await users.pages.filtered('u0', 'name', false, 0, 50)).names.includes('u0x'));
  await elsewhere.remove('u0x');
  assert.equal((await users.pages.filtered('u0', 'name', false, 0, 50)).total, 10);
});

t('the users without a server, either way, counted; page after page', async () => {
  const withServers = ['u02', 'u05', 'u06', 'u21', 'gone'];
  for (const name of withServers) await redis.client().zadd(keys.servers, 1, name);
  try {
    const without = names.filter((n) => !withServers.includes(n));
    const all = async (desc: boolean) => {
      const out: string[] = [];
      for (let offset = 0; offset < names.length; offset += 4) {
        const page = await users.pages.withoutServers(offset, 4, desc);
        assert.is(page.total, without.length);
        out.push(...page.names);
      }
      return out;
    };
    assert.equal(await all(false), without);
    assert.equal(await all(true), [...without].reverse());
  } finally {
    await redis.client().del(keys.servers);
  }
});

t('by last sign of life, read a chunk at a time: 600 users, pages of 50, equal to sorting everyone', async () => {
  const big = await startRedis();
  try {
    const store = new UserStore(big.client());
    const activity = new ActivityStore(big.client());
    const everyone = Array.from({ length: 600 }, (_, i) => `m${String(i).padStart(3, '0')}`);
    const last = new Map<string, number>();
    const now = Date.now();
    for (const [i, name] of everyone.entries()) {
      await store.create(name, { admin: false });
      // Distinct times, the two sets interleaved; a seventh never seen.
      const active = i % 7 === 0 ? undefined : now - ((i * 37) % 600) * 1000;
      const login = i % 2 === 0 ? now - ((i * 53) % 600) * 1000 - 500 : undefined;
      if (active !== undefined) await activity.touch(name, active);
      if (login !== undefined) await big.client().zadd(keys.logins, login, name);
      if (active !== undefined || login !== undefined) last.set(name, Math.max(active ?? -1, login ?? -1));
    }
    const never = everyone.filter((n) => !last.has(n));
    const latest = [...last.keys()].sort((a, b) => (last.get(b) ?? 0) - (last.get(a) ?? 0));
    for (const [desc, expected] of [
      [true, [...latest, ...never]],
      [false, [...latest].reverse().concat(never)],
    ] as const) {
      const out: string[] = [];
      for (let offset = 0; offset < everyone.length; offset += 50) {
        out.push(...(await store.pages.byLastSeen(offset, 50, desc)).names);
      }
      assert.equal(out, expected, desc ? 'latest first' : 'oldest first');
    }
  } finally {
    await big.stop();
  }
});

t.run();
