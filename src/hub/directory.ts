/**
 * Everything the hub knows of its users, gathered for the REST models in as few round trips as
 * possible: lists are filtered and sorted on names and a few sorted sets, and details are read
 * only for the page shown, so a page of 50 out of 1,000 users costs a handful of Redis calls.
 */

import type { UsageSampler } from '../servers/usage';
import type { ActivityStore } from '../store/activity';
import type { GroupStore } from '../store/groups';
import type { ServerStore } from '../store/servers';
import type { UserStore } from '../store/users';
import type { UserFacts } from './models';

export interface DirectoryDeps {
  users: UserStore;
  records: ServerStore;
  activity: ActivityStore;
  groups: GroupStore;
  /** What running servers use, as last sampled. */
  usage?: Pick<UsageSampler, 'of'>;
}

export class Directory {
  constructor(private readonly deps: DirectoryDeps) {}

  async facts(name: string): Promise<UserFacts | undefined> {
    const { users, records, activity, groups } = this.deps;
    const [user, server, at, groupNames] = await Promise.all([
      users.get(name),
      records.get(name),
      activity.get(name),
      groups.groupsOf(name),
    ]);
    return user && { user, server, activity: at, groups: groupNames, usage: this.deps.usage?.of(name) };
  }

  /** Everything about several users, in order, in a few round trips (users that are gone are left out). */
  async factsMany(names: string[]): Promise<UserFacts[]> {
    const { users, records, activity, groups } = this.deps;
    const [list, servers, times, groupsOf] = await Promise.all([
      users.getMany(names),
      records.getMany(names),
      activity.getMany(names),
      groups.groupsOfMany(names),
    ]);
    const out: UserFacts[] = [];
    list.forEach((user, i) => {
      if (user) {
        const usage = this.deps.usage?.of(user.name);
        out.push({ user, server: servers[i], activity: times[i], groups: groupsOf.get(user.name) ?? [], usage });
      }
    });
    return out;
  }
}
