/**
 * Berth on a real Docker Swarm of three Docker-in-Docker nodes (test/helpers/swarm.ts), the hub
 * outside the swarm against its manager (HUB_SPAWNER=swarm), catalogue images pushed to the
 * swarm's registry and run by digest: six users start at once and land on several nodes; each
 * reaches their own server, and nobody else's, through two proxies (the hub's and a `berth proxy`
 * process), and runs print(6*7); a fresh hub adopts all six from the services alone; a home
 * survives a stop and a start on its node, a batch job runs there, and `berth user move` takes it to another; a server no node can hold, or whose image needs a node
 * label nobody has, fails at once, saying why; a node that dies takes its servers down with the reason,
 * and their next start says where their files are; with homes on storage every node reaches
 * (HUB_HOME_VOLUME_OPTIONS), a server starts on another node and finds its files.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listen } from '../../src/cli/listen';
import { openRuntime } from '../../src/cli/runtime';
import { silentLogger } from '../../src/log';
import { keys } from '../../src/store/keys';
import { berth, berthProcess, exited } from '../helpers/cli';
import { Client, signedIn } from '../helpers/client';
import { notebook } from '../helpers/homes';
import { SECRET, startHub, type TestHub } from '../helpers/hub';
import { runCode } from '../helpers/kernel';
import { freePort } from '../helpers/redis';
import { startSwarm, type TestSwarm } from '../helpers/swarm';
import { eventually } from '../helpers/wait';

const USERS = ['ada', 'ben', 'cy', 'dee', 'eli', 'fay'];

interface Ctx {
  logs: string[];
  swarm: TestSwarm;
  hub: TestHub;
  clients: Map<string, Client>;
  admin: Client;
  proxy: ChildProcess;
  proxyUrl: string;
}

const t = suite<Ctx>('Berth on Docker Swarm (three nodes)');

t.before(async (ctx) => {
  ctx.logs = [];
  ctx.swarm = await startSwarm(`bsw${randomBytes(3).toString('hex')}`);
  await ctx.swarm.load('berth/python:latest');
  ctx.hub = await startHub(
    {
      DOCKER_HOST: ctx.swarm.manager.url,
      HUB_SPAWNER: 'swarm',
      HUB_REGISTRY: ctx.swarm.registry,
      HUB_IMAGES: 'python',
      HUB_SPAWN_TIMEOUT: '300',
      HUB_SLOW_SPAWN_TIMEOUT: '0',
      // Two CPUs per node: six servers of half a CPU each leave room to move (the image's label asks for 1).
      HUB_IMAGE_LIMITS: 'python:cpu=0.5',
    },
    { background: true, logs: ctx.logs },
  );
  ctx.clients = new Map();
  await ctx.hub.addUser('root', 'root-password', true);
  ctx.admin = await signedIn(ctx.hub.url, 'root', 'root-password');
  for (const name of USERS) {
    await ctx.hub.addUser(name, `${name}-password`);
    ctx.clients.set(name, await signedIn(ctx.hub.url, name, `${name}-password`));
  }
  const port = await freePort();
  ctx.proxyUrl = `http://127.0.0.1:${port}`;
  ctx.proxy = (
    await berthProcess(['proxy'], 'Berth proxy is running', {
      REDIS_URL: ctx.hub.redis.url,
      HUB_SECRET: SECRET,
      PROXY_PORT: String(port),
      PROXY_HUB_URL: ctx.hub.url,
    })
  ).child;
});

t.after(async (ctx) => {
  if (ctx.proxy) {
    ctx.proxy.kill('SIGTERM');
    await exited(ctx.proxy);
  }
  await ctx.hub?.close();
  await ctx.swarm?.stop();
});

function client(ctx: Ctx, name: string): Client {
  const c = ctx.clients.get(name);
  if (!c) throw new Error(`no client for ${name}`);
  return c;
}

async function ready(ctx: Ctx, name: string): Promise<void> {
  await eventually(
    async () => {
      const res = await client(ctx, name).api('GET', `/users/${name}`);
      const user = (await res.json()) as { server: string | null; pending: string | null };
      return user.server !== null && user.pending === null;
    },
    `${name}'s server is ready`,
    300_000,
    1000,
  );
}

async function stopped(ctx: Ctx, name: string): Promise<void> {
  assert.ok([202, 204].includes((await client(ctx, name).api('DELETE', `/users/${name}/server`)).status));
  await eventually(async () => {
    const user = (await (await client(ctx, name).api('GET', `/users/${name}`)).json()) as {
      server: string | null;
      pending: string | null;
    };
    return user.server === null && user.pending === null;
  }, `${name}'s server has stopped (not only stopping)`);
}

/** What the user's home page shows as their server's last error. */
async function lastError(ctx: Ctx, name: string): Promise<string> {
  const home = await (await client(ctx, name).request('/hub/home')).text();
  return /<pre class="error" id="last-error">([^<]*)</.exec(home)?.[1] ?? home.slice(0, 2000);
}

