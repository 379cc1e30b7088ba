/**
 * What signing in through a provider writes, against a real redis-server: claiming a username is
 * one step that never takes a local account or another provider's, and syncing a person's provider
 * groups is one step too, so sign-ins at the same moment cannot leave a group behind.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GroupStore } from '../../src/store/groups';
import { keys } from '../../src/store/keys';
import { UserStore } from '../../src/store/users';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite('identities in the store');
let redis: TestRedis;
let users: UserStore;
let groups: GroupStore;

t.before(async () => {
  redis = await startRedis();
  users = new UserStore(redis.client());
  groups = new GroupStore(redis.client());
});
t.after(async () => redis.stop());

t('a claim creates, or takes an account nobody holds, and nothing else', async () => {
  assert.is(await users.claim('ann', 'oidc'), 'created');
  assert.is(await users.claim('ann', 'oidc'), 'claimed');
  assert.equal(await users.claim('ann', 'ldap'), { taken: 'oidc' });
  await users.create('ben', { admin: false, passwordHash: 'scrypt$hash' });
  assert.equal(await users.claim('ben', 'oidc'), { taken: 'local' });
  await users.create('cat', { admin: true });
  assert.is(await users.claim('cat', 'ldap'), 'claimed', 'an admin made without a password is claimed once');
  assert.is((await users.get('cat'))?.admin, true);
  assert.equal(await users.claim('cat', 'oidc'), { taken: 'ldap' });
});

t('racing claims of a new name: one creates it, the other finds it claimed or taken', async () => {
  const results = await Promise.all([users.claim('dan', 'oidc'), users.claim('dan', 'ldap')]);
  assert.equal(results.filter((r) => r === 'created').length, 1);
  assert.equal(results.filter((r) => typeof r === 'object').length, 1);
});

t('provider groups are synced exactly; groups given by hand stay', async () => {
  await groups.create('by-hand', ['eve']);
  assert.equal(await groups.syncFromProvider('eve', ['a', 'b']), { joined: ['a', 'b'], left: [] });
  assert.equal(await groups.syncFromProvider('eve', ['b', 'c']), { joined: ['c'], left: ['a'] });
  assert.equal(await groups.groupsOf('eve'), ['b', 'by-hand', 'c']);
  assert.equal(await groups.handGroupsOf('eve'), ['by-hand']);
  assert.equal((await groups.get('a'))?.users, []);
  assert.equal(await groups.syncFromProvider('eve', []), { joined: [], left: ['b', 'c'] });
  assert.equal(await groups.groupsOf('eve'), ['by-hand']);
});

t('sign-ins at the same moment leave exactly the last sync, never a mix', async () => {
  const sets = [['x'], ['y'], ['z'], ['x', 'y'], ['y', 'z'], []];
  await Promise.all(sets.map((s) => groups.syncFromProvider('fay', s)));
  const last = await redis.client().smembers(keys.providerGroups('fay'));
  assert.equal((await groups.groupsOf('fay')).sort(), last.sort(), 'membership is the provider set, nothing stale');
  for (const g of ['x', 'y', 'z']) {
    const members = (await groups.get(g))?.users ?? [];
    assert.is(members.includes('fay'), last.includes(g), g);
  }
});

t.run();
