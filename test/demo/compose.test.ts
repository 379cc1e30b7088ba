/**
 * The compose demo: `docker compose up --build` (compose.yaml: redis + hub + the notebook image)
 * serves the whole journey. Uses `docker compose` where installed, else Debian's docker-compose.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImages } from '../../src/catalogue/build';
import { ROOT } from '../../src/paths';
import { docker, removeHubObjects } from '../helpers/docker';
import { freePort } from '../helpers/redis';
import { mustRun, run } from '../helpers/run';
import { runCode } from '../helpers/kernel';
import { journey, waitForHealth } from './journey';

const t = suite('demo: docker compose up --build');
const project = `btcompose${randomBytes(3).toString('hex')}`;
let port = 0;

async function composeCommand(): Promise<[string, string[]]> {
  return (await run('docker', ['compose', 'version'])).code === 0 ? ['docker', ['compose']] : ['docker-compose', []];
}

async function compose(args: string[], input?: string): Promise<string> {
  const [cmd, prefix] = await composeCommand();
  return mustRun(cmd, [...prefix, '-p', project, '-f', path.join(ROOT, 'compose.yaml'), ...args], {
    cwd: ROOT,
    input,
    env: { BERTH_PORT: `127.0.0.1:${port}`, HUB_NAME: project, HUB_NETWORK: project, REDIS_PASSWORD: randomBytes(16).toString('hex') },
  });
}

t.after(async () => {
  await removeHubObjects(project);
  await compose(['down', '-v', '--remove-orphans']).catch((err) => console.error(err));
  // compose built berth/python without Berth's source label; rebuild it from the layer cache
  await buildImages(docker, { names: ['python'], force: false, progress: { step: () => undefined, detail: () => undefined } });
});

t('redis + hub + notebook image serve the journey', async () => {
  port = await freePort();
  await compose(['up', '-d', '--build']);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url);
  const hubLogs = await compose(['logs', 'hub']);
  assert.not.match(hubLogs, /embedded redis-server/, 'the hub uses the redis service');
  await compose(['exec', '-T', 'hub', 'berth', 'user', 'add', 'alice'], 'alice-password\n');
  await journey(url, project, async (alice) => {
    // Redis is on a network user containers are not on: its name does not even resolve.
    const probe = ['import socket', 'try:', '    socket.create_connection(("redis", 6379), timeout=3)', '    print("reached")', 'except Exception as e:', '    print(type(e).__name__)'].join('\n');
    const out = await runCode(alice, 'alice', probe);
    assert.is.not(out.stdout.trim(), 'reached');
  });
});

t.run();
