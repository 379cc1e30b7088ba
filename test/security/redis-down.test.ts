/**
 * Redis unreachable: the proxy cannot check who is calling, so it answers 503 for users'
 * servers and never falls back to forwarding.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { signedIn } from '../helpers/client';
import { startHub } from '../helpers/hub';

const t = suite('security: Redis down');

t('with Redis gone the proxy answers 503 and forwards nothing', async () => {
  const hub = await startHub();
  try {
    await hub.addUser('alice', 'alice-password');
    const alice = await signedIn(hub.url, 'alice', 'alice-password');
    assert.is((await alice.api('POST', '/users/alice/server')).status, 201);
    assert.is((await alice.request('/user/alice/api/status')).status, 200);
    await hub.redis.stop();
    for (const path of ['/user/alice/api/status', '/user/alice/tree']) {
      const res = await alice.request(path, { headers: { accept: 'text/html' } });
      assert.is(res.status, 503, path);
      assert.match((await res.json()).message, /cannot check this request/);
    }
    assert.is((await fetch(`${hub.url}/user/alice/api/status`)).status, 503, 'anonymous too: no guessing');
  } finally {
    await hub.close();
  }
});

t.run();
