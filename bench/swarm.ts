/**
 * The swarm spawn benchmark (`--only=swarm`; not in --quick): a Docker Swarm of three
 * Docker-in-Docker nodes (the tests' harness), Berth with HUB_SPAWNER=swarm starting 1 and then
 * 10 servers at once until each answers through the proxy, beside the floor: the same services
 * (image by digest, limits, reservations, published port) made straight through the manager's
 * API with `createService` and polled at their node directly. A first round warms every node's
 * copy of the image and is not counted; Berth and the floor take turns.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CatalogueImage } from '../src/catalogue/catalogue';
import { ON_THE_NODE } from '../src/spawner/home-volume';
import { naming } from '../src/spawner/naming';
import { serverService } from '../src/spawner/swarm-service';
import { newestTask, nodeAddress } from '../src/spawner/swarm-tasks';
import { signedIn } from '../test/helpers/client';
import { startHub } from '../test/helpers/hub';
import { startSwarm, type TestSwarm } from '../test/helpers/swarm';
import { median } from './lib/class';
import { request } from './lib/http';
import type { Row } from './lib/report';

const COUNTS = [1, 10];
const ROUNDS = 2;

/** `count` services made straight through the manager's API, until each answers at its node. */
async function floorRound(swarm: TestSwarm, reference: string, count: number, round: number): Promise<number> {
  const names = naming(`floor${round}${count}`, 'bench');
  const docker = swarm.manager.docker;
  const image: CatalogueImage = {
    id: 'python',
    title: 'Python',
    description: '',
    kernels: [],
    packages: [],
    limits: { memory: 512 * 1024 ** 2, cpu: 0.2, pids: 512 },
    protocol: 'berth',
    nodeLabels: [],
    network: 'internet',
    built: true,
    imageId: '',
    size: 0,
    created: '',
  };
  const users = Array.from({ length: count }, (_, i) => `u${i}`);
  const begun = performance.now();
  await Promise.all(
    users.map(async (user) => {
      const token = randomBytes(16).toString('hex');
      const env = [`BERTH_SERVER_TOKEN=${token}`, `BERTH_BASE_URL=/user/${user}/`, `BERTH_USER=${user}`];
      const spec = serverService(names, {
        user,
        image,
        reference,
        env,
        network: `${names.container(user)}-net`,
        constraints: [],
        home: ON_THE_NODE,
      });
      await docker.createNetwork({ Name: `${names.container(user)}-net`, Driver: 'overlay', Attachable: true });
      await docker.createService(spec);
      for (;;) {
        const task = await newestTask(docker, names.container(user));
        const port = task?.Status?.PortStatus?.Ports?.[0]?.PublishedPort;
        if (task?.Status?.State === 'running' && port && task.NodeID) {
          const url = `http://${(await nodeAddress(docker, task.NodeID)).address}:${port}/user/${user}/api/status`;
          if ((await request(url, { headers: { authorization: `token ${token}` } }, 2000)).status === 200) return;
        }
        await sleep(100);
      }
    }),
  );
  const took = (performance.now() - begun) / 1000;
  for (const user of users) {
    await docker.getService(names.container(user)).remove();
    await sleep(200);
    await docker
      .getNetwork(`${names.container(user)}-net`)
      .remove()
      .catch(() => undefined);
  }
  return took;
}

export async function swarmBench(): Promise<Row[]> {
  const swarm = await startSwarm(`bbench${randomBytes(2).toString('hex')}`);
  try {
    await swarm.load('berth/python:latest');
    const hub = await startHub(
      {
        DOCKER_HOST: swarm.manager.url,
        HUB_SPAWNER: 'swarm',
        HUB_REGISTRY: swarm.registry,
        HUB_IMAGES: 'python',
        HUB_IMAGE_LIMITS: 'python:cpu=0.2',
        HUB_SPAWN_TIMEOUT: '300',
        HUB_SLOW_SPAWN_TIMEOUT: '300',
      },
      { background: false },
    );
    try {
      const users = Array.from({ length: Math.max(...COUNTS) }, (_, i) => `b${i}`);
      for (const u of users) await hub.addUser(u, `${u}-password`);
      const clients = await Promise.all(users.map((u) => signedIn(hub.url, u, `${u}-password`)));
      const berthRound = async (count: number) => {
        const begun = performance.now();
        await Promise.all(
          clients.slice(0, count).map(async (c, i) => {
            const res = await c.api('POST', `/users/${users[i]}/server`);
            if (res.status !== 201) throw new Error(`start answered ${res.status}: ${await res.text()}`);
          }),
        );
        const took = (performance.now() - begun) / 1000;
        await Promise.all(clients.slice(0, count).map((c, i) => c.api('DELETE', `/users/${users[i]}/server`)));
        await sleep(2000);
        return took;
      };
      // Warm-up: every node pulls the image once (Berth pushes it on its first start).
      await berthRound(6);
      const reference = ((await swarm.manager.docker.getImage('berth/python:latest').inspect()).RepoDigests ?? []).find(
        (d) => d.startsWith(`${swarm.registry}/`),
      );
      if (!reference) throw new Error(`the image was not pushed to ${swarm.registry}`);
      const rows: Row[] = [];
      for (const count of COUNTS) {
        const berth: number[] = [];
        const floor: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          floor.push(await floorRound(swarm, reference, count, round));
          berth.push(await berthRound(count));
        }
        rows.push({
          section: 'swarm',
          case: `${count} at once on three nodes, until all answer`,
          unit: 's',
          berth: median(berth),
          other: { name: 'floor', value: median(floor) },
          detail: { rounds: ROUNDS },
          target: '<= 1.25x floor',
          met: median(berth) <= 1.25 * median(floor),
        });
      }
      return rows;
    } finally {
      await hub.close();
    }
  } finally {
    await swarm.stop();
  }
}