/** The node each user's service task runs on. */
async function placements(ctx: Ctx): Promise<Map<string, string>> {
  const tasks = (await ctx.swarm.manager.docker.listTasks({
    filters: JSON.stringify({ 'desired-state': ['running'] }),
  })) as Array<{ NodeID: string; Spec?: { ContainerSpec?: { Labels?: Record<string, string> } } }>;
  return new Map(tasks.map((task) => [task.Spec?.ContainerSpec?.Labels?.['berth.user'] ?? '', task.NodeID]));
}

// First, on an empty swarm: the refusal must be about the label, not about room.
t(
  'an image that needs a node label nobody has fails at once, saying which; a labelled node then runs it',
  async (ctx) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-swarm-catalogue-'));
    fs.writeFileSync(
      path.join(dir, 'catalogue.yaml'),
      'images:\n  - { id: gpu, image: "berth/python:latest", protocol: berth, node_labels: [gpu=true] }\n',
    );
    const hub = await startHub(
      {
        DOCKER_HOST: ctx.swarm.manager.url,
        HUB_SPAWNER: 'swarm',
        HUB_REGISTRY: ctx.swarm.registry,
        HUB_IMAGES_DIR: dir,
        HUB_DEFAULT_IMAGE: 'gpu',
        HUB_CPU_LIMIT: '0.1',
        HUB_SPAWN_TIMEOUT: '300',
      },
      { background: false },
    );
    const worker = ctx.swarm.nodes[2];
    try {
      await hub.addUser('gia', 'gia-password');
      const gia = await signedIn(hub.url, 'gia', 'gia-password');
      const refused = await gia.api('POST', '/users/gia/server', { image: 'gpu' });
      const body = (await refused.json()) as { message: string };
      assert.is(refused.status, 503, body.message);
      assert.match(body.message, /No node has what this image needs \(gpu=true\)/, body.message);
      const node = ctx.swarm.manager.docker.getNode(worker.id);
      const { Version, Spec } = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      await node.update({ _query: { version: Version.Index }, _body: { ...Spec, Labels: { gpu: 'true' } } });
      const started = await gia.api('POST', '/users/gia/server', { image: 'gpu' });
      assert.is(started.status, 201, await started.text());
      const tasks = (await ctx.swarm.manager.docker.listTasks({
        filters: JSON.stringify({ service: [`${hub.hubName}-gia`], 'desired-state': ['running'] }),
      })) as Array<{ NodeID: string }>;
      assert.is(tasks[0]?.NodeID, worker.id, 'placed on the labelled node');
      assert.is((await gia.api('DELETE', '/users/gia/server')).status < 300, true);
    } finally {
      await hub.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

t('six users start at once; Swarm places their servers on more than one node', async (ctx) => {
  const answers = await Promise.all(USERS.map((name) => client(ctx, name).api('POST', `/users/${name}/server`)));
  for (const res of answers) assert.ok([201, 202].includes(res.status), `start answered ${res.status}`);
  await Promise.all(USERS.map((name) => ready(ctx, name)));
  const placed = await placements(ctx);
  assert.equal([...placed.keys()].filter((u) => USERS.includes(u)).sort(), [...USERS].sort());
  assert.ok(new Set(placed.values()).size >= 2, `spread over ${new Set(placed.values()).size} node(s)`);
  // The admin page (through the API it reads) shows the node of each server.
  const users = (await (await ctx.admin.api('GET', '/users')).json()) as Array<{
    name: string;
    servers: Record<string, { state?: { node?: string } }>;
  }>;
  const hostOf = new Map(ctx.swarm.nodes.map((n) => [n.id, n.name]));
  for (const name of USERS)
    assert.is(users.find((u) => u.name === name)?.servers['']?.state?.node, hostOf.get(placed.get(name) ?? ''), name);
  const services = (await ctx.swarm.manager.docker.listServices()) as Array<{
    Spec: { TaskTemplate: { ContainerSpec: { Image: string; User: string; CapabilityDrop?: string[] } } };
  }>;
  const servers = services.filter((x) => x.Spec.TaskTemplate.ContainerSpec.Image.startsWith(ctx.swarm.registry));
  assert.is(servers.length, USERS.length, 'one service per user');
  for (const s of servers) {
    assert.match(s.Spec.TaskTemplate.ContainerSpec.Image, /@sha256:[0-9a-f]{64}$/, 'named by digest');
    assert.is(s.Spec.TaskTemplate.ContainerSpec.User, '1000:100');
    assert.equal(s.Spec.TaskTemplate.ContainerSpec.CapabilityDrop, ['ALL']);
  }
});

t('each user reaches their own server through two proxies, and nobody else does', async (ctx) => {
  for (const name of USERS) {
    const own = client(ctx, name);
    assert.is((await own.request(`/user/${name}/api/status`)).status, 200, `${name} via the hub`);
    const viaReplica = new Client(ctx.proxyUrl, own.cookies);
    assert.is((await viaReplica.request(`/user/${name}/api/status`)).status, 200, `${name} via berth proxy`);
  }
  const stranger = client(ctx, 'ben');
  assert.ok([403, 404].includes((await stranger.request('/user/ada/api/status')).status));
  assert.ok(
    [403, 404].includes((await new Client(ctx.proxyUrl, stranger.cookies).request('/user/ada/api/status')).status),
  );
});

t('print(6*7) over the kernel WebSocket gives 42, through either proxy', async (ctx) => {
  assert.is((await runCode(client(ctx, 'ada'), 'ada', 'print(6*7)')).stdout, '42\n');
  assert.is((await runCode(new Client(ctx.proxyUrl, client(ctx, 'ben').cookies), 'ben', 'print(6*7)')).stdout, '42\n');
});

t('a fresh hub adopts all six from the services alone', async (ctx) => {
  const redis = ctx.hub.redis.client();
  for (const name of USERS) await redis.del(keys.route(name), keys.server(name));
  await redis.del(keys.routes, keys.servers);
  const runtime = await openRuntime(ctx.hub.config, silentLogger, { embeddedRedis: 'own' });
  try {
    const { serverApiHost } = await runtime.spawner.prepare();
    await runtime.servers.reconcile();
    const fresh = await listen(runtime, [SECRET], { port: 0, bind: '127.0.0.1', serverApiHost });
    try {
      for (const name of USERS) {
        const again = new Client(fresh.url, client(ctx, name).cookies);
        assert.is((await again.request(`/user/${name}/api/status`)).status, 200, `${name} adopted`);
      }
    } finally {
      await fresh.close();
    }
  } finally {
    await runtime.close();
  }
});

t('a home survives a stop and a start, on the node that keeps it', async (ctx) => {
  const ada = client(ctx, 'ada');
  const put = await ada.request('/user/ada/api/contents/kept.txt', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'file', format: 'text', content: 'still here' }),
  });
  assert.ok([200, 201].includes(put.status), `saved (${put.status})`);
  const node = (await placements(ctx)).get('ada');
  await stopped(ctx, 'ada');
  const left = (await ctx.swarm.manager.docker.listServices()) as Array<{ Spec: { Name: string } }>;
  assert.not.ok(
    left.some((s) => s.Spec.Name.endsWith('-ada')),
    'stop removes the service',
  );
  const again = await ada.api('POST', '/users/ada/server');
  assert.ok([201, 202].includes(again.status), `start again: ${again.status} ${await again.text()}`);
  await ready(ctx, 'ada').catch((err: Error) => {
    const said = ctx.logs.filter((l) => l.includes('"ada"') && !l.includes('"msg":"request"'));
    throw new Error(`${err.message}\n${said.slice(-15).join('\n')}`);
  });
  assert.is((await placements(ctx)).get('ada'), node, 'the server went back to its home');
  const file = (await (await ada.request('/user/ada/api/contents/kept.txt')).json()) as { content: string };
  assert.is(file.content, 'still here');
});

