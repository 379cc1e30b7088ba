/**
 * Every Redis key Berth uses, in one place: nothing else spells a key. Usernames are validated before they reach a key,
 * so a name can never reach into another key's space.
 */
export const keys = {
  /**
   * Hash: name, admin, password (scrypt hash), auth (the provider that signs the user in: oidc, oauth2 or
   * ldap; unset for local accounts), created, lastImage, lastError, lastLogin.
   */
  user: (name: string) => `berth:user:${name}`,
  /** Sorted set of usernames, scored by creation time. */
  users: 'berth:users',
  /** Sorted set of the same usernames, all scored 0: Redis keeps them in name order (store/user-pages.ts). */
  userNames: 'berth:user-names',
  /** Sorted set: username → time of their last sign-in (ms since the epoch). */
  logins: 'berth:logins',
  /** String: a random version of the set of users, new whenever a user is added or removed (store/user-pages.ts). */
  usersVersion: 'berth:users-version',
  /** String: the session's JSON, expiring with the session. */
  session: (id: string) => `berth:session:${id}`,
  /** Set: ids of a user's sessions, so that all of them can be ended at once. */
  userSessions: (name: string) => `berth:user-sessions:${name}`,
  /** String (JSON): the proxy's route to a user's server (target, token, user). */
  route: (name: string) => `berth:route:${name}`,
  /** Sorted set of usernames that have a route. */
  routes: 'berth:routes',
  /** Hash: what the hub knows of a user's server (state, image, container, started, node, outdated ...). */
  server: (name: string) => `berth:server:${name}`,
  /** Sorted set of usernames that have a server record. */
  servers: 'berth:servers',
  /** Sorted set: username → last activity on their server (ms since the epoch). */
  activity: 'berth:activity',
  /** Hash of an API token, under the SHA-256 of the token (the token itself is never stored). */
  token: (digest: string) => `berth:token:${digest}`,
  /** String: token id (a1, a2 ...) → the digest its hash is stored under. */
  tokenId: (id: string) => `berth:token-id:${id}`,
  /** Set: ids of a user's tokens. */
  userTokens: (name: string) => `berth:user-tokens:${name}`,
  /** Set: "<user> <id>" of every token issued to or for an OAuth client (a user's server). */
  clientTokens: (client: string) => `berth:client-tokens:${client}`,
  /** Counter for token ids. */
  tokenSeq: 'berth:token-seq',
  /** Set: the members of a group. */
  group: (name: string) => `berth:group:${name}`,
  /** Sorted set of group names, scored by creation time. */
  groups: 'berth:groups',
  /** String (JSON): a group's properties (images, limits, env, volumes, network, services), as checked. */
  groupProperties: (name: string) => `berth:group-properties:${name}`,
  /**
   * Hash: the secrets of a group's database: `admin` (the hub's password as its superuser) and
   * `user:<name>` (each member's); kept as long as its data volume may be, so past the group.
   */
  groupDatabase: (name: string) => `berth:group-database:${name}`,
  /** Set: the groups a user is in. */
  userGroups: (name: string) => `berth:user-groups:${name}`,
  /** Set: the groups a user is in because their identity provider or directory said so at sign-in. */
  providerGroups: (name: string) => `berth:provider-groups:${name}`,
  /** String (JSON, store/jobs.ts JobRecord): a batch job; a finished one expires after HUB_JOB_RETENTION. */
  job: (id: string) => `berth:job:${id}`,
  /** String, capped: a finished job's log (a running one's is read from its container); expires with the job. */
  jobLog: (id: string) => `berth:job-log:${id}`,
  /** Sorted set of a user's job ids, scored by submission time (ids whose record expired are dropped when read). */
  userJobs: (user: string) => `berth:user-jobs:${user}`,
  /** List: a user's queued job ids, oldest first. */
  jobQueue: (user: string) => `berth:job-queue:${user}`,
  /** Set: users with queued jobs (the fair queue takes one job from each in turn). */
  jobQueuedUsers: 'berth:job-queued-users',
  /** Set: ids of running jobs. */
  jobsRunning: 'berth:jobs-running',
  /** String (JSON, store/jobs.ts JobSchedule): a recurring job. */
  jobSchedule: (id: string) => `berth:job-schedule:${id}`,
  /** Set: a user's schedule ids. */
  userJobSchedules: (user: string) => `berth:user-job-schedules:${user}`,
  /** Sorted set of enabled schedule ids, scored by their next run (ms). */
  jobSchedules: 'berth:job-schedules',
  /**
   * Hash: the usage ledger's day (UTC, YYYY-MM-DD): `s:<user>` server-seconds, `c:<user>` CPU-seconds,
   * `m:<user>` GiB-hours of memory, `g:<user>` (JSON) the groups they were in; expires after HUB_USAGE_RETENTION.
   */
  usageDay: (day: string) => `berth:usage:${day}`,
  /** List, newest first, capped: "<ms> <seconds>" for each successful start (the usage page's chart). */
  spawnDurations: 'berth:spawn-durations',
  /** List, newest first, capped: "<ms> <count>" of servers running, about once a minute. */
  runningServers: 'berth:running-servers',
  /** String (JSON, store/class-starts.ts ClassStart): a group's scheduled start; a finished one expires a week after. */
  classStart: (id: string) => `berth:class-start:${id}`,
  /** Sorted set of class-start ids still to run, scored by when their servers begin to start (ms). */
  classStartsDue: 'berth:class-starts-due',
  /** Set: a group's class-start ids (ids whose record expired are dropped when read). */
  groupClassStarts: (group: string) => `berth:group-class-starts:${group}`,
  /** String (JSON: client, user, redirect URI), expiring in 5 minutes: an OAuth authorization code. */
  oauthCode: (code: string) => `berth:oauth-code:${code}`,
  /** Hash (fails, until), expiring: failed sign-ins for a username, under a digest of it. */
  loginFailuresOfUser: (digest: string) => `berth:login:user:${digest}`,
  /** Hash (fails, until), expiring: failed sign-ins from a client address, under a digest of it. */
  loginFailuresFromAddress: (digest: string) => `berth:login:address:${digest}`,
} as const;

/**
 * What the proxy's Redis account may touch (embedded-redis.ts, and the README's ACL line): read
 * routes, sessions, tokens, users and their groups; write activity only.
 */
export const PROXY_READS = [keys.route('*'), keys.session('*'), keys.token('*'), keys.user('*'), keys.userGroups('*')];
export const PROXY_WRITES = [keys.activity];
