/**
 * Work on one user's server, one piece at a time per user: each piece waits for the one before
 * it, whatever that one's outcome (a usage reading and the server's end; a pause and a resume).
 */
export class OneAtATime {
  private readonly last = new Map<string, Promise<unknown>>();

  /** Runs `work` once `user`'s earlier work has settled; resolves or rejects as `work` does. */
  run<T>(user: string, work: () => Promise<T>): Promise<T> {
    const done = (this.last.get(user) ?? Promise.resolve()).then(work);
    const settled = done.catch(() => undefined);
    this.last.set(user, settled);
    settled.then(() => {
      if (this.last.get(user) === settled) this.last.delete(user);
    });
    return done;
  }
}
