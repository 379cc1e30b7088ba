/**
 * The Spawner contract, as in JupyterHub: something that starts, stops and polls one user's
 * notebook server. DockerSpawner (docker.ts) is the implementation; the hub only sees this.
 */
import type { CatalogueImage } from '../catalogue/catalogue';

export interface SpawnRequest {
  user: string;
  image: CatalogueImage;
  /** Aborted when the start is cancelled (the user pressed stop): the spawner cleans up and rejects. */
  signal?: AbortSignal;
}

export interface RunningServer {
  /** Base URL the proxy forwards to, e.g. http://127.0.0.1:32768 */
  target: string;
  /** The server's own random token, which the proxy injects. */
  token: string;
  /** Docker's id of the container. */
  container: string;
}

export type ServerStatus = { running: true } | { running: false; reason: string };

export interface ProgressEvent {
  /** 0 to 100. */
  progress: number;
  message: string;
}

export interface Spawner {
  /** Runs once before the hub serves: networks and anything else starts need. */
  prepare(): Promise<void>;
  /**
   * Starts a fresh server for `request.user` and resolves once it answers HTTP with its token.
   * On failure nothing is left running, and the rejection is a BerthError saying why.
   */
  start(request: SpawnRequest, onProgress?: (event: ProgressEvent) => void): Promise<RunningServer>;
  /** Stops and removes the user's server. Safe when it is already gone, and safe twice. */
  stop(user: string): Promise<void>;
  /** Whether the user's server runs, and if not, why not (gone, exited, out of memory ...). */
  poll(user: string): Promise<ServerStatus>;
}
