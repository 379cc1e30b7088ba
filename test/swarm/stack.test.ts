/**
 * Berth deployed on a three-node swarm from stack.yaml with one `docker stack deploy`, as the
 * README says: a registry, Redis and the hub on the node labelled berth.data=true (the manager),
 * two `berth proxy` replicas. Berth's own images come from the test's registry (BERTH_REGISTRY);
 * ports are published in host mode (BERTH_PUBLISH_MODE=host), as this machine's kernel has no
 * IPVS for Swarm's routing mesh. A user added in the hub's container signs in through one proxy,
 * starts a server (a service the hub on the swarm creates), and runs print(6*7) through each
 * proxy, on two different nodes.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImages } from '../../src/catalogue/build';
import { ROOT } from '../../src/paths';
import { Client, signedIn } from '../helpers/client';
import { docker } from '../helpers/docker';
import { runCode } from '../helpers/kernel';
import { mustRun } from '../helpers/run';
import { startSwarm, type TestSwarm } from '../helpers/swarm';
import { eventually } from '../helpers/wait';

const STACK = 'berth';
const HUB_NAME = 'berth-swarm';
const REGISTRY_IMAGE = 'berth-test/stack-registry:latest';

interface Ctx {
  swarm: TestSwarm;
  /** http://<node>:8000 of each node that runs a proxy replica. */
  proxies: string[];
}

const t = suite<Ctx>('Berth deployed from stack.yaml on a three-node swarm');

/** A registry image from Debian's docker-registry on this machine (nothing can be pulled here). */
async function buildRegistryImage(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-stack-registry-'));
  try {
    fs.copyFileSync('/usr/bin/docker-registry', path.join(dir, 'docker-registry'));
    fs.copyFileSync(path.join(ROOT, 'test', 'swarm-node', 'registry.yml'), path.join(dir, 'config.yml'));
    fs.writeFileSync(
      path.join(dir, 'Dockerfile'),
      'FROM debian:bookworm\nCOPY docker-registry /usr/bin/\nCOPY config.yml /etc/docker/registry/config.yml\n' +
        'CMD ["docker-registry", "serve", "/etc/docker/registry/config.yml"]\n',
    );
    await mustRun('docker', ['build', '-q', '-t', REGISTRY_IMAGE, dir], { timeoutMs: 300_000 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

t.before(async (ctx) => {
  ctx.swarm = await startSwarm(`bst${randomBytes(3).toString('hex')}`);
  const quiet = { step: () => undefined, detail: () => undefined };
  await buildImages(docker, { names: ['hub', 'redis'], force: false, progress: quiet });
  await buildRegistryImage();
  const registryImage = await ctx.swarm.publish(REGISTRY_IMAGE);
  await ctx.swarm.publish('berth/hub:latest');
  await ctx.swarm.publish('berth/redis:latest');
  // The catalogue image on the manager, where the hub (HUB_BUILD_IMAGES=never) finds and pushes it.
  await ctx.swarm.load('berth/python:latest');
  const { manager } = ctx.swarm;
  await mustRun('docker', ['-H', manager.url, 'node', 'update', '--label-add', 'berth.data=true', manager.name]);
  await mustRun(
    'docker',
    ['-H', manager.url, 'stack', 'deploy', '--resolve-image', 'never', '-c', path.join(ROOT, 'stack.yaml'), STACK],
    {
      env: {
        REDIS_PASSWORD: randomBytes(12).toString('hex'),
        HUB_SECRET: randomBytes(32).toString('hex'),
        HUB_PUBLIC_URL: `http://${manager.ip}:8000`,
        BERTH_REGISTRY: ctx.swarm.registry,
        BERTH_REGISTRY_IMAGE: registryImage,
        BERTH_PUBLISH_MODE: 'host',
      },
    },
  );
  // Each proxy replica answers on its node once the hub behind it does.
  const byId = new Map(ctx.swarm.nodes.map((n) => [n.id, n.ip]));
  await eventually(
    async () => {
      const tasks = (await manager.docker.listTasks({
        filters: JSON.stringify({ service: [`${STACK}_proxy`], 'desired-state': ['running'] }),
      })) as Array<{ NodeID: string; Status: { State: string } }>;
      const running = tasks.filter((task) => task.Status.State === 'running');
      ctx.proxies = running.map((task) => `http://${byId.get(task.NodeID)}:8000`);
      if (ctx.proxies.length < 2) return false;
      const answers = await Promise.all(
        ctx.proxies.map((url) =>
          fetch(`${url}/hub/health`).then(
            (r) => r.status === 200,
            () => false,
          ),
        ),
      );
      return answers.every(Boolean);
    },
    'the hub answers through both proxy replicas',
    300_000,
    2000,
  );
});

t.after(async (ctx) => {
  await ctx.swarm?.stop();
  await docker
    .getImage(REGISTRY_IMAGE)
    .remove()
    .catch(() => undefined);
});

t('Redis and the hub run on the data node, the proxies on two different nodes', async (ctx) => {
  const { manager } = ctx.swarm;
  for (const service of ['redis', 'hub', 'registry']) {
    const tasks = (await manager.docker.listTasks({
      filters: JSON.stringify({ service: [`${STACK}_${service}`], 'desired-state': ['running'] }),
    })) as Array<{ NodeID: string }>;
    assert.equal(
      tasks.map((task) => task.NodeID),
      [manager.id],
      `${service} runs on the node labelled berth.data=true`,
    );
  }
  assert.is(new Set(ctx.proxies).size, 2);
});

t('a user added in the hub container starts a server and runs code through both proxies', async (ctx) => {
  const { manager } = ctx.swarm;
  const [hubContainer] = await manager.docker.listContainers({
    filters: JSON.stringify({ label: [`com.docker.swarm.service.name=${STACK}_hub`] }),
  });
  assert.ok(hubContainer, 'the hub runs on the manager');
  await mustRun('docker', ['-H', manager.url, 'exec', '-i', hubContainer.Id, 'berth', 'user', 'add', 'alice'], {
    input: 'alice-password\n',
  });
  const [first, second] = ctx.proxies;
  const alice = await signedIn(first, 'alice', 'alice-password');
  const started = await alice.api('POST', '/users/alice/server');
  assert.ok([201, 202].includes(started.status), `start: ${started.status} ${await started.text()}`);
  await eventually(
    async () => {
      const user = (await (await alice.api('GET', '/users/alice')).json()) as { server: string | null };
      return user.server !== null;
    },
    "alice's server is ready",
    300_000,
    1000,
  );
  const services = (await manager.docker.listServices({
    filters: JSON.stringify({ label: [`berth.hub=${HUB_NAME}`, 'berth.user=alice'] }),
  })) as Array<{ Spec: { Name: string } }>;
  assert.equal(
    services.map((s) => s.Spec.Name),
    [`${HUB_NAME}-alice`],
    'the server is a service of the hub on the swarm',
  );
  assert.is((await runCode(alice, 'alice', 'print(6*7)')).stdout, '42\n');
  assert.is((await runCode(new Client(second, alice.cookies), 'alice', 'print(6*7)')).stdout, '42\n');
  const stranger = new Client(second);
  assert.ok([302, 401, 403].includes((await stranger.request('/user/alice/api/status')).status));
});

t.run();
