/**
 * The three ways of running Berth on one machine, with their defaults: `npm start` (berth serve
 * on the host), the one-command `docker run` of the hub image, and `docker compose up`. They
 * run one after another, in that order and then in reverse, each on what the others left behind
 * (networks, volumes, images), and each serves the whole journey. None weakens another's
 * isolation: the host hub's servers share a network that blocks traffic between containers;
 * each hub has its own name, so its own containers, volumes and network.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImages } from '../../src/catalogue/build';
import { ROOT } from '../../src/paths';
import { berth, exited, serveProcess } from '../helpers/cli';
import { docker, removeHubObjects } from '../helpers/docker';
import { runCode } from '../helpers/kernel';
import { freePort } from '../helpers/redis';
import { mustRun } from '../helpers/run';
import { journey, stockJourney, waitForHealth } from './journey';

/** Each way's hub name, as its defaults give it (none is set by this test). */
const NAMES = { host: 'berth', docker: 'berth-docker', compose: 'berth-compose' } as const;
type Way = keyof typeof NAMES;

const ICC = 'com.docker.network.bridge.enable_icc';
const project = `btways${randomBytes(3).toString('hex')}`;
const runName = `${project}-hub`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-ways-'));
const quiet = { step: () => undefined, detail: () => undefined };
/** compose's Redis: without a password, as the README runs it, in the first round; with one in the second. */
let redisPassword = '';

const t = suite('the three ways of running Berth, on one machine');

function compose(args: string[], port = 0, input?: string): Promise<string> {
  return mustRun('docker', ['compose', '-p', project, '-f', path.join(ROOT, 'compose.yaml'), ...args], {
    cwd: ROOT,
    input,
    env: { BERTH_PORT: `127.0.0.1:${port}`, REDIS_PASSWORD: redisPassword },
    timeoutMs: 600_000,
  });
}

async function networkOptions(name: string): Promise<Record<string, string>> {
  return (await docker.getNetwork(name).inspect()).Options ?? {};
}

/** Starts one way with its defaults, runs the journey through it, checks its isolation, stops it. */
async function tryWay(way: Way): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hubName = NAMES[way];
  if (way === 'host') {
    const env = { HUB_PORT: String(port), HUB_DATA_DIR: dataDir };
    const { child } = await serveProcess(env);
    try {
      await waitForHealth(url);
      await berth(['user', 'add', 'alice'], env, 'alice-password\n').then((r) =>
        assert.ok(r.code === 0 || /exists/.test(r.stderr), r.stderr),
      );
      await journey(url, hubName, 'port');
      assert.is((await networkOptions('berth'))[ICC], 'false', "the host hub's servers cannot reach each other");
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  } else if (way === 'docker') {
    await mustRun('docker', [
      'run',
      '-d',
      '--name',
      runName,
      '-p',
      `127.0.0.1:${port}:8000`,
      '-v',
      '/var/run/docker.sock:/var/run/docker.sock',
      'berth/hub:latest',
    ]);
    try {
      await waitForHealth(url);
      assert.match(await mustRun('docker', ['logs', runName]), /embedded redis-server is up/);
      await mustRun('docker', ['exec', '-i', runName, 'berth', 'user', 'add', 'alice'], { input: 'alice-password\n' });
      await journey(url, hubName, 'network');
      await stockJourney(url);
      assert.is.not((await networkOptions('berth-docker'))[ICC], 'false');
    } finally {
      await docker
        .getContainer(runName)
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
  } else {
    await compose(['up', '-d', '--build'], port);
    try {
      await waitForHealth(url);
      assert.not.match(await compose(['logs', 'hub']), /embedded redis-server/, 'the hub uses the redis service');
      await compose(['exec', '-T', 'hub', 'berth', 'user', 'add', 'alice'], port, 'alice-password\n').catch(
        (err: Error) => {
          if (!/already exists/.test(err.message)) throw err;
        },
      );
      await journey(url, hubName, 'network', async (alice) => {
        // Redis is on a network user containers are not on: its name does not even resolve.
        const probe = [
          'import socket',
          'try:',
          '    socket.create_connection(("redis", 6379), timeout=3)',
          '    print("reached")',
          'except Exception as e:',
          '    print(type(e).__name__)',
        ].join('\n');
        assert.is.not((await runCode(alice, 'alice', probe)).stdout.trim(), 'reached');
      });
    } finally {
      await compose(['down', '--remove-orphans']);
    }
  }
}

t.before(async () => {
  // The defaults are the point of this test, so it needs a machine where no other Berth uses them.
  for (const name of Object.values(NAMES)) {
    const used = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`berth.hub=${name}`] }) });
    assert.equal(
      used.map((c) => c.Names[0]),
      [],
      `this test needs no other Berth named ${name} on this engine`,
    );
  }
  await buildImages(docker, { names: ['hub'], force: true, progress: quiet });
});

t.after(async () => {
  await docker
    .getContainer(runName)
    .remove({ force: true, v: true })
    .catch(() => undefined);
  await compose(['down', '-v', '--remove-orphans']).catch((err) => console.error(err));
  for (const name of Object.values(NAMES)) await removeHubObjects(name);
  fs.rmSync(dataDir, { recursive: true, force: true });
  // compose built berth/python without Berth's source label; rebuild it from the layer cache
  await buildImages(docker, { names: ['python'], force: false, progress: quiet });
});

t(
  'the hub image runs the Node.js baseline and holds production dependencies only, none built on the host',
  async () => {
    const script = 'node --version; ls node_modules; find / -xdev -name "*.node" 2>/dev/null';
    const out = await mustRun('docker', ['run', '--rm', '--entrypoint', 'sh', 'berth/hub:latest', '-c', script]);
    const [version, ...rest] = out.trim().split('\n');
    const engines = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node as string;
    assert.is(version.split('.')[0], `v${/\d+/.exec(engines)?.[0]}`, `package.json asks for Node ${engines}`);
    for (const dev of [
      'typescript',
      '@typescript',
      '@biomejs',
      'playwright-core',
      'uvu',
      'configurable-http-proxy',
      'ws',
    ]) {
      assert.not.ok(rest.includes(dev), `${dev} is a dev tool`);
    }
    for (const needed of ['koa', 'dockerode', 'ioredis', 'prom-client']) assert.ok(rest.includes(needed), needed);
    assert.not.ok(
      rest.some((line) => line.endsWith('.node')),
      'no native build output',
    );
  },
);

t('npm start, then docker run, then docker compose: each serves the journey', async () => {
  for (const way of ['host', 'docker', 'compose'] as const) await tryWay(way);
});

t('and in reverse, on what the first round left: docker compose, docker run, npm start', async () => {
  redisPassword = 'ways-redis-password';
  for (const way of ['compose', 'docker', 'host'] as const) await tryWay(way);
  assert.is((await networkOptions('berth'))[ICC], 'false', 'still isolated after the others ran');
});

t.run();
