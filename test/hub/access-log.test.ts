/**
 * The hub's access log, over fakes: one line per request with its status, method, path, caller
 * and duration; health checks and scrapes at debug level, so they do not drown the rest.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log';
import { FakeSpawner } from '../fakes/spawners';
import { signedIn } from '../helpers/client';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';

const t = suite<{ hub: FakeHub; lines: Array<Record<string, unknown>> }>('hub: access log');

t.before(async (ctx) => {
  ctx.lines = [];
  ctx.hub = await fakeHub(new FakeSpawner(), { log: createLogger('debug', {}, (l) => ctx.lines.push(JSON.parse(l))) });
  await ctx.hub.addUser('alice', 'alice-password');
});

t.after(async (ctx) => ctx.hub?.close());

t('one line per request: status, method, path (no query), the caller, and milliseconds', async ({ hub, lines }) => {
  const alice = await signedIn(hub.url, 'alice', 'alice-password');
  lines.length = 0;
  await alice.request('/hub/home?from=test');
  await alice.api('GET', '/users/nobody');
  await fetch(`${hub.url}/hub/api/`);
  const requests = lines.filter((l) => l.msg === 'request');
  assert.equal(
    requests.map((l) => [l.level, l.status, l.method, l.path, l.user]),
    [
      ['info', 200, 'GET', '/hub/home', 'alice'],
      ['info', 404, 'GET', '/hub/api/users/nobody', 'alice'],
      ['info', 200, 'GET', '/hub/api/', undefined],
    ],
  );
  for (const l of requests) assert.ok(typeof l.ms === 'number' && l.ms >= 0);
});

t('health checks are logged at debug level', async ({ hub, lines }) => {
  lines.length = 0;
  await fetch(`${hub.url}/hub/health`);
  assert.equal(
    lines.filter((l) => l.msg === 'request').map((l) => [l.level, l.path]),
    [['debug', '/hub/health']],
  );
});

t.run();
