/**
 * stack.yaml as Docker's own loader reads it (`docker stack config`, no daemon needed): the shape
 * the README promises for `docker stack deploy -c stack.yaml berth`, and a refusal to deploy
 * without the secrets.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { ROOT } from '../../src/paths';

const run = promisify(execFile);
const SECRETS = {
  REDIS_PASSWORD: 'redis-password',
  HUB_SECRET: 'hub-secret',
  HUB_PUBLIC_URL: 'https://hub.example.org',
};

interface Service {
  image: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: Array<{ type: string; source: string; target: string }>;
  ports?: Array<{ target: number; published: number }>;
  deploy?: { replicas?: number; endpoint_mode?: string; placement?: { constraints?: string[] } };
}

async function rendered(env: Record<string, string>): Promise<Record<string, Service>> {
  const { stdout } = await run('docker', ['stack', 'config', '-c', path.join(ROOT, 'stack.yaml')], {
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return (parse(stdout) as { services: Record<string, Service> }).services;
}

const t = suite('stack.yaml');

t('Redis, the hub, the proxies and a registry, as the README says', async () => {
  const s = await rendered({ ...SECRETS, BERTH_PROXIES: '3' });
  assert.equal(Object.keys(s).sort(), ['hub', 'proxy', 'redis', 'registry']);
  // Redis: its data on a volume of the one node labelled for it.
  assert.ok(s.redis.volumes?.some((v) => v.type === 'volume' && v.target === '/data'));
  assert.equal(s.redis.deploy?.placement?.constraints, ['node.labels.berth.data == true']);
  assert.is(s.redis.environment?.REDIS_PASSWORD, 'redis-password');
  // The hub: one replica, on a manager, with the socket, spawning services.
  assert.is(s.hub.deploy?.replicas, 1);
  assert.ok(s.hub.deploy?.placement?.constraints?.includes('node.role == manager'));
  assert.ok(s.hub.volumes?.some((v) => v.type === 'bind' && v.source === '/var/run/docker.sock'));
  assert.is(s.hub.environment?.HUB_SPAWNER, 'swarm');
  assert.is(s.hub.environment?.HUB_REGISTRY, '127.0.0.1:5000');
  assert.is(s.hub.environment?.REDIS_URL, 'redis://:redis-password@redis:6379/0');
  // The proxies: as many as asked, the same image, the one Redis, in front of the hub.
  assert.is(s.proxy.deploy?.replicas, 3);
  assert.equal(s.proxy.command, ['berth', 'proxy']);
  assert.is(s.proxy.image, s.hub.image);
  assert.is(s.proxy.environment?.PROXY_REDIS_URL, s.hub.environment?.REDIS_URL);
  assert.is(s.proxy.environment?.HUB_SECRET, 'hub-secret');
  assert.is(s.proxy.environment?.PROXY_HUB_URL, 'http://hub:8000');
  assert.equal(
    s.proxy.ports?.map((p) => [p.published, p.target]),
    [[8000, 8000]],
  );
  assert.ok(s.registry.ports?.some((p) => p.published === 5000));
});

t('images come from BERTH_REGISTRY', async () => {
  const s = await rendered({ ...SECRETS, BERTH_REGISTRY: 'registry.internal:5000' });
  assert.is(s.hub.image, 'registry.internal:5000/berth/hub:latest');
  assert.is(s.redis.image, 'registry.internal:5000/berth/redis:latest');
  assert.is(s.hub.environment?.HUB_REGISTRY, 'registry.internal:5000');
});

t('refuses to deploy without a Redis password, a secret and the public URL', async () => {
  for (const missing of Object.keys(SECRETS)) {
    const env: Record<string, string> = { ...SECRETS };
    delete env[missing];
    const err = await rendered(env).then(
      () => undefined,
      (e: { stderr?: string }) => e.stderr ?? String(e),
    );
    assert.ok(err, `deploys without ${missing}`);
    assert.match(err ?? '', new RegExp(`set ${missing}`));
  }
});

t.run();
