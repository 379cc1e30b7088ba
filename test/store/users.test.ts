/**
 * The user store's batch reads against a real redis-server: they run as Lua scripts that hand
 * back JSON (one command per page instead of one per user), so their edges are checked here:
 * empty sets, missing users, order, pages from either end, and a Redis that lost its scripts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupStore } from '../../src/store/groups';
import { ServerStore } from '../../src/store/servers';
import { UserStore } from '../../src/store/users';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite('UserStore batch reads');
let redis: TestRedis;
let users: UserStore;

t.before(async () => {
  redis = await startRedis();
  users = new UserStore(redis.client());
});
t.after(async () => redis.stop());

t('an empty hub has no names and empty pages', async () => {
  assert.equal(await users.names(), []);
  assert.equal(await users.pages.inOrder('account', 0, 50, false), { names: [], total: 0 });
  assert.equal(await users.getMany([]), []);
  assert.equal(await new GroupStore(redis.client()).groupsOfMany([]), new Map());
});

t('getMany keeps order, leaves a hole for a missing user and never returns the password hash', async () => {
  await users.create('ann', { admin: true, passwordHash: 'scrypt$secret-hash' });
  await users.create('ben', { admin: false });
  const [ann, ghost, ben] = await users.getMany(['ann', 'ghost', 'ben']);
  assert.equal(
    { name: ann?.name, admin: ann?.admin, hasPassword: ann?.hasPassword },
    { name: 'ann', admin: true, hasPassword: true },
  );
  assert.is(ghost, undefined);
  assert.equal(
    { name: ben?.name, admin: ben?.admin, hasPassword: ben?.hasPassword },
    { name: 'ben', admin: false, hasPassword: false },
  );
  assert.not.match(JSON.stringify(await users.getMany(['ann'])), 'secret-hash');
  assert.equal(await users.getMany(['ann']), [await users.get('ann')]);
});

t('pages come in account order from either end, with the total', async () => {
  for (const name of ['cat', 'dan', 'eve']) {
    await users.create(name, { admin: false });
    await new Promise((r) => setTimeout(r, 2)); // distinct creation times
  }
  assert.equal(await users.names(), ['ann', 'ben', 'cat', 'dan', 'eve']);
  assert.equal(await users.pages.inOrder('account', 1, 2, false), { names: ['ben', 'cat'], total: 5 });
  assert.equal(await users.pages.inOrder('account', 0, 2, true), { names: ['eve', 'dan'], total: 5 });
  assert.equal(await users.pages.inOrder('account', 4, 50, false), { names: ['eve'], total: 5 });
  assert.equal(await users.pages.inOrder('account', 9, 50, false), { names: [], total: 5 });
});

t('groups and server records of many users, in order', async () => {
  const groups = new GroupStore(redis.client());
  await groups.create('physics', ['cat']);
  await groups.create('art', ['cat', 'dan']);
  const of = await groups.groupsOfMany(['cat', 'dan', 'eve']);
  assert.equal([of.get('cat'), of.get('dan'), of.get('eve')], [['art', 'physics'], ['art'], []]);
  const state = new ServerStore(redis.client());
  await state.put({
    user: 'dan',
    state: 'running',
    image: 'python',
    container: 'c1',
    started: '2026-01-01T00:00:00.000Z',
  });
  const [cat, dan] = await state.getMany(['cat', 'dan']);
  assert.is(cat, undefined);
  assert.is(dan?.container, 'c1');
});

t('a Redis that lost its scripts (restart, SCRIPT FLUSH) is sent them again', async () => {
  await redis.client().script('FLUSH');
  assert.equal((await users.pages.inOrder('account', 0, 1, false)).names, ['ann']);
  assert.equal(await users.names(), ['ann', 'ben', 'cat', 'dan', 'eve']);
});

t.run();
