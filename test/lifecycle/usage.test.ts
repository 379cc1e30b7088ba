/**
 * Live usage on the real engine: a server whose kernel holds 300 MB and spins a core shows both in
 * its user model (and so the admin page), on its owner's home page and in /hub/metrics, sampled
 * every second here (HUB_USAGE_INTERVAL); a stopped server's series are gone.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type Client, signedIn } from '../helpers/client';
import { startHub, type TestHub } from '../helpers/hub';
import { execute, startKernel } from '../helpers/kernel';
import { eventually } from '../helpers/wait';

interface Ctx {
  hub: TestHub;
  ann: Client;
}

interface Usage {
  memory_bytes: number;
  memory_limit_bytes: number;
  cpu: number;
}

const t = suite<Ctx>('live usage');

t.before(async (ctx) => {
  ctx.hub = await startHub({ HUB_USAGE_INTERVAL: '1' });
  await ctx.hub.addUser('ann', 'ann-password');
  ctx.ann = await signedIn(ctx.hub.url, 'ann', 'ann-password');
});

t.after(async (ctx) => ctx.hub?.close());

/** /hub/metrics, read with a token that may read it. */
async function metrics(hub: TestHub): Promise<string> {
  if (!(await hub.runtime.users.get('root'))) await hub.addUser('root', 'root-password', true);
  const { token } = await hub.runtime.tokens.create('root', { note: 'metrics', scopes: ['read:metrics'] });
  return (await fetch(`${hub.url}/hub/metrics`, { headers: { authorization: `token ${token}` } })).text();
}

t(
  'a kernel holding 300 MB and spinning a core shows both, in the model, the home page and /hub/metrics',
  async (ctx) => {
    assert.is((await ctx.ann.api('POST', '/users/ann/server')).status, 201);
    const kernel = await startKernel(ctx.ann, 'ann');
    const code = [
      "hog = b'x' * (300 * 1024 * 1024)",
      'import threading',
      'def spin():',
      '    while True:',
      '        pass',
      'threading.Thread(target=spin, daemon=True).start()',
    ].join('\n');
    assert.is((await execute(ctx.ann, 'ann', kernel, code)).error, undefined);
    let usage: Usage | undefined;
    await eventually(
      async () => {
        const me = (await (await ctx.ann.api('GET', '/users/ann')).json()) as {
          servers: Record<string, { usage?: Usage }>;
        };
        usage = me.servers['']?.usage;
        return usage !== undefined && usage.memory_bytes >= 300 * 1024 ** 2 && usage.cpu >= 0.7;
      },
      `the usage shows 300 MB and a busy core (last: ${JSON.stringify(usage)})`,
      30_000,
      500,
    );
    assert.ok((usage?.cpu ?? 0) <= 1.3, `about one core (${usage?.cpu})`);
    assert.is(usage?.memory_limit_bytes, 1024 ** 3, "the image's limit");
    assert.match(
      await (await ctx.ann.request('/hub/home')).text(),
      /id="server-usage">It uses \d+ MiB of its 1024 MiB/,
    );
    const text = await metrics(ctx.hub);
    const memory = /^berth_server_memory_bytes\{user="ann"\} (\d+)$/m.exec(text);
    assert.ok(memory && Number(memory[1]) >= 300 * 1024 ** 2, 'berth_server_memory_bytes');
    assert.match(text, /^berth_server_cpu_seconds_total\{user="ann"\} [\d.]+$/m);
    assert.is((await ctx.ann.api('DELETE', '/users/ann/server')).status, 204);
    await eventually(
      async () => !/berth_server_memory_bytes\{user="ann"\}/.test(await metrics(ctx.hub)),
      'the series ends',
    );
  },
);

t.run();
