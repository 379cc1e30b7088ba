/**
 * SwarmSpawner: each user's server is a Docker Swarm service with one task, on a swarm manager
 * (DOCKER_HOST). `start` reads as named steps: the image on the manager → pushed to the registry,
 * named by digest → the old service cleared, the user's own overlay network → the service, placed
 * by Swarm where there is room and on the node that keeps the home → the task runs → the server
 * answers with its token. Services are the truth, as containers are on one engine.
 */

import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { CatalogueImage } from '../catalogue/catalogue';
import { IMAGE_LABEL, protocolOf } from '../catalogue/labels';
import { BerthError, statusOf } from '../errors';
import type { Logger } from '../log';
import { serverEnvironment, TOKEN_ENV } from './docker-container';
import { ensureImage, type ImageSupply } from './docker-image';
import type { DockerSpawnerOptions } from './docker-options';
import { answerUrl, onEngine, throwIfCancelled, waitUntilAnswers } from './docker-server';
import { ON_THE_NODE } from './home-volume';
import { LABEL, type Naming, naming } from './naming';
import { RegistryPush } from './registry-push';
import type {
  JobRunner,
  Prepared,
  RunningServer,
  ServerContainer,
  ServerStatus,
  Spawner,
  SpawnRequest,
  StartProgress,
} from './spawner';
import { SwarmHomes } from './swarm-homes';
import { SwarmJobRunner } from './swarm-job';
import { HomeMover, type Moved } from './swarm-move';
import { notOnSwarm, serverService, swarmNaming, userNetwork } from './swarm-service';
import {
  newest,
  newestTask,
  removeService,
  swarmNodes,
  type Task,
  taskStatus,
  waitUntilRunning,
  watchingTask,
} from './swarm-tasks';

export interface SwarmSpawnerOptions extends DockerSpawnerOptions {
  /** HUB_REGISTRY: host:port every node pulls catalogue images from. */
  registry: string;
}

const WATCH_MS = 2_000;
const quiet = () => undefined;

export class SwarmSpawner implements Spawner {
  private readonly names: Naming;
  private readonly log: Logger;
  private readonly push: RegistryPush;
  private readonly homes: SwarmHomes;
  readonly jobs: JobRunner;
  private apiUrl = '';

  private get supply(): ImageSupply {
    return { docker: this.docker, builder: this.opts.builder, log: this.log };
  }

  constructor(
    private readonly docker: Docker,
    private readonly opts: SwarmSpawnerOptions,
  ) {
    this.names = swarmNaming(naming(opts.hubName, opts.version));
    this.log = opts.log.child({ component: 'swarm' });
    this.push = new RegistryPush(docker, opts.registry);
    const homeVolume = opts.homeVolume ?? ON_THE_NODE;
    this.homes = new SwarmHomes(docker, this.names, opts.hubName, homeVolume);
    this.jobs = new SwarmJobRunner(docker, {
      ...{ hubName: opts.hubName, names: this.names, homes: this.homes, homeVolume },
      reference: async (image) => this.push.reference(await ensureImage(this.supply, image, quiet), quiet),
    });
  }

  async prepare(): Promise<Prepared> {
    const info = (await this.docker.info()) as { Swarm?: { ControlAvailable?: boolean } };
    if (!info.Swarm?.ControlAvailable)
      throw new BerthError(500, 'HUB_SPAWNER=swarm needs DOCKER_HOST to be a swarm manager (`docker swarm init`).');
    // By name over the overlay, every proxy on any node would have to join every user's network.
    if (this.opts.access === 'network')
      throw new BerthError(500, 'HUB_SPAWNER=swarm reaches servers at their node for now: set HUB_SERVER_ACCESS=port.');
    this.apiUrl = `${this.opts.publicUrl ?? ''}/hub/api`;
    this.log.info('user servers run as swarm services', { access: 'port', registry: this.opts.registry });
    return { serverApiHost: '127.0.0.1' };
  }

  async ping(): Promise<void> {
    await this.docker.ping();
  }

