/**
 * Planning a reconcile: from what the engine runs, what Redis records and what is routed, the
 * fixes that make them agree, and nothing for a user whose start or stop is under way.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planReconcile } from '../../src/servers/reconcile';
import type { ServerContainer } from '../../src/spawner/spawner';
import type { ServerRecord } from '../../src/store/servers';

const started = '2026-11-30T10:00:00.000Z';
const running = (user: string, container = `c-${user}`): ServerContainer => ({
  user,
  container,
  image: 'python',
  created: started,
  status: { running: true },
});
const exited = (user: string, reason: string): ServerContainer => ({
  user,
  container: `c-${user}`,
  image: 'python',
  created: started,
  status: { running: false, reason },
});
const record = (user: string, state: ServerRecord['state'], container?: string): ServerRecord => ({
  user,
  state,
  image: 'python',
  started,
  container,
});
const route = (user: string) => ({ user, target: 'http://127.0.0.1:1', token: 't' });
const idle = () => false;

test('when all agree there is nothing to fix', () => {
  const plan = planReconcile({
    containers: [running('alice')],
    records: [record('alice', 'running', 'c-alice')],
    routes: [route('alice')],
    busy: idle,
  });
  assert.equal(plan, []);
});

test('a recorded server whose container exited or went has ended, with the reason', () => {
  const plan = planReconcile({
    containers: [exited('alice', 'it ran out of memory (HUB_MEM_LIMIT)')],
    records: [record('alice', 'running', 'c-alice'), record('bob', 'running', 'c-bob'), record('carol', 'starting')],
    routes: [route('alice'), route('bob')],
    busy: idle,
  });
  assert.equal(plan, [
    { kind: 'ended', user: 'alice', reason: 'it ran out of memory (HUB_MEM_LIMIT)' },
    { kind: 'ended', user: 'bob', reason: 'its container is gone' },
    { kind: 'ended', user: 'carol', reason: 'its start was interrupted when the hub restarted; start it again' },
  ]);
});

test('a running container unrouted, half-started, other than recorded, or unknown is adopted or checked', () => {
  const plan = planReconcile({
    containers: [running('alice'), running('bob'), running('carol', 'c-new'), running('dave')],
    records: [record('alice', 'running', 'c-alice'), record('bob', 'starting'), record('carol', 'running', 'c-old')],
    routes: [route('bob'), route('carol')],
    busy: idle,
  });
  assert.equal(
    plan.map((f) => `${f.kind} ${f.user}`),
    ['adopt alice', 'adopt bob', 'adopt carol', 'stray dave'],
  );
});

test('an interrupted stop is finished, a route to nothing removed, and busy users are left alone', () => {
  const plan = planReconcile({
    containers: [running('alice'), exited('erin', 'x')],
    records: [record('alice', 'stopping', 'c-alice'), record('bob', 'running', 'c-bob')],
    routes: [route('frank'), route('bob')],
    busy: (user) => user === 'bob',
  });
  assert.equal(plan, [
    { kind: 'finish-stop', user: 'alice' },
    { kind: 'unroute', user: 'frank' },
  ]);
});

test.run();
