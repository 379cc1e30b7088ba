/**
 * The one-command demo: `docker run -p 8000:8000 -v /var/run/docker.sock:... <hub image>`,
 * with its embedded Redis, serves the whole journey.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildImages } from '../../src/catalogue/build';
import { docker, removeHubObjects } from '../helpers/docker';
import { freePort } from '../helpers/redis';
import { mustRun } from '../helpers/run';
import { journey, waitForHealth } from './journey';

const t = suite('demo: docker run <hub image>');
const hubName = `btrun${randomBytes(3).toString('hex')}`;

t.after(async () => {
  await docker.getContainer(hubName).remove({ force: true, v: true }).catch(() => undefined);
  await removeHubObjects(hubName);
});

t('the hub image serves the journey with its embedded Redis', async () => {
  await buildImages(docker, { names: ['hub'], force: true, progress: { step: () => undefined, detail: () => undefined } });
  const port = await freePort();
  await mustRun('docker', [
    'run', '-d', '--name', hubName, '--label', `berth.hub=${hubName}`,
    '-p', `127.0.0.1:${port}:8000`,
    '-v', '/var/run/docker.sock:/var/run/docker.sock',
    '-e', `HUB_NAME=${hubName}`, '-e', `HUB_NETWORK=${hubName}`,
    'berth/hub:latest',
  ]);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url);
  const logs = await mustRun('docker', ['logs', hubName]);
  assert.match(logs, /embedded redis-server is up/);
  await mustRun('docker', ['exec', '-i', hubName, 'berth', 'user', 'add', 'alice'], { input: 'alice-password\n' });
  await journey(url, hubName);
});

t.run();
