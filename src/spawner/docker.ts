/**
 * DockerSpawner: one container per user, from a catalogue image. `start` reads top to bottom as named steps: ensure
 * the image → clear away the old container → ensure the home volume → create → start → find the address → wait
 * until the server answers with its token. Gone is a state, not an error: 404 and 409 on stop or remove are done.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { IMAGE_LABEL, protocolOf } from '../catalogue/labels';
import { BerthError, statusOf } from '../errors';
import { NO_GRANTS } from '../groups/properties';
import type { Logger } from '../log';
import { type ServerSpec, serverContainer, serverEnvironment, TOKEN_ENV } from './docker-container';
import { followExits } from './docker-events';
import { ensureImage } from './docker-image';
import { DockerJobRunner } from './docker-job';
import {
  NO_OFFLINE,
  prepareNetwork,
  prepareOffline,
  type ServerAccess,
  serverAccess,
  serverAddress,
} from './docker-network';
import type { DockerSpawnerOptions } from './docker-options';
import {
  answerUrl,
  containerUsage,
  exitReason,
  failIfDead,
  ignoreStatus,
  onEngine,
  serverContainers,
  throwIfCancelled,
  waitUntilAnswers,
  watching,
  within,
} from './docker-server';
import { DockerDatabases } from './group-database';
import { homeSizes } from './home-sizes';
import { ensureHomeVolume, ON_THE_NODE } from './home-volume';
import { type Naming, naming } from './naming';
import { sharedVolumesExist } from './shared-volumes';
import type {
  ContainerUsage,
  GroupDatabases,
  JobRunner,
  Prepared,
  RunningServer,
  ServerContainer,
  ServerStatus,
  Spawner,
  SpawnRequest,
  StartProgress,
} from './spawner';

const STOP_GRACE_SECONDS = 5;

type Report = (progress: StartProgress) => void;

export class DockerSpawner implements Spawner {
  private readonly names: Naming;
  private readonly log: Logger;
  private access: ServerAccess = 'port';
  /** Where servers reach the hub's API, once prepared. */
  private apiUrl = '';
  /** The network of servers with the internet off (internal: no route out), and the hub's API there. */
  private offline = NO_OFFLINE;
  readonly databases: GroupDatabases;
  readonly jobs: JobRunner;

  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerSpawnerOptions,
  ) {
    this.names = naming(opts.hubName, opts.version);
    this.log = opts.log.child({ component: 'spawner' });
    const { builder } = opts;
    this.databases = new DockerDatabases(docker, {
      names: this.names,
      log: this.log,
      access: () => this.access,
      builder,
    });
    this.jobs = new DockerJobRunner(docker, {
      hubName: opts.hubName,
      names: this.names,
      supply: { docker, builder, log: this.log },
      network: () => ({ main: opts.network, offline: this.offline.network }),
    });
  }

  async prepare(): Promise<Prepared> {
    this.access = await serverAccess(this.docker, this.opts.access);
    const { network } = this.opts;
    const labels = this.names.labels('network');
    const plan = { access: this.access, labels, log: this.log };
    const hub = await prepareNetwork(this.docker, { ...plan, network });
    this.offline = await prepareOffline(this.docker, { ...plan, network }, this.opts.serverApiPort);
    this.apiUrl = `http://${hub.host}:${this.opts.serverApiPort}/hub/api`;
    this.log.info('how user servers are reached', { access: this.access, network, hubApi: this.apiUrl });
    return { serverApiHost: hub.bind, offlineApiHost: this.offline.bind };
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  usage(container: string): Promise<ContainerUsage | undefined> {
    return containerUsage(this.docker, container);
  }

  homeSizes(): Promise<Map<string, number>> {
    return homeSizes(this.docker, this.opts.hubName);
  }

  async pause(container: string): Promise<void> {
    await this.docker.getContainer(container).pause();
  }

  async unpause(container: string): Promise<void> {
    await this.docker.getContainer(container).unpause();
  }

  start(request: SpawnRequest, report: Report = () => undefined): Promise<RunningServer> {
    return onEngine(() => this.launch(request, report));
  }

  /** The start's steps, top to bottom; a cancelled start stops at the next step. */
  private async launch(
    { user, signal, apiToken, grants = NO_GRANTS, networks = [], ...request }: SpawnRequest,
    report: Report,
  ): Promise<RunningServer> {
    const begun = Date.now();
    const supply = { docker: this.docker, builder: this.opts.builder, log: this.log };
    const image = await ensureImage(supply, request.image, report, signal);
    throwIfCancelled(signal);
    report({ stage: 'clearing', message: 'Clearing away any old container' });
    await Promise.all([
      this.removeContainer(user),
      ensureHomeVolume(this.docker, this.names, this.opts.homeVolume ?? ON_THE_NODE, user),
      sharedVolumesExist(this.docker, this.names, grants.volumes),
    ]);
    throwIfCancelled(signal);
    // Berth's own images let in only what carries this token, which only the proxy has.
    const token = image.protocol === 'berth' ? randomBytes(32).toString('hex') : '';
    const offline = grants.network === 'none' || image.network === 'none';
    if (offline && !this.offline.network)
      throw new BerthError(503, 'Servers with the internet off cannot start here now; the hub log says why.');
    const apiUrl = offline ? this.offline.apiUrl : this.apiUrl;
    const publicUrl = this.opts.publicUrl;
    const env = serverEnvironment({ user, image, apiToken, apiUrl, token, publicUrl, extra: grants.env });
    report({ stage: 'creating', message: `Creating your container from ${image.title}` });
    const container = await this.createAndStart(
      { user, image, env, shared: grants.volumes },
      { offline, networks },
      report,
    );
    try {
      throwIfCancelled(signal);
      report({ stage: 'answering', message: 'Container started; waiting for the notebook server to answer' });
      const target = await this.address(container, user);
      await waitUntilAnswers({
        user,
        url: answerUrl(target, user, image.protocol),
        token,
        ...watching(container, user),
        timeoutMs: this.opts.httpTimeoutMs,
        signal,
        onWaiting: (seconds, done) =>
          report({ stage: 'answering', message: `Waiting for the notebook server to answer (${seconds} s)`, done }),
      });
      const ms = Date.now() - begun;
      this.log.info('server started', { user, image: image.id, container: container.id.slice(0, 12), ms });
      return { target, token, container: container.id };
    } catch (err) {
      await this.discard(container, user);
      throw err;
    }
  }

  /**
   * Creates the container and starts it, within HUB_SPAWN_TIMEOUT. On failure it is removed; one
   * that Docker creates only after the time limit is removed when it lands.
   */
  private async createAndStart(
    { user, ...made }: Pick<ServerSpec, 'user' | 'image' | 'env' | 'shared'>,
    { offline, networks }: { offline: boolean; networks: string[] },
    report: Report,
  ): Promise<Docker.Container> {
    // Docker publishes no port on an internal network: the hub reaches the server at its address there.
    const network = offline ? this.offline.network : this.opts.network;
    const spec = { user, ...made, network, publish: this.access === 'port' && !offline, offline };
    const creating = this.docker.createContainer(serverContainer(this.names, spec));
    let created: Docker.Container | undefined;
    const starting = creating.then(async (c) => {
      created = c;
      // Docker takes one network at create; the others (a group database's) are joined before start.
      for (const joined of networks) await this.docker.getNetwork(joined).connect({ Container: c.id });
      report({ stage: 'starting', message: 'Starting your container' });
      await c.start();
      return c;
    });
    const limit = this.opts.spawnTimeoutMs / 1000;
    try {
      return await within(starting, this.opts.spawnTimeoutMs, () => {
        return new BerthError(500, `Your server's container did not start within ${limit} s (HUB_SPAWN_TIMEOUT).`);
      });
    } catch (err) {
      if (created) await this.discard(created, user);
      else creating.then((c) => this.discard(c, user)).catch(() => undefined);
      throw err;
    }
  }

  /** Removes a failed container by id, so that a retry's new container of the same name is safe. */
  private async discard(container: Docker.Container, user: string): Promise<void> {
    await container
      .remove({ force: true })
      .catch(ignoreStatus(404, 409))
      .catch((err) => this.log.warn('could not remove a failed container', { user, err }));
  }

  stop(user: string): Promise<void> {
    return onEngine(async () => {
      const container = this.docker.getContainer(this.names.container(user));
      await container.stop({ t: STOP_GRACE_SECONDS }).catch(ignoreStatus(304, 404));
      await this.removeContainer(user);
    });
  }

  poll(user: string): Promise<ServerStatus> {
    return onEngine(async () => {
      try {
        const info = await this.docker.getContainer(this.names.container(user)).inspect();
        return info.State.Running ? { running: true } : { running: false, reason: exitReason(info.State) };
      } catch (err) {
        if (statusOf(err) === 404) return { running: false, reason: 'its container is gone' };
        throw err;
      }
    });
  }

  list(): Promise<ServerContainer[]> {
    return onEngine(() => serverContainers(this.docker, this.opts.hubName, this.names));
  }

  attach(user: string): Promise<RunningServer> {
    return onEngine(async () => {
      const container = this.docker.getContainer(this.names.container(user));
      const info = await container.inspect().catch((err) => {
        if (statusOf(err) === 404) throw new BerthError(500, "Your server's container is gone.", { user });
        throw err;
      });
      if (!info.State.Running) throw new BerthError(500, `Your server stopped: ${exitReason(info.State)}.`, { user });
      if (info.State.Paused) await container.unpause(); // a paused server adopted runs again, unmarked
      const protocol = protocolOf(info.Config.Labels?.[IMAGE_LABEL.protocol]);
      const token = info.Config.Env.find((e) => e.startsWith(TOKEN_ENV))?.slice(TOKEN_ENV.length) ?? '';
      if (protocol === 'berth' && !token) {
        throw new BerthError(500, "Your server's container has no token; it was not started by Berth.", { user });
      }
      const target = await this.address(container, user);
      const url = answerUrl(target, user, protocol);
      await waitUntilAnswers({ user, url, token, ...watching(container, user), timeoutMs: this.opts.httpTimeoutMs });
      return { target, token, container: info.Id };
    });
  }

  watch(onExit: (user: string, container: string, reason: string) => void): () => void {
    return followExits(this.docker, this.opts.hubName, this.log, onExit);
  }

  removeHome(user: string): Promise<boolean> {
    return onEngine(async () => {
      await this.docker.getVolume(this.names.volume(user)).remove().catch(ignoreStatus(404));
      return true;
    });
  }

  private async removeContainer(user: string): Promise<void> {
    await this.docker.getContainer(this.names.container(user)).remove({ force: true }).catch(ignoreStatus(404, 409));
  }

  private async address(container: Docker.Container, user: string): Promise<string> {
    const where = { access: this.access, name: this.names.container(user), offlineNetwork: this.offline.network };
    const found = await serverAddress(container, where);
    if (found) return found;
    // A container that already exited has no ports: say why it exited.
    await failIfDead(user, container);
    throw new BerthError(
      500,
      'Your server started without a published port; an admin should check the Docker engine.',
      { user },
    );
  }
}
