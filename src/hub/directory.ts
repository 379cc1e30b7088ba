/**
 * Everything the hub knows of its users, gathered for the REST models in as few round trips as
 * possible: a page of 50 out of 1,000 users costs a handful of Redis calls, not thousands.
 */
import type { ActivityStore } from '../store/activity';
import type { GroupStore } from '../store/groups';
import type { ServerStore } from '../store/servers';
import type { UserStore } from '../store/users';
import type { UserFacts } from './models';

export interface DirectoryDeps {
  users: UserStore;
  state: ServerStore;
  activity: ActivityStore;
  groups: GroupStore;
}

export class Directory {
  constructor(private readonly deps: DirectoryDeps) {}

  async facts(name: string): Promise<UserFacts | undefined> {
    const { users, state, activity, groups } = this.deps;
    const [user, server, at, groupNames] = await Promise.all([users.get(name), state.get(name), activity.get(name), groups.groupsOf(name)]);
    return user && { user, server, activity: at, groups: groupNames };
  }

  /** Every user, with their server and activity; groups are filled in by `withGroups` for a page. */
  async all(): Promise<UserFacts[]> {
    const { users, state, activity } = this.deps;
    const [list, records, times] = await Promise.all([users.list(), state.list(), activity.all()]);
    const servers = new Map(records.map((r) => [r.user, r]));
    return list.map((user) => ({ user, server: servers.get(user.name), activity: times.get(user.name), groups: [] }));
  }

  async withGroups(facts: UserFacts[]): Promise<UserFacts[]> {
    const groups = await this.deps.groups.groupsOfMany(facts.map((f) => f.user.name));
    return facts.map((f) => ({ ...f, groups: groups.get(f.user.name) ?? [] }));
  }
}
