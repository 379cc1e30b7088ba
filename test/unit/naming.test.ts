import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { naming, slug } from '../../src/spawner/naming';

const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

test('slug keeps lowercase letters and digits', () => {
  assert.is(slug('alice'), 'alice');
  assert.is(slug('bob2'), 'bob2');
});

test('slug escapes everything else, the escape character included', () => {
  assert.is(slug('j.smith'), 'j-2esmith');
  assert.is(slug('a-b'), 'a-2db');
  assert.is(slug('a_b'), 'a-5fb');
});

test('slug is injective: names that differ never share a slug', () => {
  const names = [
    'a-2db',
    'a-b',
    'a.b',
    'a_b',
    'ab',
    'a--b',
    'a-',
    'a-2d',
    'A',
    'a',
    'é',
    'e\u0301',
    'x y',
    'x/y',
    '../x',
    '..',
    '.',
    '',
  ];
  for (let i = 0; i < 2000; i++)
    names.push(Array.from({ length: 1 + (i % 7) }, () => 'ab-._2/é'[Math.floor(Math.random() * 8)]).join(''));
  const seen = new Map<string, string>();
  for (const name of new Set(names)) {
    const s = slug(name);
    const other = seen.get(s);
    assert.ok(other === undefined || other === name, `${JSON.stringify(name)} and ${JSON.stringify(other)} share ${s}`);
    seen.set(s, name);
  }
});

test('container and volume names are safe for Docker and carry the hub name', () => {
  const n = naming('berth', '1.0.0');
  for (const user of ['alice', 'j.smith', 'x_y-z']) {
    assert.ok(DOCKER_NAME.test(n.container(user)), n.container(user));
    assert.ok(DOCKER_NAME.test(n.volume(user)), n.volume(user));
  }
  assert.is(n.container('alice'), 'berth-alice');
  assert.is(n.volume('alice'), 'berth-home-alice');
});

test("a group database's name is no user's container name", () => {
  const n = naming('berth', '1.0.0');
  const database = n.database('course');
  assert.is(database, 'berth--postgres-course');
  assert.ok(DOCKER_NAME.test(database));
  // '--' is never in a slug ('-' itself becomes -2d), so no username makes a container of that name.
  for (const user of ['-postgres-course', '--postgres-course', 'a--b', '-', '--']) {
    assert.not.ok(slug(user).includes('--'), user);
    assert.is.not(n.container(user), database);
  }
});

test('labels say which hub and which user', () => {
  const labels = naming('berth', '1.0.0').labels('server', 'alice');
  assert.equal(labels, {
    'berth.hub': 'berth',
    'berth.kind': 'server',
    'berth.version': '1.0.0',
    'berth.user': 'alice',
    'berth.server': '',
  });
});

test.run();
