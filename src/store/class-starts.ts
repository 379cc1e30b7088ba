/**
 * Scheduled class starts in Redis: each start's record, each group's starts, and the starts still
 * to run scored by when their servers begin to start. Taking a due start is atomic (ZREM), so only
 * one hub runs it.
 */
import { keys } from './keys';
import type { RedisClient } from './redis';

export interface ClassStart {
  id: string;
  group: string;
  /** ISO 8601: the bell; with `repeat: weekly`, the next one. */
  at: string;
  /** Catalogue id; none: each member's last image, or the default. */
  image?: string;
  repeat: 'once' | 'weekly';
  /** Servers begin to start this many seconds before the bell. */
  lead_seconds: number;
  created: string;
  by: string;
  /** The last time it ran: when, and how many servers it started or found running, and could not start. */
  last_run?: { at: string; started: number; failed: number };
}

/** A start that has run (and does not repeat) is kept this long to be seen, then expires. */
const KEPT_SECONDS = 7 * 86400;

export class ClassStartStore {
  constructor(private readonly redis: RedisClient) {}

  /** Saves `start`; `due` (ms) is when its servers begin to start, or none once it has run for good. */
  async save(start: ClassStart, due: number | undefined): Promise<void> {
    const tx = this.redis.multi().sadd(keys.groupClassStarts(start.group), start.id);
    if (due === undefined)
      tx.set(keys.classStart(start.id), JSON.stringify(start), 'EX', KEPT_SECONDS).zrem(keys.classStartsDue, start.id);
    else tx.set(keys.classStart(start.id), JSON.stringify(start)).zadd(keys.classStartsDue, due, start.id);
    await tx.exec();
  }

  async get(id: string): Promise<ClassStart | undefined> {
    const raw = await this.redis.get(keys.classStart(id));
    return raw ? (JSON.parse(raw) as ClassStart) : undefined;
  }

  /** A group's starts, by their bell. */
  async ofGroup(group: string): Promise<ClassStart[]> {
    const ids = await this.redis.smembers(keys.groupClassStarts(group));
    const found = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => !found[i]);
    if (gone.length) await this.redis.srem(keys.groupClassStarts(group), ...gone);
    return found.filter((s): s is ClassStart => s !== undefined).sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Takes the starts due by `now` off the schedule: each is taken by one caller only. */
  async takeDue(now: number): Promise<ClassStart[]> {
    const ids = await this.redis.zrangebyscore(keys.classStartsDue, '-inf', now);
    const taken: ClassStart[] = [];
    for (const id of ids) {
      if ((await this.redis.zrem(keys.classStartsDue, id)) !== 1) continue;
      const start = await this.get(id);
      if (start) taken.push(start);
    }
    return taken;
  }

  async delete(group: string, id: string): Promise<boolean> {
    const [[, removed]] = (await this.redis
      .multi()
      .del(keys.classStart(id))
      .zrem(keys.classStartsDue, id)
      .srem(keys.groupClassStarts(group), id)
      .exec()) as Array<[Error | null, number]>;
    return removed === 1;
  }

  /** Deletes all of a group's starts (the group is deleted). */
  async deleteGroup(group: string): Promise<void> {
    for (const id of await this.redis.smembers(keys.groupClassStarts(group))) await this.delete(group, id);
  }
}