  start(request: SpawnRequest, report: (progress: StartProgress) => void = () => undefined): Promise<RunningServer> {
    return onEngine(() => this.launch(request, report));
  }

  private async launch(
    { user, signal, apiToken, grants, ...request }: SpawnRequest,
    report: (p: StartProgress) => void,
  ) {
    const begun = Date.now();
    const refused = notOnSwarm(grants, request.image);
    if (refused) throw new BerthError(400, refused);
    const image = await ensureImage(this.supply, request.image, report, signal);
    const reference = await this.push.reference(image, report);
    throwIfCancelled(signal);
    report({ stage: 'clearing', message: 'Clearing away any old service' });
    await this.removeService(user);
    const network = await userNetwork(this.docker, this.names, user);
    const token = image.protocol === 'berth' ? randomBytes(32).toString('hex') : '';
    const constraints = [
      ...(await this.homes.constraints(user)),
      ...image.nodeLabels.map((l) => `node.labels.${l.replace('=', '==')}`),
    ];
    report({ stage: 'creating', message: `Asking the swarm for a place for ${image.title}` });
    const { apiUrl, opts } = this;
    const env = serverEnvironment({
      user,
      image,
      apiToken,
      apiUrl,
      token,
      publicUrl: opts.publicUrl,
      extra: grants?.env,
    });
    await this.docker.createService(
      serverService(this.names, { user, image, reference, env, network, constraints, home: this.homes.volume }),
    );
    try {
      // Checked after the service exists: a move that began meanwhile sees the service and gives way.
      if (await this.homes.moving(user))
        throw new BerthError(409, 'An admin is moving your home to another node; start again in a few minutes.');
      const name = this.names.container(user);
      const cancelled = () => throwIfCancelled(signal);
      const { task, target, node } = await waitUntilRunning(this.docker, {
        name,
        constraints,
        timeoutMs: this.opts.spawnTimeoutMs,
        signal,
        report,
        cancelled,
      });
      // Kept at once: a hub that dies from here on must not lose where the files are.
      if (task.NodeID) await this.homes.remember(user, task.NodeID);
      if (!target)
        throw new BerthError(500, 'Your server runs without a published port; an admin should check the swarm.');
      report({ stage: 'answering', message: 'Your server runs; waiting for the notebook server to answer' });
      await waitUntilAnswers({
        user,
        url: answerUrl(target, user, image.protocol),
        token,
        ...watchingTask(this.docker, name, user),
        timeoutMs: this.opts.httpTimeoutMs,
        signal,
        onWaiting: (seconds, done) =>
          report({ stage: 'answering', message: `Waiting for the notebook server to answer (${seconds} s)`, done }),
      });
      this.log.info('server started', { user, image: image.id, node: task.NodeID, ms: Date.now() - begun });
      return { target, token, container: (await this.service(user)).ID, node };
    } catch (err) {
      await this.removeService(user).catch(() => undefined);
      throw err;
    }
  }