t('a batch job runs where the home is: its executed notebook is there for the server to read', async (ctx) => {
  const ada = client(ctx, 'ada');
  const source = notebook({ tags: ['parameters'], source: 'n = 1' }, 'print(6 * n)');
  const put = await ada.request('/user/ada/api/contents/calc.ipynb', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'notebook', format: 'json', content: JSON.parse(source) }),
  });
  assert.ok([200, 201].includes(put.status), `saved (${put.status})`);
  const res = await ada.api('POST', '/users/ada/jobs', { notebook: 'calc.ipynb', parameters: { n: 7 } });
  assert.is(res.status, 201, await res.clone().text());
  const { id, output } = (await res.json()) as { id: string; output: string };
  let job: { state: string; error: string | null } = { state: 'queued', error: null };
  await eventually(
    async () => {
      job = (await (await ada.api('GET', `/users/ada/jobs/${id}`)).json()) as typeof job;
      return !['queued', 'running'].includes(job.state);
    },
    'the job ended',
    180_000,
    1000,
  );
  assert.is(job.state, 'succeeded', job.error ?? '');
  const executed = (await (await ada.request(`/user/ada/api/contents/${output}`)).json()) as {
    content: { cells: Array<{ outputs?: Array<{ text?: string }> }> };
  };
  assert.is(executed.content.cells[2].outputs?.[0]?.text, '42\n');
  const jobs = await ctx.swarm.manager.docker.listServices({ filters: JSON.stringify({ label: ['berth.kind=job'] }) });
  assert.is(jobs.length, 0, 'its service is gone');
});

