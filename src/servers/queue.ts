/**
 * The spawn queue: at most `limit` starts run at once; the rest wait in line instead of
 * failing, and each waiter hears its place in the line as it moves (for the pending page).
 */
import { BerthError } from '../errors';

/** Hears how many starts wait ahead in line (0: next). */
export type PlaceListener = (ahead: number) => void;

interface Waiter {
  grant: () => void;
  onPlace: PlaceListener;
}

export class SpawnQueue {
  private running = 0;
  private readonly line: Waiter[] = [];

  constructor(private readonly limit: number) {}

  /**
   * Resolves with a release function once a slot is free; `onPlace` hears the place in line while
   * waiting. If `signal` aborts first, the start leaves the line and this rejects with a 409.
   */
  acquire(onPlace: PlaceListener = () => undefined, signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', cancel);
        this.running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.running--;
          this.next();
        });
      };
      const cancel = () => {
        this.abandon(onPlace);
        reject(new BerthError(409, 'The start was cancelled.'));
      };
      if (signal?.aborted) return cancel();
      if (this.running < this.limit && this.line.length === 0) return grant();
      signal?.addEventListener('abort', cancel, { once: true });
      this.line.push({ grant, onPlace });
      onPlace(this.line.length - 1);
    });
  }

  /** Leaves the line without a slot (the start was cancelled while waiting); those behind move up. */
  abandon(onPlace: PlaceListener): void {
    const i = this.line.findIndex((w) => w.onPlace === onPlace);
    if (i < 0) return;
    this.line.splice(i, 1);
    for (const [n, w] of this.line.slice(i).entries()) w.onPlace(i + n);
  }

  /** Starts waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  /** Starts holding a slot. */
  get active(): number {
    return this.running;
  }

  private next(): void {
    if (this.running >= this.limit) return;
    const waiter = this.line.shift();
    if (!waiter) return;
    waiter.grant();
    for (const [ahead, w] of this.line.entries()) w.onPlace(ahead);
  }
}
