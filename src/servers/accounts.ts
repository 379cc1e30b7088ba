/**
 * Deleting a user, the one way: their server stops, their batch jobs are cancelled and their
 * recurring jobs deleted, every session and token of theirs ends, they leave their groups, the
 * account goes, and their home volume is kept or deleted as HUB_DELETE_HOME says.
 */
import type { Jobs } from '../jobs/jobs';
import type { Spawner } from '../spawner/spawner';
import type { GroupStore } from '../store/groups';
import type { SessionStore } from '../store/sessions';
import type { TokenStore } from '../store/tokens';
import type { UserStore } from '../store/users';
import type { Servers } from './servers';

export interface AccountDeps {
  servers: Pick<Servers, 'stop'>;
  jobs: Pick<Jobs, 'forget'>;
  sessions: SessionStore;
  tokens: TokenStore;
  groups: GroupStore;
  users: UserStore;
  spawner: Pick<Spawner, 'removeHome'>;
}

/** Deletes `name` (who must exist); resolves whether their home volume was deleted. */
export async function deleteUser(deps: AccountDeps, name: string, home: 'keep' | 'delete'): Promise<boolean> {
  await deps.servers.stop(name);
  await deps.jobs.forget(name);
  await deps.sessions.destroyAllOf(name);
  await deps.tokens.deleteAllOf(name);
  await deps.groups.forgetUser(name);
  await deps.users.remove(name);
  if (home === 'keep') return false;
  return deps.spawner.removeHome(name);
}
