/**
 * The spawn queue: at most `limit` at once, the rest in line in arrival order, each told its
 * place as the line moves; leaving the line moves those behind up; a release is safe twice.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BerthError } from '../../src/errors';
import { SpawnQueue } from '../../src/servers/queue';

const tick = () => new Promise((r) => setImmediate(r));

test('grants up to the limit at once, then lines up the rest in order', async () => {
  const queue = new SpawnQueue(2);
  const granted: string[] = [];
  const releases = new Map<string, () => void>();
  for (const name of ['a', 'b', 'c', 'd']) {
    void queue.acquire().then((release) => {
      granted.push(name);
      releases.set(name, release);
    });
  }
  await tick();
  assert.equal(granted, ['a', 'b']);
  assert.is(queue.waiting, 2);
  assert.is(queue.active, 2);
  releases.get('b')!();
  await tick();
  assert.equal(granted, ['a', 'b', 'c']);
  releases.get('a')!();
  await tick();
  assert.equal(granted, ['a', 'b', 'c', 'd']);
  assert.is(queue.waiting, 0);
});

test('each waiter hears its place in line, and again as the line moves', async () => {
  const queue = new SpawnQueue(1);
  const release = await queue.acquire();
  const heard: Record<string, number[]> = { b: [], c: [], d: [] };
  for (const name of ['b', 'c', 'd']) void queue.acquire((ahead) => heard[name].push(ahead));
  assert.equal(heard, { b: [0], c: [1], d: [2] });
  release();
  await tick();
  assert.equal(heard, { b: [0], c: [1, 0], d: [2, 1] });
});

test('leaving the line moves only those behind up', async () => {
  const queue = new SpawnQueue(1);
  await queue.acquire();
  const heard: Record<string, number[]> = { b: [], c: [], d: [] };
  const listeners = Object.fromEntries(['b', 'c', 'd'].map((n) => [n, (ahead: number) => heard[n].push(ahead)]));
  for (const name of ['b', 'c', 'd']) void queue.acquire(listeners[name]);
  queue.abandon(listeners.c);
  assert.equal(heard, { b: [0], c: [1], d: [2, 1] });
  assert.is(queue.waiting, 2);
  queue.abandon(listeners.c);
  assert.is(queue.waiting, 2, 'leaving twice changes nothing');
});

test('releasing twice frees one slot, not two', async () => {
  const queue = new SpawnQueue(1);
  const release = await queue.acquire();
  let second = false;
  let third = false;
  void queue.acquire().then(() => (second = true));
  void queue.acquire().then(() => (third = true));
  release();
  release();
  await tick();
  assert.ok(second);
  assert.not.ok(third);
  assert.is(queue.active, 1);
});

test('a wait cancelled by its signal leaves the line with a 409, and the one behind moves up', async () => {
  const queue = new SpawnQueue(1);
  await queue.acquire();
  const abort = new AbortController();
  const heard: number[] = [];
  const cancelled = queue.acquire(() => undefined, abort.signal);
  void queue.acquire((ahead) => heard.push(ahead));
  abort.abort();
  await cancelled.then(
    () => assert.unreachable('the cancelled wait got a slot'),
    (err: BerthError) => assert.is(err.status, 409),
  );
  assert.equal(heard, [1, 0]);
  assert.is(queue.waiting, 1);
});

test.run();
