/**
 * Classes that start before the bell: an admin schedules a group's servers for a time ("physics at
 * 09:00, image scipy", once or every week), and a few minutes before it (`lead_minutes`) the hub
 * starts every member's server at once, the spawn queue pacing them, so that at the bell each
 * click finds a running server. Servers nobody opens are culled after the idle timeout as usual.
 * A start whose time passed while the hub was away (by more than LATE_MS) is skipped, not run late.
 */
import type { Catalogue } from '../catalogue/catalogue';
import { badRequest } from '../errors';
import type { GroupProperties } from '../groups/properties';
import type { Logger } from '../log';
import type { ClassStart, ClassStartStore } from '../store/class-starts';
import type { GroupStore } from '../store/groups';
import type { Servers } from './servers';

export interface ClassStartDeps {
  store: ClassStartStore;
  groups: Pick<GroupStore, 'get' | 'properties'>;
  catalogue: Pick<Catalogue, 'list'>;
  servers: Pick<Servers, 'start'>;
  log: Logger;
  /** HUB_ACTIVE_SERVER_LIMIT (0: none). */
  activeServerLimit: number;
}

/** What an admin asks for. */
export type ClassStartRequest = Pick<ClassStart, 'at' | 'image' | 'repeat' | 'lead_seconds'>;

const FIELDS = ['at', 'image', 'repeat', 'lead_minutes'];
const WEEK_MS = 7 * 86_400_000;
const LATE_MS = 30 * 60_000;
const DEFAULT_LEAD_MINUTES = 5;
/** A time with its offset (Z or ±hh:mm), so that nobody's bell rings in the hub's time zone by accident. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function fail(field: string, problem: string): never {
  throw badRequest(`${field}: ${problem}`, { field });
}

/** When `start`'s servers begin to start. */
export function dueOf(start: Pick<ClassStart, 'at' | 'lead_seconds'>): number {
  return Date.parse(start.at) - start.lead_seconds * 1000;
}

export class ClassStarts {
  constructor(private readonly deps: ClassStartDeps) {}

  /** Checks `raw` for group `group` (which exists) field by field; the first problem is a 400 naming it. */
  async parse(group: string, raw: unknown, now: number): Promise<ClassStartRequest> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw badRequest('The body must be a JSON object.');
    const body = raw as Record<string, unknown>;
    for (const key of Object.keys(body))
      if (!FIELDS.includes(key)) fail(key.slice(0, 64), `unknown field; known ones: ${FIELDS.join(', ')}`);
    const at = typeof body.at === 'string' && ISO_TIME.test(body.at) ? Date.parse(body.at) : NaN;
    if (Number.isNaN(at)) fail('at', 'must be a time in ISO 8601 with its offset, e.g. 2026-12-07T09:00:00Z');
    if (at <= now) fail('at', 'is in the past');
    const repeat = body.repeat ?? 'once';
    if (repeat !== 'once' && repeat !== 'weekly') fail('repeat', 'must be "once" or "weekly"');
    const lead = body.lead_minutes ?? DEFAULT_LEAD_MINUTES;
    if (typeof lead !== 'number' || !(lead >= 1 && lead <= 120)) fail('lead_minutes', 'must be from 1 to 120 minutes');
    const properties = (await this.deps.groups.properties(group)) as GroupProperties;
    if (body.image !== undefined) {
      const ids = (await this.deps.catalogue.list()).map((i) => i.id);
      if (typeof body.image !== 'string' || !ids.includes(body.image))
        fail('image', `'${String(body.image).slice(0, 64)}' is not in the catalogue; one of: ${ids.join(', ')}`);
      if (properties.images && !properties.images.includes(body.image))
        fail('image', `group ${group} is not offered '${body.image}'; it is offered: ${properties.images.join(', ')}`);
    }
    const members = (await this.deps.groups.get(group))?.users.length ?? 0;
    const limit = this.deps.activeServerLimit;
    if (limit > 0 && members > limit)
      fail(
        'group',
        `${group} has ${members} members, more servers than may run at once (HUB_ACTIVE_SERVER_LIMIT ${limit})`,
      );
    const cap = properties.quota?.servers;
    if (cap !== undefined && members > cap)
      fail('group', `${group} has ${members} members, more servers than its quota lets run at once (${cap})`);
    const image = body.image as string | undefined;
    return { at: new Date(at).toISOString(), image, repeat, lead_seconds: Math.round(lead * 60) };
  }

  /** Schedules `start` (parsed already). */
  save(start: ClassStart): Promise<void> {
    return this.deps.store.save(start, dueOf(start));
  }

  /** A group's starts, by their bell. */
  list(group: string): Promise<ClassStart[]> {
    return this.deps.store.ofGroup(group);
  }

  delete(group: string, id: string): Promise<boolean> {
    return this.deps.store.delete(group, id);
  }

  /** Forgets a deleted group's starts. */
  deleteGroup(group: string): Promise<void> {
    return this.deps.store.deleteGroup(group);
  }

  /** Starts the servers of every start that is due; then schedules the next week's, or keeps it as run. */
  async run(now = Date.now()): Promise<void> {
    for (const start of await this.deps.store.takeDue(now)) {
      const bell = Date.parse(start.at);
      const last_run = now > bell + LATE_MS ? undefined : await this.startServers(start, now);
      if (!last_run) this.deps.log.warn('skipped a class start whose time passed while the hub was away', { start });
      let next = bell;
      while (start.repeat === 'weekly' && dueOf({ ...start, at: new Date(next).toISOString() }) <= now) next += WEEK_MS;
      const saved = { ...start, at: new Date(next).toISOString(), last_run: last_run ?? start.last_run };
      await this.deps.store.save(saved, start.repeat === 'weekly' ? dueOf(saved) : undefined);
    }
  }

  /** Starts every member's server at once (the spawn queue paces them); a running one counts as started. */
  private async startServers(start: ClassStart, now: number): Promise<ClassStart['last_run']> {
    const members = (await this.deps.groups.get(start.group))?.users ?? [];
    this.deps.log.info('starting a class', { group: start.group, members: members.length, bell: start.at });
    const results = await Promise.allSettled(members.map((user) => this.deps.servers.start(user, start.image)));
    let failed = 0;
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled' || /already running/.test(String(r.reason))) continue;
      failed++;
      this.deps.log.warn('a class start could not start a server', { user: members[i], err: r.reason });
    }
    return { at: new Date(now).toISOString(), started: members.length - failed, failed };
  }
}
