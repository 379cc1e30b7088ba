/**
 * The Spawner contract, as in JupyterHub: something that starts, stops and polls one user's
 * notebook server. DockerSpawner (docker.ts) is the implementation; the server lifecycle
 * (servers/) only sees this, so other engines (Docker Swarm, a job runner) slot in beside it.
 */
import type { CatalogueImage } from '../catalogue/catalogue';
import type { Grants } from '../groups/properties';
import type { DatabaseSecrets } from '../store/database-secrets';

export interface SpawnRequest {
  user: string;
  image: CatalogueImage;
  /** The server's own hub API token (JUPYTERHUB_API_TOKEN), with JupyterHub's server scopes. */
  apiToken: string;
  /** Aborted when the start is cancelled (the user pressed stop): the spawner cleans up and rejects. */
  signal?: AbortSignal;
  /** What the user's groups give the server: environment, shared volumes, the network rule (limits are in `image`). */
  grants?: Grants;
  /** Networks the server joins besides its own: its group's database's. */
  networks?: string[];
}

export interface RunningServer {
  /** Base URL the proxy forwards to, e.g. http://127.0.0.1:32768 */
  target: string;
  /**
   * The token the proxy injects (Berth's own images trust it); '' for a server that signs people
   * in itself through the hub's OAuth (jupyterhub-singleuser).
   */
  token: string;
  /** The engine's id of the container. */
  container: string;
  /** The node it runs on (hostname), where there are several (a swarm). */
  node?: string;
}

export type ServerStatus = { running: true } | { running: false; reason: string };

/** A user's server container as the container engine sees it: routes and records are rebuilt from this. */
export interface ServerContainer {
  user: string;
  /** The engine's id of the container. */
  container: string;
  /** Catalogue id it was started from. */
  image: string;
  /** ISO 8601 time it was created. */
  created: string;
  status: ServerStatus;
}

/**
 * The stages of a start, in order, with where each begins on the progress bar (0 to 100): the
 * one progress table. The lifecycle reports requested, queued and routing (and answering when it
 * reattaches to a running server); a spawner reports those in between.
 */
export const START_STAGES = {
  requested: 1,
  queued: 2,
  /** Starting the group's database, or making the member's role there. */
  database: 3,
  /** Building (or pulling) the image, on a first start. */
  image: 5,
  clearing: 40,
  creating: 45,
  starting: 55,
  /** The container runs; waiting for the notebook server to answer. */
  answering: 60,
  /** It answers: the proxy's route to it is being made. */
  routing: 95,
  ready: 100,
} as const;

export type StartStage = keyof typeof START_STAGES;

export interface StartProgress {
  stage: StartStage;
  message: string;
  /** How far through its stage the start is, 0 to 1 (a build's step 3 of 10: 0.3). */
  done?: number;
}

/** What preparing the engine settled that the rest of the hub needs. */
export interface Prepared {
  /** The hub's address on the servers' network: the hub's API for them listens there. */
  serverApiHost: string;
  /** Its address on the network of servers with the internet off, where the API listens too. */
  offlineApiHost?: string;
}

/** Where a member's server finds the group's database, and as whom. */
export interface GroupDatabase {
  /** The network the server joins; the database is `host` there. */
  network: string;
  host: string;
  port: number;
  database: string;
  role: string;
}

export interface GroupDatabases {
  /**
   * Runs `group`'s database unless it runs (network, data volume, container), waits until it
   * answers, and makes sure `user`'s role logs in with `secrets.member`. Rejects with a
   * BerthError that says why not.
   */
  open(group: string, user: string, secrets: DatabaseSecrets): Promise<GroupDatabase>;
  /**
   * Takes `users` off the group's database: their servers leave its network, their roles can no
   * longer log in and their sessions end. Safe when it is off.
   */
  revoke(group: string, users: string[], adminPassword: string): Promise<void>;
  /** Removes the group's database container and network; its data volume stays. */
  close(group: string): Promise<void>;
}

