/**
 * Progress of each pending start, in JupyterHub's event shapes: `{progress, message}` while it
 * runs, then `{progress: 100, ready: true, url}` or `{progress: 100, failed: true, message}`.
 * Events are kept for the start's lifetime, so a page that connects late replays them.
 */

export interface ProgressEvent {
  progress: number;
  message: string;
  ready?: true;
  failed?: true;
  url?: string;
  html_message?: string;
}

type Listener = (event: ProgressEvent) => void;

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

  /** Records an event; progress never goes backwards. */
  report(user: string, event: ProgressEvent): void {
    const run = this.runs.get(user);
    if (!run || run.finished) return;
    const last = run.events[run.events.length - 1]?.progress ?? 0;
    const e = { ...event, progress: Math.max(last, Math.min(100, Math.round(event.progress))) };
    run.events.push(e);
    if (e.ready || e.failed) run.finished = true;
    for (const listener of run.listeners) listener(e);
  }

  ready(user: string, url: string): void {
    this.report(user, { progress: 100, ready: true, message: `Server ready at ${url}`, url });
  }

  failed(user: string, message: string): void {
    this.report(user, { progress: 100, failed: true, message: `Spawn failed: ${message}` });
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
