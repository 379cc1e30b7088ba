/**
 * A start's group database: when the member's groups give them one (grants.database), it is
 * opened (started if need be, the member's role made) before their server starts, and the server
 * joins its network with the variables PostgreSQL's clients read. The password is in those
 * variables only: never in a page or a log.
 */
import { BerthError } from '../errors';
import type { Grants } from '../groups/properties';
import type { Spawner, StartProgress } from '../spawner/spawner';
import type { DatabaseSecretStore } from '../store/database-secrets';

export interface DatabaseDeps {
  spawner: Spawner;
  databaseSecrets?: DatabaseSecretStore;
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
