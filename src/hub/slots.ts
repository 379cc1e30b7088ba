/**
 * A limit on concurrent spawns: the excess waits in line instead of failing, and each waiter
 * hears its place in the line as it moves (for the pending page).
 */

interface Waiter {
  grant: () => void;
  onPosition: (ahead: number) => void;
}

export class SpawnSlots {
  private running = 0;
  private readonly line: Waiter[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves with a release function once a slot is free; `onPosition` hears how many wait ahead. */
  acquire(onPosition: (ahead: number) => void = () => undefined): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.running++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.running--;
          this.next();
        });
      };
      if (this.running < this.limit && this.line.length === 0) grant();
      else {
        this.line.push({ grant, onPosition });
        onPosition(this.line.length - 1);
      }
    });
  }

  /** Leaves the line without a slot (the start was cancelled while waiting). */
  abandon(onPosition: (ahead: number) => void): void {
    const i = this.line.findIndex((w) => w.onPosition === onPosition);
    if (i >= 0) this.line.splice(i, 1);
    this.line.forEach((w, ahead) => w.onPosition(ahead));
  }

  get waiting(): number {
    return this.line.length;
  }

  private next(): void {
    if (this.running >= this.limit) return;
    const waiter = this.line.shift();
    if (!waiter) return;
    waiter.grant();
    this.line.forEach((w, ahead) => w.onPosition(ahead));
  }
}
