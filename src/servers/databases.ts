/**
 * A start's group database: when the member's groups give them one (grants.database), it is
 * opened (started if need be, the member's role made) before their server starts, and the server
 * joins its network with the variables PostgreSQL's clients read. The password is in those
 * variables only: never in a page or a log.
 */
import { BerthError } from '../errors';
import type { Grants } from '../groups/properties';
import type { Logger } from '../log';
import type { Spawner, StartProgress } from '../spawner/spawner';
import type { DatabaseSecretStore } from '../store/database-secrets';

export interface DatabaseDeps {
  spawner: Pick<Spawner, 'databases'>;
  databaseSecrets?: DatabaseSecretStore;
  log: Logger;
}

/** `grants` with the database's variables, and the networks the server joins for it. */
export async function withDatabase(
  deps: DatabaseDeps,
  user: string,
  grants: Grants,
  report: (progress: StartProgress) => void,
): Promise<{ grants: Grants; networks: string[] }> {
  const group = grants.database;
  if (!group) return { grants, networks: [] };
  const { databases } = deps.spawner;
  if (!databases || !deps.databaseSecrets)
    throw new BerthError(503, 'Group databases work on one Docker engine only, not yet on this swarm; ask an admin.');
  report({ stage: 'database', message: `Opening the database of group ${group}` });
  const secrets = await deps.databaseSecrets.secrets(group, user);
  const db = await databases.open(group, user, secrets);
  const password = secrets.member;
  const env = {
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGUSER: db.role,
    PGPASSWORD: password,
    PGDATABASE: db.database,
    DATABASE_URL: `postgresql://${db.role}:${password}@${db.host}:${db.port}/${db.database}`,
  };
  return { grants: { ...grants, env: { ...grants.env, ...env } }, networks: [db.network] };
}

/**
 * Takes `users`, who left `group`, off its database if it has one: their servers leave its network
 * and their roles stop logging in, at once. Never throws: a failure is logged.
 */
export async function leaveDatabase(deps: DatabaseDeps, group: string, users: string[]): Promise<void> {
  const { databases } = deps.spawner;
  try {
    const admin = await deps.databaseSecrets?.admin(group);
    if (databases && admin && users.length > 0) await databases.revoke(group, users, admin);
  } catch (err) {
    deps.log.error('could not take users off their former group database', { group, users, err });
  }
}
