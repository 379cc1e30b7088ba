/**
 * What every part of the REST API is built from.
 */
import type { Catalogue } from '../../catalogue/catalogue';
import type { Logger } from '../../log';
import type { Spawner } from '../../spawner/spawner';
import type { ActivityStore } from '../../store/activity';
import type { GroupStore } from '../../store/groups';
import type { RouteStore } from '../../store/routes';
import type { ServerStore } from '../../store/servers';
import type { SessionStore } from '../../store/sessions';
import type { TokenStore } from '../../store/tokens';
import type { UserStore } from '../../store/users';
import type { Access } from '../access';
import type { Directory } from '../directory';
import type { Metrics } from '../metrics';
import type { Servers } from '../servers';

export interface ApiDeps {
  access: Access;
  directory: Directory;
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  groups: GroupStore;
  routes: RouteStore;
  state: ServerStore;
  activity: ActivityStore;
  servers: Servers;
  spawner: Spawner;
  catalogue: Catalogue;
  metrics: Metrics;
  log: Logger;
  /** HUB_DELETE_HOME: what deleting a user does to their home volume. */
  deleteHome: 'keep' | 'delete';
}
