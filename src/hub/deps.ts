/**
 * What the hub is built from: its settings, and the parts it drives (stores, the server
 * lifecycle, the catalogue, metrics), which come in from outside so that tests can build a hub
 * on their own Redis and fakes. The pages, the API and the operator routes take these.
 */
import type { SignIn } from '../auth/sign-in';
import type { Catalogue } from '../catalogue/catalogue';
import type { Jobs } from '../jobs/jobs';
import type { Logger } from '../log';
import type { Metrics } from '../metrics/metrics';
import type { ClassStarts } from '../servers/class-starts';
import type { Servers } from '../servers/servers';
import type { UsageSampler } from '../servers/usage';
import type { Volumes } from '../spawner/shared-volumes';
import type { Spawner } from '../spawner/spawner';
import type { ActivityStore } from '../store/activity';
import type { DatabaseSecretStore } from '../store/database-secrets';
import type { GroupStore } from '../store/groups';
import type { LoginFailureStore } from '../store/login-failures';
import type { OAuthCodeStore } from '../store/oauth-codes';
import type { RouteStore } from '../store/routes';
import type { ServerStore } from '../store/servers';
import type { SessionStore } from '../store/sessions';
import type { TokenStore } from '../store/tokens';
import type { UsageStore } from '../store/usage';
import type { UserStore } from '../store/users';

export interface HubDeps {
  users: UserStore;
  sessions: SessionStore;
  tokens: TokenStore;
  groups: GroupStore;
  routes: RouteStore;
  records: ServerStore;
  activity: ActivityStore;
  loginFailures: LoginFailureStore;
  oauthCodes: OAuthCodeStore;
  servers: Servers;
  /** Batch jobs. */
  jobs: Jobs;
  /** What running servers use, as last sampled. */
  usage?: UsageSampler;
  /** Groups' scheduled class starts. */
  classStarts?: ClassStarts;
  /** The usage ledger (none: the hub keeps none). */
  ledger?: UsageStore;
  /**
   * For deleting home volumes when users are deleted (HUB_DELETE_HOME=delete), and groups'
   * databases when their group stops having one.
   */
  spawner: Pick<Spawner, 'removeHome' | 'databases'>;
  catalogue: Catalogue;
  /** Shared volumes that groups mount (`berth volumes`). */
  volumes: Volumes;
  /** The passwords of groups' databases: members who leave a group are taken off its database. */
  databaseSecrets?: DatabaseSecretStore;
  /** The sign-in methods that are on, and who may enter (HUB_AUTH and the allow rules). */
  signIn: SignIn;
  metrics: Metrics;
  /** What /hub/health asks: each resolves when its part answers. */
  health: { redis(): Promise<unknown>; engine(): Promise<unknown> };
  log: Logger;
}

export interface HubConfig {
  /** Keys that sign cookies, newest first: the first signs, every one verifies (HUB_SECRET). */
  keys: readonly string[];
  /** HUB_DELETE_HOME */
  deleteHome: 'keep' | 'delete';
  /** Cookies are Secure (and the session cookie __Host-): the hub is served over HTTPS (HUB_PUBLIC_URL). */
  secureCookies: boolean;
  /** Client address and scheme come from X-Forwarded-* (HUB_TRUST_X_FORWARDED). */
  trustForwarded: boolean;
  /** HUB_ADMIN_ACCESS */
  adminAccess: boolean;
  /** HUB_PUBLIC_URL: where an identity provider sends people back to after signing out there. */
  publicUrl?: URL;
}
