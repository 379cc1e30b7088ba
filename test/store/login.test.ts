/**
 * Signing in against the user store (the local strategy's stages): the right password gives
 * the user, anything else nothing; a hash stored at an older, lower cost is replaced by one at
 * today's cost on the next successful sign-in, and only then.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkLogin } from '../../src/auth/passport';
import { PASSWORD_COST, verifyPassword } from '../../src/auth/password';
import { keys } from '../../src/store/keys';
import { UserStore } from '../../src/store/users';
import { startRedis, type TestRedis } from '../helpers/redis';

/** 'old-password' as Berth hashed it before the cost was raised: N=2^14, r=8, p=1. */
const OLD_HASH = 'scrypt$16384$8$1$uFBbG0S5o4eQvXfnHVjRNQ==$+A5YEARxOZ6pFLs/3seCtLDbTX+7091GffOHzgTeeRY=';

const t = suite<{ redis: TestRedis; users: UserStore }>('sign-in stages');

t.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.users = new UserStore(ctx.redis.client());
  await ctx.users.create('alice', { admin: false, passwordHash: OLD_HASH });
  await ctx.users.create('bob', { admin: false });
});

t.after(async (ctx) => ctx.redis.stop());

t(
  'a wrong password, an unknown user or one without a password gives nothing, and changes nothing',
  async ({ users }) => {
    assert.is(await checkLogin(users, 'alice', 'wrong-password'), undefined);
    assert.is(await checkLogin(users, 'nobody', 'old-password'), undefined);
    assert.is(await checkLogin(users, 'bob', ''), undefined);
    assert.is(await users.passwordHash('alice'), OLD_HASH);
  },
);

t(
  "the right password signs in, names are normalised, and an old hash is upgraded to today's cost",
  async ({ users }) => {
    const user = await checkLogin(users, 'Alice', 'old-password');
    assert.is(user?.name, 'alice');
    const stored = (await users.passwordHash('alice')) ?? '';
    assert.is.not(stored, OLD_HASH);
    assert.ok(stored.startsWith(`scrypt$${PASSWORD_COST.N}$${PASSWORD_COST.r}$${PASSWORD_COST.p}$`), stored);
    assert.ok(await verifyPassword('old-password', stored));
    assert.is((await checkLogin(users, 'alice', 'old-password'))?.name, 'alice', 'the new hash signs in too');
    assert.is(await users.passwordHash('alice'), stored, "a hash at today's cost is kept");
  },
);

t(
  'an upgrade replaces the hash only while it is the one read: never a newer password, never a deleted user',
  async ({ users, redis }) => {
    await users.create('carol', { admin: false, passwordHash: OLD_HASH });
    await users.setPassword('carol', 'scrypt$changed-meanwhile');
    assert.not.ok(await users.replacePasswordHash('carol', OLD_HASH, 'scrypt$upgrade'));
    assert.is(await users.passwordHash('carol'), 'scrypt$changed-meanwhile');
    assert.ok(await users.replacePasswordHash('carol', 'scrypt$changed-meanwhile', 'scrypt$upgrade'));
    assert.is(await users.passwordHash('carol'), 'scrypt$upgrade');
    await users.remove('carol');
    assert.not.ok(await users.replacePasswordHash('carol', 'scrypt$upgrade', 'scrypt$again'));
    assert.is(await redis.client().exists(keys.user('carol')), 0);
  },
);

t.run();
