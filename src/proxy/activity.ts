/**
 * Activity the proxy sees on each user's server (HTTP requests, WebSocket frames either way),
 * written to Redis at most once per `debounceMs` per user so busy kernels cost no extra writes.
 */
import type { Logger } from '../log';
import type { ActivityStore } from '../store/activity';

export interface ActivityRecorder {
  touch(user: string): void;
}

/** The debounce for a given idle timeout: a quarter of it, at most 30 s (0 = no culling). */
export function activityDebounce(idleMs: number): number {
  return idleMs > 0 ? Math.min(30_000, Math.floor(idleMs / 4)) : 30_000;
}

export function activityRecorder(store: ActivityStore, debounceMs: number, log: Logger): ActivityRecorder {
  const written = new Map<string, number>();
  return {
    touch(user) {
      const now = Date.now();
      const last = written.get(user);
      if (last !== undefined && now - last < debounceMs) return;
      written.set(user, now);
      store
        .touch(user, now)
        .catch((err) => log.warn('could not record activity', { user, err: (err as Error).message }));
    },
  };
}
