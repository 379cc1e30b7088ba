/**
 * Progress of each pending start, in JupyterHub's event shapes: `{progress, message}` while it
 * runs, then `{progress: 100, ready: true, url}` or `{progress: 100, failed: true, message}`.
 * Stages become percentages through the one table, START_STAGES. Events are kept for the
 * start's lifetime, so a page that connects late replays them.
 */
import { START_STAGES, type StartProgress, type StartStage } from '../spawner/spawner';

export interface ProgressEvent {
  progress: number;
  message: string;
  ready?: true;
  failed?: true;
  url?: string;
  html_message?: string;
}

type Listener = (event: ProgressEvent) => void;

const STAGES = Object.keys(START_STAGES) as StartStage[];

/** Where on the bar a stage is, `done` of the way to the next stage. */
export function percentOf(stage: StartStage, done = 0): number {
  const from = START_STAGES[stage];
  const next = STAGES[STAGES.indexOf(stage) + 1];
  const to = next ? START_STAGES[next] : 100;
  return from + Math.min(1, Math.max(0, done)) * (to - from);
}

class Run {
  readonly events: ProgressEvent[] = [];
  readonly listeners = new Set<Listener>();
  finished = false;
}

export class ProgressTracker {
  private readonly runs = new Map<string, Run>();

  /** Starts a fresh record of `user`'s start, dropping any earlier one. */
  begin(user: string): void {
    this.runs.set(user, new Run());
  }

  /** Records where the start is; the bar never goes backwards. */
  report(user: string, progress: StartProgress): void {
    this.add(user, { progress: percentOf(progress.stage, progress.done), message: progress.message });
  }

  ready(user: string, url: string): void {
    this.add(user, { progress: 100, ready: true, message: `Server ready at ${url}`, url });
  }

  failed(user: string, message: string): void {
    this.add(user, { progress: 100, failed: true, message: `Spawn failed: ${message}` });
  }

  private add(user: string, event: ProgressEvent): void {
    const run = this.runs.get(user);
    if (!run || run.finished) return;
    const last = run.events[run.events.length - 1]?.progress ?? 0;
    const e = { ...event, progress: Math.max(last, Math.min(100, Math.round(event.progress))) };
    run.events.push(e);
    if (e.ready || e.failed) run.finished = true;
    for (const listener of run.listeners) listener(e);
  }

  /** Past events of the current start, then each new one until it ends; returns the unsubscribe. */
  follow(user: string, listener: Listener): (() => void) | undefined {
    const run = this.runs.get(user);
    if (!run) return undefined;
    for (const e of run.events) listener(e);
    if (run.finished) return () => undefined;
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** The last event of the latest start, if there was one. */
  last(user: string): ProgressEvent | undefined {
    const events = this.runs.get(user)?.events;
    return events?.[events.length - 1];
  }
}