t(
  'berth user move copies a stopped home to another node, checks it, and the next start finds the files there',
  async (ctx) => {
    const move = async (...args: string[]) => {
      const env = {
        REDIS_URL: ctx.hub.redis.url,
        HUB_SECRET: SECRET,
        HUB_NAME: ctx.hub.hubName,
        DOCKER_HOST: ctx.swarm.manager.url,
        HUB_SPAWNER: 'swarm',
        HUB_REGISTRY: ctx.swarm.registry,
        HUB_IMAGES: 'python',
        HUB_BUILD_IMAGES: 'never',
      };
      const run = await berth(['user', 'move', 'ada', ...args], env);
      return { code: run.code, said: run.stdout + run.stderr };
    };
    const here = (await placements(ctx)).get('ada');
    const home = ctx.swarm.nodes.find((n) => n.id === here);
    const there = ctx.swarm.nodes.find((n) => n.id !== here);
    assert.ok(home && there, 'ada runs on a node of the swarm');
    const running = await move('--node', there?.name ?? '');
    assert.is.not(running.code, 0);
    assert.match(running.said, /ada's server is running: stop it first/);
    const nowhere = await move('--node', 'no-such-node');
    assert.is.not(nowhere.code, 0);
    assert.match(nowhere.said, /No node no-such-node in the swarm/);
    // What a tar of a home could lose: a symlink, an empty folder, an odd name, a private file.
    const made = await runCode(
      client(ctx, 'ada'),
      'ada',
      "import os\nos.makedirs('moved/empty'); os.makedirs('moved/deep/er')\n" +
        "open('moved/deep/er/odd name \u00e9.txt', 'w').write('x' * 100000)\n" +
        "os.symlink('deep/er', 'moved/link')\nopen('moved/secret', 'w').write('s'); os.chmod('moved/secret', 0o600)\n" +
        "print('made')",
    );
    assert.is(made.stdout, 'made\n', JSON.stringify(made));
    await stopped(ctx, 'ada');
    const moved = await move('--node', there?.name ?? '');
    assert.is(moved.code, 0, moved.said);
    assert.match(moved.said, new RegExp(`Moved ada's home from ${home?.name} to ${there?.name} \\([1-9]\\d* files`));
    const left = (await ctx.swarm.manager.docker.listServices()) as Array<{
      Spec: { Labels?: Record<string, string> };
    }>;
    assert.not.ok(
      left.some((s) => s.Spec.Labels?.['berth.kind'] === 'move'),
      'the copy leaves no service behind',
    );
    const configs = (await ctx.swarm.manager.docker.listConfigs()) as Array<{ Spec: { Name: string } }>;
    assert.not.ok(
      configs.some((c) => c.Spec.Name.endsWith('-moving')),
      'the move lock is gone',
    );
    // Back to the first node, which still has the old copy: refused unless told to replace it.
    const back = await move('--node', home?.name ?? '');
    assert.is.not(back.code, 0);
    assert.match(back.said, /has files in .* already .*--replace/);
    const replaced = await move('--node', home?.name ?? '', '--replace');
    assert.is(replaced.code, 0, replaced.said);
    assert.ok([201, 202].includes((await client(ctx, 'ada').api('POST', '/users/ada/server')).status));
    await ready(ctx, 'ada');
    assert.is((await placements(ctx)).get('ada'), home?.id, 'the server follows its home');
    const file = (await (await client(ctx, 'ada').request('/user/ada/api/contents/kept.txt')).json()) as {
      content: string;
    };
    assert.is(file.content, 'still here');
    const kept = await runCode(
      client(ctx, 'ada'),
      'ada',
      "import os\nprint(os.readlink('moved/link'), os.path.isdir('moved/empty'), " +
        "oct(os.stat('moved/secret').st_mode & 0o777), len(open('moved/deep/er/odd name \u00e9.txt').read()))",
    );
    assert.is(kept.stdout, 'deep/er True 0o600 100000\n', JSON.stringify(kept));
  },
);

t('a server no node can hold fails at once, saying why', async (ctx) => {
  const hub = await startHub(
    {
      DOCKER_HOST: ctx.swarm.manager.url,
      HUB_SPAWNER: 'swarm',
      HUB_REGISTRY: ctx.swarm.registry,
      HUB_IMAGES: 'python',
      HUB_IMAGE_LIMITS: 'python:memory=4000g',
      HUB_SPAWN_TIMEOUT: '300',
    },
    { background: false },
  );
  try {
    await hub.addUser('gus', 'gus-password');
    const gus = await signedIn(hub.url, 'gus', 'gus-password');
    const begun = Date.now();
    const res = await gus.api('POST', '/users/gus/server');
    const body = (await res.json()) as { message: string };
    assert.ok(Date.now() - begun < 60_000, 'long before HUB_SPAWN_TIMEOUT');
    assert.is(res.status, 503, body.message);
    assert.match(body.message, /No node has enough free memory and CPU/);
    const left = (await ctx.swarm.manager.docker.listServices()) as Array<{ Spec: { Name: string } }>;
    assert.not.ok(
      left.some((s) => s.Spec.Name === `${hub.hubName}-gus`),
      'nothing is left behind',
    );
  } finally {
    await hub.close();
  }
});

t('a worker that dies takes its servers down, with the reason', async (ctx) => {
  const placed = await placements(ctx);
  const worker = ctx.swarm.nodes.slice(1).find((n) => [...placed.values()].includes(n.id));
  assert.ok(worker, 'some server runs on a worker');
  const victims = USERS.filter((u) => placed.get(u) === worker?.id);
  await ctx.swarm.kill(worker?.name ?? '');
  for (const name of victims)
    await eventually(
      async () => {
        const user = (await (await client(ctx, name).api('GET', `/users/${name}`)).json()) as { server: string | null };
        return user.server === null;
      },
      `${name}'s server is marked stopped`,
      120_000,
      1000,
    );
  const down = new RegExp(`node ${worker?.name} is down`);
  assert.match(await lastError(ctx, victims[0]), down);
  // Their files are on the dead node: a start says so instead of waiting for a place.
  const again = await client(ctx, victims[0]).api('POST', `/users/${victims[0]}/server`);
  assert.is.not(again.status, 400, await again.text());
  await eventually(async () => /cannot start where your files are/.test(await lastError(ctx, victims[0])), 'refused');
  assert.match(await lastError(ctx, victims[0]), down);
});

t('with homes on storage every node reaches, a server starts on another node and finds its files', async (ctx) => {
  fs.mkdirSync(path.join(ctx.swarm.shared, 'hal'), { mode: 0o755 });
  fs.chownSync(path.join(ctx.swarm.shared, 'hal'), 1000, 100);
  const hub = await startHub(
    {
      DOCKER_HOST: ctx.swarm.manager.url,
      HUB_SPAWNER: 'swarm',
      HUB_REGISTRY: ctx.swarm.registry,
      HUB_IMAGES: 'python',
      HUB_IMAGE_LIMITS: 'python:cpu=0.5',
      HUB_SPAWN_TIMEOUT: '300',
      HUB_HOME_VOLUME_OPTIONS: `type=none;o=bind;device=${ctx.swarm.sharedOnNodes}/{user}`,
    },
    { background: false },
  );
  const manager = ctx.swarm.manager.docker;
  const setAvailability = async (id: string, availability: string) => {
    const { Version, Spec } = (await manager.getNode(id).inspect()) as {
      Version: { Index: number };
      Spec: Record<string, unknown>;
    };
    await manager
      .getNode(id)
      .update({ _query: { version: Version.Index }, _body: { ...Spec, Availability: availability } });
  };
  const nodeOfHal = async () => {
    const tasks = (await manager.listTasks({
      filters: JSON.stringify({ service: [`${hub.hubName}-hal`], 'desired-state': ['running'] }),
    })) as Array<{ NodeID: string }>;
    return tasks[0]?.NodeID;
  };
  let drained: string | undefined;
  try {
    await hub.addUser('hal', 'hal-password');
    const hal = await signedIn(hub.url, 'hal', 'hal-password');
    assert.is((await hal.api('POST', '/users/hal/server')).status, 201);
    const put = await hal.request('/user/hal/api/contents/shared.txt', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', format: 'text', content: 'on every node' }),
    });
    assert.ok([200, 201].includes(put.status), `saved (${put.status})`);
    assert.ok(fs.existsSync(path.join(ctx.swarm.shared, 'hal', 'shared.txt')), 'written to the shared folder');
    drained = await nodeOfHal();
    assert.ok(drained, 'hal runs on a node');
    assert.is((await hal.api('DELETE', '/users/hal/server')).status, 204);
    await setAvailability(drained ?? '', 'drain');
    assert.is((await hal.api('POST', '/users/hal/server')).status, 201);
    const now = await nodeOfHal();
    assert.ok(now && now !== drained, `started on another node (${now}, not ${drained})`);
    const file = (await (await hal.request('/user/hal/api/contents/shared.txt')).json()) as { content: string };
    assert.is(file.content, 'on every node');
    assert.is((await hal.api('DELETE', '/users/hal/server')).status, 204);
  } finally {
    if (drained) await setAvailability(drained, 'active');
    await hub.close();
  }
});

t.run();
