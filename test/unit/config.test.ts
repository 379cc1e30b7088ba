import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, envExample, loadConfig, parseBytes, parseEnvFile } from '../../src/config';
import { ROOT } from '../../src/paths';

test('defaults', () => {
  const c = loadConfig({});
  assert.is(c.port, 8000);
  assert.is(c.bind, '127.0.0.1');
  assert.is(c.redisUrl, undefined);
  assert.is(c.secret, undefined);
  assert.is(c.defaultImage, 'python');
  assert.equal(c.images, []);
  assert.is(c.spawnTimeout, 60_000);
  assert.is(c.memLimit, 2 * 1024 ** 3);
  assert.is(c.concurrentSpawnLimit, 4 * os.availableParallelism());
});

test('values are parsed and typed', () => {
  const c = loadConfig({
    HUB_PORT: '9000',
    HUB_IMAGES: 'python, r ,',
    HUB_HTTP_TIMEOUT: '2.5',
    HUB_MEM_LIMIT: '512m',
    HUB_CPU_LIMIT: '0.5',
    REDIS_URL: 'redis://:pw@redis:6379/0',
  });
  assert.is(c.port, 9000);
  assert.equal(c.images, ['python', 'r']);
  assert.is(c.httpTimeout, 2500);
  assert.is(c.memLimit, 512 * 1024 ** 2);
  assert.is(c.cpuLimit, 0.5);
  assert.is(c.redisUrl, 'redis://:pw@redis:6379/0');
  assert.is(loadConfig({ HUB_CONCURRENT_SPAWN_LIMIT: '3' }).concurrentSpawnLimit, 3);
});

test('bad values name the variable', () => {
  const cases: Record<string, string> = {
    HUB_PORT: 'eighty',
    HUB_SPAWN_TIMEOUT: '0',
    HUB_MEM_LIMIT: '1k',
    HUB_CPU_LIMIT: '-1',
    HUB_SERVER_ACCESS: 'magic',
    REDIS_URL: 'localhost:6379',
    HUB_NAME: 'Bad Name',
    DOCKER_HOST: '/var/run/docker.sock',
    HUB_CONCURRENT_SPAWN_LIMIT: '0',
  };
  for (const [name, value] of Object.entries(cases)) {
    assert.throws(
      () => loadConfig({ [name]: value }),
      (err: Error) => err instanceof ConfigError && err.message.startsWith(`${name}:`),
      name,
    );
  }
});

test('a weak HUB_SECRET is refused', () => {
  assert.throws(() => loadConfig({ HUB_SECRET: 'short' }), /HUB_SECRET: is too weak/);
  assert.throws(() => loadConfig({ HUB_SECRET: 'a'.repeat(40) }), /HUB_SECRET: is too weak/);
  assert.equal(loadConfig({ HUB_SECRET: '0123456789abcdef0123456789abcdef' }).secret, [
    '0123456789abcdef0123456789abcdef',
  ]);
});

test('HUB_SECRET may hold several keys, newest first, each of them strong', () => {
  const [newer, older] = ['0123456789abcdef0123456789abcdef', 'fedcba9876543210fedcba9876543210'];
  assert.equal(loadConfig({ HUB_SECRET: `${newer}, ${older}` }).secret, [newer, older]);
  assert.throws(() => loadConfig({ HUB_SECRET: `${newer},short` }), /HUB_SECRET: key 2 is too weak/);
  assert.throws(() => loadConfig({ HUB_SECRET: `${newer},` }), /HUB_SECRET: key 2 is empty/);
});

test('an error about a secret never repeats it', () => {
  const strong = '0123456789abcdef0123456789abcdef';
  for (const [name, value] of [
    ['HUB_SECRET', `${strong},short`],
    ['REDIS_URL', 'http://:hunter2@redis:6379'],
    ['PROXY_REDIS_URL', 'hunter2'],
  ]) {
    try {
      loadConfig({ [name]: value });
      assert.unreachable(name);
    } catch (err) {
      assert.instance(err, ConfigError);
      assert.not.match((err as Error).message, /0123456789abcdef|hunter2/, name);
    }
  }
});

test('sizes', () => {
  assert.is(parseBytes('2g'), 2 * 1024 ** 3);
  assert.is(parseBytes('6m'), 6 * 1024 ** 2);
  assert.throws(() => parseBytes('lots'));
});

test('env files: comments, export, quotes; a bad line is named', () => {
  assert.equal(parseEnvFile('# c\n\nHUB_PORT=9000\nexport HUB_BIND="0.0.0.0"\nHUB_IMAGES=\'python,r\'\n'), {
    HUB_PORT: '9000',
    HUB_BIND: '0.0.0.0',
    HUB_IMAGES: 'python,r',
  });
  assert.throws(() => parseEnvFile('not a setting'), /hub.env: cannot read the line 'not a setting'/);
});

test('hub.env.example lists every setting with its default, and parses', () => {
  const file = fs.readFileSync(path.join(ROOT, 'hub.env.example'), 'utf8');
  assert.fixture(file, envExample());
  const uncommented = file.replace(/^#([A-Z_]+=)/gm, '$1');
  assert.equal(loadConfig(parseEnvFile(uncommented)), loadConfig({}));
});

test('no source file outside config/ reads process.env', () => {
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (
        p.endsWith('.ts') &&
        !p.includes(`${path.sep}src${path.sep}config${path.sep}`) &&
        /process\.env/.test(fs.readFileSync(p, 'utf8'))
      )
        offenders.push(p);
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.equal(offenders, []);
});

test('swarm needs a registry for its nodes, named as host:port', () => {
  assert.throws(() => loadConfig({ HUB_SPAWNER: 'swarm' }), /HUB_SPAWNER=swarm: set HUB_REGISTRY/);
  assert.is(loadConfig({ HUB_SPAWNER: 'swarm', HUB_REGISTRY: 'registry:5000' }).registry, 'registry:5000');
  assert.throws(() => loadConfig({ HUB_REGISTRY: 'http://registry:5000' }), /HUB_REGISTRY: must be host or host:port/);
  assert.throws(() => loadConfig({ HUB_SPAWNER: 'kubernetes' }), /HUB_SPAWNER: must be one of docker, swarm/);
});

test.run();
