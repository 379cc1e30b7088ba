/**
 * Start progress: one table turns stages into a bar that only goes forward; a late listener
 * hears every event so far; a start ends with ready or failed, after which nothing is added.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ProgressEvent, ProgressTracker, percentOf } from '../../src/servers/progress';
import { START_STAGES, type StartStage } from '../../src/spawner/spawner';

test('the stages rise in order from requested to ready, and a stage fills up to the next', () => {
  const stages = Object.keys(START_STAGES) as StartStage[];
  const starts = stages.map((s) => percentOf(s));
  assert.equal(
    starts,
    [...starts].sort((a, b) => a - b),
  );
  assert.is(percentOf('requested'), 1);
  assert.is(percentOf('ready'), 100);
  assert.is(percentOf('image', 0.5), (START_STAGES.image + START_STAGES.clearing) / 2);
  assert.is(percentOf('answering', 1), START_STAGES.routing, 'the bar is full only when the server is ready');
  assert.is(percentOf('image', 7), START_STAGES.clearing, 'done is capped at the stage');
});

test('the bar never goes backwards, and events are whole percentages', () => {
  const tracker = new ProgressTracker();
  tracker.begin('alice');
  tracker.report('alice', { stage: 'answering', message: 'waiting', done: 0.33 });
  tracker.report('alice', { stage: 'queued', message: 'late news from an earlier stage' });
  const events: ProgressEvent[] = [];
  tracker.follow('alice', (e) => events.push(e));
  assert.equal(
    events.map((e) => e.progress),
    [72, 72],
  );
});

test('a late listener replays the start so far, then hears the rest until it ends', () => {
  const tracker = new ProgressTracker();
  tracker.begin('alice');
  tracker.report('alice', { stage: 'requested', message: 'Server requested' });
  const heard: string[] = [];
  const stop = tracker.follow('alice', (e) => heard.push(e.message));
  tracker.ready('alice', '/user/alice/');
  tracker.report('alice', { stage: 'answering', message: 'after the end' });
  assert.equal(heard, ['Server requested', 'Server ready at /user/alice/']);
  assert.equal(tracker.last('alice'), {
    progress: 100,
    ready: true,
    message: 'Server ready at /user/alice/',
    url: '/user/alice/',
  });
  stop?.();
});

test('a failed start ends with failed and its message; a new start forgets the old one', () => {
  const tracker = new ProgressTracker();
  tracker.begin('alice');
  tracker.failed('alice', 'no image');
  assert.equal(tracker.last('alice'), { progress: 100, failed: true, message: 'Spawn failed: no image' });
  tracker.begin('alice');
  assert.is(tracker.last('alice'), undefined);
  assert.is(
    tracker.follow('bob', () => undefined),
    undefined,
    'no start, nothing to follow',
  );
});

test.run();