export interface JobSpec {
  id: string;
  user: string;
  image: CatalogueImage;
  notebook: string;
  output: string;
  parameters: Record<string, unknown>;
  grants?: Grants;
}

/** How a job's container ended. */
export interface JobExit {
  ok: boolean;
  error?: string;
  /** Killed by its memory limit. */
  oom: boolean;
  log: string;
}

export interface JobRunner {
  /** Whether the notebook can run: undefined when it can, else why not (missing, not a notebook ...). */
  check(spec: Pick<JobSpec, 'user' | 'image' | 'notebook'>): Promise<string | undefined>;
  /** Creates and starts the job's container; resolves its id. */
  start(spec: JobSpec): Promise<string>;
  /** Resolves when the container has ended: how, and its log (the last LOG_LIMIT bytes). */
  wait(container: string): Promise<JobExit>;
  /** The log so far (the last `bytes`). */
  logs(container: string, bytes?: number): Promise<string>;
  /** Stops the container (a cancel, a time limit); `wait` then resolves. Safe when it has ended. */
  stop(container: string): Promise<void>;
  /** Removes the container; safe when it is gone. */
  remove(container: string): Promise<void>;
  /** This hub's job containers, running or ended: which job each is ('check' for a look at a notebook). */
  list(): Promise<Array<{ job: string; container: string; running: boolean }>>;
}

/** What a server's container uses now, as its engine counts it. */
export interface ContainerUsage {
  /** Memory in use (the page cache the kernel can drop left out, as `docker stats` does). */
  memoryBytes: number;
  memoryLimitBytes: number;
  /** CPU time used since the container started. */
  cpuSeconds: number;
}

export interface Spawner {
  /** What container `container` uses now; undefined when the engine cannot say (a swarm node's). */
  usage?(container: string): Promise<ContainerUsage | undefined>;
  /** The size of each user's home volume, by user; none where the engine cannot say (a swarm's nodes). */
  homeSizes?(): Promise<Map<string, number>>;
  /** Freezes a server's container (no CPU; memory and kernels kept) and thaws it; none where the engine cannot (a swarm's nodes). */
  pause?(container: string): Promise<void>;
  unpause?(container: string): Promise<void>;
  /** Groups' databases, where this engine runs them (one Docker engine; not a swarm yet). */
  readonly databases?: GroupDatabases;
  /** Batch jobs, where this engine runs them (one Docker engine; not a swarm yet). */
  readonly jobs?: JobRunner;
  /** Runs once before the hub serves: networks and anything else starts need. */
  prepare(): Promise<Prepared>;
  /** Resolves when the container engine answers (the health check), rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Starts a fresh server for `request.user` and resolves once it answers HTTP with its token,
   * building or fetching the image first when it is not on the engine yet. On failure nothing
   * is left running, and the rejection is a BerthError saying why.
   */
  start(request: SpawnRequest, onProgress?: (progress: StartProgress) => void): Promise<RunningServer>;
  /** Stops and removes the user's server. Safe when it is already gone, and safe twice. */
  stop(user: string): Promise<void>;
  /** Whether the user's server runs, and if not, why not (gone, exited, out of memory ...). */
  poll(user: string): Promise<ServerStatus>;
  /** Every server container of this hub, running or not. */
  list(): Promise<ServerContainer[]>;
  /**
   * Reattaches to the user's running container (a start a killed hub left, or a server Redis
   * forgot): resolves where and how to reach it once it answers, or rejects saying why not.
   */
  attach(user: string): Promise<RunningServer>;
  /** Calls `onExit` soon after any of this hub's servers dies (including out of memory); returns a stop function. */
  watch(onExit: (user: string, container: string, reason: string) => void): () => void;
  /**
   * Deletes the user's home volume (their files). Safe when there is none. Resolves false when
   * the engine cannot (a swarm manager cannot delete a volume on another node; the log says where).
   */
  removeHome(user: string): Promise<boolean>;
}
