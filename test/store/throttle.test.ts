/**
 * The login throttle over a throwaway Redis: a few failures go free, then each further attempt
 * waits twice as long, per username and per address; a success clears the username's count;
 * the counts are in Redis under store/keys' names, so every hub process sees them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backoff, LoginThrottle } from '../../src/auth/throttle';
import { LoginFailureStore } from '../../src/store/login-failures';
import { startRedis, type TestRedis } from '../helpers/redis';

const t = suite<{ redis: TestRedis; throttle: LoginThrottle; other: LoginThrottle }>('login throttle');
const RULES = { perUser: 3, perAddress: 5, windowMs: 60_000, maxWaitMs: 8_000 };

t.before(async (ctx) => {
  ctx.redis = await startRedis();
  ctx.throttle = new LoginThrottle(new LoginFailureStore(ctx.redis.client()), RULES);
  // A second hub process, with its own connection.
  ctx.other = new LoginThrottle(new LoginFailureStore(ctx.redis.client()), RULES);
});

t.after(async (ctx) => ctx.redis.stop());

t('backoff: free up to the allowance, then 1 s, doubling, up to the cap', () => {
  assert.equal(
    [1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => backoff(f, 3, 8000)),
    [0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000],
  );
});

t(
  'failures for a username make every process wait, whatever the address; success clears it',
  async ({ throttle, other }) => {
    for (let i = 0; i < 3; i++) await throttle.failed('alice', `10.0.0.${i}`);
    assert.is(await other.wait('alice', '10.0.0.9'), 0, 'the allowance goes free');
    await throttle.failed('alice', '10.0.0.4');
    const wait = await other.wait('alice', '10.0.0.9');
    assert.ok(wait > 0 && wait <= 1000, String(wait));
    const upper = await other.wait('ALICE', '10.0.0.9');
    assert.ok(upper > 0 && upper <= wait, 'usernames count case-blind');
    await throttle.failed('alice', '10.0.0.5');
    assert.ok((await other.wait('alice', '10.0.0.9')) > 1000);
    await other.succeeded('alice');
    assert.is(await throttle.wait('alice', '10.0.0.9'), 0);
  },
);

t('failures from one address across many usernames make that address wait, and only it', async ({ throttle }) => {
  for (let i = 0; i < 6; i++) await throttle.failed(`user${i}`, '192.0.2.7');
  assert.ok((await throttle.wait('someone', '192.0.2.7')) > 0);
  assert.is(await throttle.wait('someone', '192.0.2.8'), 0);
});

t('the records live in Redis under the login keys and expire with the window', async ({ redis, throttle }) => {
  await throttle.failed('carol', '198.51.100.1');
  const client = redis.client();
  const keys = (await client.keys('berth:login:*')).sort();
  assert.ok(keys.some((k) => k.startsWith('berth:login:user:')));
  assert.ok(keys.some((k) => k.startsWith('berth:login:address:')));
  assert.not.ok(
    keys.some((k) => k.includes('carol')),
    'usernames are stored only as digests',
  );
  for (const key of keys) {
    const ttl = await client.pttl(key);
    assert.ok(ttl > 0 && ttl <= 60_000, `${key} expires (${ttl})`);
  }
});

t.run();
