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
  assert.is(await redis.client().exists(keys.lastSeenScratch), 0, 'nothing left behind');
});

t('some users first, in the order given, then everyone else in account order', async () => {
  const first = ['u17', 'u03', 'gone', 'u09'];
  const expected = ['u17', 'u03', 'u09', ...names.filter((n) => !first.includes(n))];
  assert.equal(await allPages((offset) => users.pages.withFirst(first, offset, 4)), expected);
  assert.equal(await allPages((offset) => users.pages.withFirst([], offset, 4)), names);
});

t('by name or account order, with a part of the name, either way, equal to filtering every name', async () => {
  const byName = [...names].sort();
  assert.equal(await allPages((offset) => users.pages.filtered('', true, false, offset, 4)), byName);
  assert.equal(await allPages((offset) => users.pages.filtered('', true, true, offset, 4)), [...byName].reverse());
  const ones = names.filter((n) => n.includes('1'));
  const some = async (offset: number) => {
    const page = await users.pages.filtered('1', false, true, offset, 4);
    assert.is(page.total, ones.length);
    return page.names;
  };
  const out: string[] = [];
  for (let offset = 0; offset < ones.length; offset += 4) out.push(...(await some(offset)));
  assert.equal(out, [...ones].reverse());
});

t('the name-ordered set is made whole again for users from before it', async () => {
  await redis.client().del(keys.userNames);
  assert.equal((await users.pages.filtered('', true, false, 0, 50)).names, []);
  await users.pages.indexNames();
  assert.equal((await users.pages.filtered('', true, false, 0, 50)).names, [...names].sort());
  await users.remove('u22');
  assert.not.ok((await users.pages.filtered('', true, false, 0, 50)).names.includes('u22'));
  await users.create('u22', { admin: false });
});

t.run();
