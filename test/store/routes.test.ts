/**
 * One contract for every RouteStore: the Redis one (against a real redis-server) and the memory one.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryRouteStore, RedisRouteStore, type RouteStore } from '../../src/store/routes';
import { startRedis, type TestRedis } from '../helpers/redis';

function contract(name: string, make: () => Promise<RouteStore>, after?: () => Promise<void>) {
  const t = suite(`RouteStore contract: ${name}`);
  if (after) t.after(after);

  t('an unknown user has no route', async () => {
    assert.is(await (await make()).get('nobody'), undefined);
  });

  t('set then get gives the route back', async () => {
    const store = await make();
    await store.set({ user: 'alice', target: 'http://127.0.0.1:1234', token: 't1' });
    assert.equal(await store.get('alice'), { user: 'alice', target: 'http://127.0.0.1:1234', token: 't1' });
  });

  t('set replaces, and routes are per user', async () => {
    const store = await make();
    await store.set({ user: 'alice', target: 'http://127.0.0.1:1', token: 'a' });
    await store.set({ user: 'al', target: 'http://127.0.0.1:2', token: 'b' });
    await store.set({ user: 'alice', target: 'http://127.0.0.1:3', token: 'c' });
    assert.equal(await store.get('alice'), { user: 'alice', target: 'http://127.0.0.1:3', token: 'c' });
    assert.equal(await store.get('al'), { user: 'al', target: 'http://127.0.0.1:2', token: 'b' });
    assert.equal((await store.all()).map((r) => r.user).sort(), ['al', 'alice']);
  });

  t('delete is safe twice', async () => {
    const store = await make();
    await store.set({ user: 'bob', target: 'http://127.0.0.1:1', token: 'a' });
    await store.delete('bob');
    await store.delete('bob');
    assert.is(await store.get('bob'), undefined);
    assert.not.ok((await store.all()).some((r) => r.user === 'bob'));
  });

  t('returned routes are copies', async () => {
    const store = await make();
    await store.set({ user: 'carol', target: 'http://127.0.0.1:1', token: 'a' });
    const r = (await store.get('carol'))!;
    r.target = 'http://evil';
    assert.is((await store.get('carol'))!.target, 'http://127.0.0.1:1');
  });

  t.run();
}

contract('memory', async () => new MemoryRouteStore());

let redis: TestRedis | undefined;
contract(
  'redis',
  async () => {
    redis ??= await startRedis();
    const client = redis.client();
    await client.flushdb();
    return new RedisRouteStore(client);
  },
  async () => redis?.stop(),
);