  /** The user's own overlay network: servers on the swarm cannot reach one another. */
  private async service(user: string): Promise<{
    ID: string;
    Spec?: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Env?: string[] } } };
    CreatedAt?: string;
  }> {
    return this.docker.getService(this.names.container(user)).inspect();
  }

  private removeService(user: string): Promise<void> {
    return removeService(this.docker, this.names.container(user));
  }

  stop(user: string): Promise<void> {
    return onEngine(() => this.removeService(user));
  }

  poll(user: string): Promise<ServerStatus> {
    return onEngine(async () => {
      // A task on its way (scheduled, pulling, starting) counts as running: it has not ended, and
      // reporting it as stopped would end a start in progress.
      const task = await newestTask(this.docker, this.names.container(user));
      const nodes = task?.NodeID ? await swarmNodes(this.docker) : [];
      return taskStatus(task, nodes);
    });
  }

  list(): Promise<ServerContainer[]> {
    return onEngine(async () => {
      const filters = JSON.stringify({ label: [`${LABEL.hub}=${this.opts.hubName}`, `${LABEL.kind}=server`] });
      const services = (
        (await this.docker.listServices({ filters })) as Array<{
          ID: string;
          CreatedAt?: string;
          Spec?: { Name?: string; Labels?: Record<string, string> };
        }>
      ).filter((s) => s.Spec?.Name === this.names.container(s.Spec?.Labels?.[LABEL.user] ?? ''));
      if (services.length === 0) return [];
      // One look at the tasks and one at the nodes, however many servers run.
      const [tasks, nodes] = await Promise.all([
        this.docker.listTasks({ filters: JSON.stringify({ service: services.map((s) => s.ID) }) }) as Promise<Task[]>,
        swarmNodes(this.docker),
      ]);
      return services.map((s) => {
        const task = newest(tasks.filter((t) => t.ServiceID === s.ID));
        return {
          user: s.Spec?.Labels?.[LABEL.user] ?? '',
          container: s.ID,
          image: s.Spec?.Labels?.[LABEL.image] ?? '',
          created: s.CreatedAt ?? new Date().toISOString(),
          status: taskStatus(task, nodes),
        };
      });
    });
  }

  attach(user: string): Promise<RunningServer> {
    return onEngine(async () => {
      const service = await this.service(user).catch((err) => {
        if (statusOf(err) === 404) throw new BerthError(500, "Your server's service is gone.", { user });
        throw err;
      });
      const status = await this.poll(user);
      if (!status.running) throw new BerthError(500, `Your server stopped: ${status.reason}.`, { user });
      const protocol = protocolOf(service.Spec?.Labels?.[IMAGE_LABEL.protocol]);
      const env = service.Spec?.TaskTemplate?.ContainerSpec?.Env ?? [];
      const token = env.find((e) => e.startsWith(TOKEN_ENV))?.slice(TOKEN_ENV.length) ?? '';
      const name = this.names.container(user);
      const { task, target, node } = await waitUntilRunning(this.docker, {
        name,
        constraints: [],
        timeoutMs: this.opts.spawnTimeoutMs,
        report: () => undefined,
        cancelled: () => undefined,
      });
      if (task.NodeID) await this.homes.remember(user, task.NodeID);
      if (!target) throw new BerthError(500, 'Your server runs without a published port.', { user });
      const url = answerUrl(target, user, protocol);
      await waitUntilAnswers({
        user,
        url,
        token,
        ...watchingTask(this.docker, name, user),
        timeoutMs: this.opts.httpTimeoutMs,
      });
      return { target, token, container: service.ID, node };
    });
  }

  /** Swarm has no event for a task that ends: the services are looked at every 2 s. */
  watch(onExit: (user: string, container: string, reason: string) => void): () => void {
    const told = new Set<string>();
    const timer = setInterval(() => {
      this.list()
        .then((servers) => {
          // Only services that still exist are remembered: the set does not grow with every server ever ended.
          for (const id of told) if (!servers.some((s) => s.container === id)) told.delete(id);
          for (const s of servers) {
            if (s.status.running || told.has(s.container)) continue;
            told.add(s.container);
            onExit(s.user, s.container, s.status.reason);
          }
        })
        .catch((err: Error) => this.log.warn('cannot read the swarm services', { reason: err.message }));
    }, WATCH_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** `berth user move`: copies the user's home to `node` (hostname or id), checks it, then keeps it there. */
  moveHome(user: string, node: string, image: CatalogueImage, replace: boolean): Promise<Moved> {
    return onEngine(async () => {
      const needs = {
        reference: async () => this.push.reference(await ensureImage(this.supply, image, quiet), quiet),
        network: () => userNetwork(this.docker, this.names, user),
      };
      const moved = await new HomeMover(this.docker, this.names, this.homes).move(user, node, needs, replace);
      this.log.info('home moved', { user, ...moved });
      return moved;
    });
  }

  removeHome(user: string): Promise<boolean> {
    return onEngine(() => this.homes.forget(user, this.log));
  }
}
