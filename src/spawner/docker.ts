/**
 * DockerSpawner: one container per user, from a catalogue image, read top to bottom in `start`:
 * remove the old container → ensure the home volume → create → start → find the address →
 * wait until the server answers with its token. Gone is a state, not an error: 404 and 409 on
 * stop or remove count as done.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import os from 'node:os';
import type Docker from 'dockerode';
import type { CatalogueImage } from '../catalogue/catalogue';
import { BerthError, statusOf } from '../errors';
import type { Logger } from '../log';
import { LABEL, naming, type Naming } from './naming';
import type { ProgressEvent, RunningServer, ServerContainer, ServerStatus, SpawnRequest, Spawner } from './spawner';

export interface DockerSpawnerOptions {
  hubName: string;
  version: string;
  /**
   * port: publish 8888 on 127.0.0.1 (hub on the host); network: reach servers by name on
   * `network` (hub in a container); auto: network when this process runs in a container of the
   * same Docker engine, else port.
   */
  access: 'auto' | 'port' | 'network';
  network: string;
  spawnTimeoutMs: number;
  httpTimeoutMs: number;
  log: Logger;
}

/** The uid:gid every catalogue image runs as (jovyan:users in images/base). */
const SERVER_USER = '1000:100';
const SERVER_PORT = 8888;
const HOME = '/home/jovyan';
const STOP_GRACE_SECONDS = 5;
/** How often a starting server is asked whether it answers: a refused connection costs little, and a late look is time the user waits. */
const READY_POLL_MS = 20;

function ignoreStatus(...codes: number[]) {
  return (err: unknown) => {
    if (!codes.includes(statusOf(err) ?? -1)) throw err;
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Rejects with `error` if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(error()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The status of GET `url`, or 0 when nothing answers yet (a fresh connection each time). */
function httpStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** Why a container that is not running stopped, in words for its owner. */
function exitReason(state: { OOMKilled?: boolean; ExitCode?: number }): string {
  if (state.OOMKilled) return 'it ran out of memory (HUB_MEM_LIMIT)';
  if (state.ExitCode === 137) return 'it was killed (exit code 137)';
  if (state.ExitCode === 143) return 'it was terminated (exit code 143)';
  return `it exited with code ${state.ExitCode ?? '?'}`;
}

const TOKEN_ENV = 'BERTH_SERVER_TOKEN=';

/** Docker's log stream for a container without a TTY: 8-byte frame headers, then the payload. */
function demuxLogs(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return out;
}

export class DockerSpawner implements Spawner {
  private readonly names: Naming;
  private readonly log: Logger;
  private access: 'port' | 'network' = 'port';

  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerSpawnerOptions,
  ) {
    this.names = naming(opts.hubName, opts.version);
    this.log = opts.log.child({ component: 'spawner' });
  }

  async prepare(): Promise<void> {
    this.access = this.opts.access === 'auto' ? ((await this.ownContainer()) ? 'network' : 'port') : this.opts.access;
    this.log.info('how user servers are reached', { access: this.access, network: this.opts.network });
    // On the host, users' containers share a network on which they cannot reach each other
    // (no inter-container traffic); the hub reaches each through its port on 127.0.0.1.
    await this.ensureNetwork(this.access === 'port');
    if (this.access === 'network') await this.joinNetwork();
  }

  /** The container this process runs in, if the engine we talk to runs it (its hostname is our id). */
  private async ownContainer(): Promise<string | undefined> {
    try {
      const info = await this.docker.getContainer(os.hostname()).inspect();
      return info.Config.Hostname === os.hostname() && info.State.Running ? info.Id : undefined;
    } catch {
      return undefined;
    }
  }

  async start(request: SpawnRequest, onProgress: (e: ProgressEvent) => void = () => undefined): Promise<RunningServer> {
    const { user, image } = request;
    const token = randomBytes(32).toString('hex');
    const started = Date.now();
    onProgress({ progress: 10, message: 'Clearing away any old container' });
    await Promise.all([this.removeContainer(user), this.ensureVolume(user)]);
    onProgress({ progress: 30, message: `Creating your container from ${image.title}` });
    let created: Docker.Container | undefined;
    const creating = this.create(user, image, token).then((c) => (created = c));
    try {
      const container = await within(
        creating.then(async (c) => {
          onProgress({ progress: 45, message: 'Starting your container' });
          await c.start();
          return c;
        }),
        this.opts.spawnTimeoutMs,
        () => new BerthError(500, `Your server's container did not start within ${this.opts.spawnTimeoutMs / 1000} s (HUB_SPAWN_TIMEOUT).`),
      );
      onProgress({ progress: 60, message: 'Container started; waiting for the notebook server to answer' });
      const target = await this.address(container, user);
      await this.waitUntilAnswers(user, target, token, container, request.signal, onProgress);
      this.log.info('server started', { user, image: image.id, container: container.id.slice(0, 12), ms: Date.now() - started });
      return { target, token, container: container.id };
    } catch (err) {
      // Remove the container by id, so a retry's new container of the same name is safe; one
      // that Docker creates only after the time limit is removed when it lands.
      const remove = (c: Docker.Container) => c.remove({ force: true }).catch(ignoreStatus(404, 409));
      if (created) await remove(created).catch((e) => this.log.warn('could not remove a failed container', { user, err: e }));
      else creating.then(remove).catch(() => undefined);
      throw err;
    }
  }

  async stop(user: string): Promise<void> {
    const container = this.docker.getContainer(this.names.container(user));
    await container.stop({ t: STOP_GRACE_SECONDS }).catch(ignoreStatus(304, 404));
    await this.removeContainer(user);
  }

  async poll(user: string): Promise<ServerStatus> {
    try {
      const info = await this.docker.getContainer(this.names.container(user)).inspect();
      return info.State.Running ? { running: true } : { running: false, reason: exitReason(info.State) };
    } catch (err) {
      if (statusOf(err) === 404) return { running: false, reason: 'its container is gone' };
      throw err;
    }
  }

  async list(): Promise<ServerContainer[]> {
    const filters = JSON.stringify({ label: [`${LABEL.hub}=${this.opts.hubName}`, `${LABEL.kind}=server`] });
    const found = await this.docker.listContainers({ all: true, filters });
    const out: ServerContainer[] = [];
    for (const c of found) {
      const user = c.Labels[LABEL.user];
      // Only containers under this hub's own name for that user: a stray one is not ours to adopt.
      if (!user || !c.Names.includes(`/${this.names.container(user)}`)) continue;
      const status: ServerStatus =
        c.State === 'running' ? { running: true } : { running: false, reason: exitReason((await this.docker.getContainer(c.Id).inspect().catch(() => undefined))?.State ?? {}) };
      out.push({ user, container: c.Id, image: c.Labels[LABEL.image] ?? '', created: new Date(c.Created * 1000).toISOString(), status });
    }
    return out;
  }

  async attach(user: string): Promise<RunningServer> {
    const container = this.docker.getContainer(this.names.container(user));
    const info = await container.inspect().catch((err) => {
      if (statusOf(err) === 404) throw new BerthError(500, 'Your server\'s container is gone.', { user });
      throw err;
    });
    if (!info.State.Running) throw new BerthError(500, `Your server stopped: ${exitReason(info.State)}.`, { user });
    const token = info.Config.Env.find((e) => e.startsWith(TOKEN_ENV))?.slice(TOKEN_ENV.length);
    if (!token) throw new BerthError(500, 'Your server\'s container has no token; it was not started by Berth.', { user });
    const target = await this.address(container, user);
    await this.waitUntilAnswers(user, target, token, container);
    return { target, token, container: info.Id };
  }

  watch(onExit: (user: string, container: string, reason: string) => void): () => void {
    let closed = false;
    let stream: NodeJS.ReadableStream | undefined;
    const outOfMemory = new Set<string>();
    const filters = JSON.stringify({ type: ['container'], event: ['die', 'oom'], label: [`${LABEL.hub}=${this.opts.hubName}`, `${LABEL.kind}=server`] });
    const onEvent = async (event: { status?: string; Action?: string; id: string; Actor?: { Attributes?: Record<string, string> } }) => {
      const action = event.Action ?? event.status;
      const user = event.Actor?.Attributes?.[LABEL.user];
      if (!user) return;
      if (action === 'oom') {
        outOfMemory.add(event.id);
        return;
      }
      const state = (await this.docker.getContainer(event.id).inspect().catch(() => undefined))?.State;
      const exitCode = Number(event.Actor?.Attributes?.exitCode);
      const reason = exitReason({ OOMKilled: outOfMemory.delete(event.id) || state?.OOMKilled, ExitCode: state?.ExitCode ?? exitCode });
      onExit(user, event.id, reason);
    };
    const connect = () => {
      if (closed) return;
      this.docker.getEvents({ filters }).then(
        (s) => {
          stream = s;
          let buffer = '';
          s.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line) onEvent(JSON.parse(line)).catch((err) => this.log.warn('could not handle a Docker event', { err }));
            }
          });
          s.on('end', () => setTimeout(connect, 1000).unref());
          s.on('error', () => undefined);
        },
        (err) => {
          this.log.warn('cannot follow Docker events; retrying', { err: (err as Error).message });
          setTimeout(connect, 2000).unref();
        },
      );
    };
    connect();
    return () => {
      closed = true;
      (stream as unknown as { destroy?: () => void })?.destroy?.();
    };
  }

  async removeHome(user: string): Promise<void> {
    await this.docker.getVolume(this.names.volume(user)).remove().catch(ignoreStatus(404));
  }

  private async removeContainer(user: string): Promise<void> {
    await this.docker.getContainer(this.names.container(user)).remove({ force: true }).catch(ignoreStatus(404, 409));
  }

  private async ensureVolume(user: string): Promise<void> {
    // Creating an existing volume returns it unchanged, so this is idempotent.
    await this.docker.createVolume({ Name: this.names.volume(user), Labels: this.names.labels('home', user) });
  }

  private create(user: string, image: CatalogueImage, token: string): Promise<Docker.Container> {
    const { network } = this.opts;
    const { memory, cpu, pids } = image.limits;
    const access = this.access;
    return this.docker.createContainer({
      name: this.names.container(user),
      Image: image.imageId,
      User: SERVER_USER,
      Env: [`${TOKEN_ENV}${token}`, `BERTH_BASE_URL=/user/${user}/`, `BERTH_USER=${user}`],
      Labels: { ...this.names.labels('server', user), [LABEL.image]: image.id },
      ExposedPorts: { [`${SERVER_PORT}/tcp`]: {} },
      HostConfig: {
        Init: true,
        Mounts: [{ Type: 'volume', Source: this.names.volume(user), Target: HOME }],
        NetworkMode: network,
        ...(access === 'port' ? { PortBindings: { [`${SERVER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
        Memory: memory,
        MemorySwap: memory,
        NanoCpus: Math.round(cpu * 1e9),
        PidsLimit: pids,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Privileged: false,
        RestartPolicy: { Name: 'no' },
      },
    });
  }

  private async address(container: Docker.Container, user: string): Promise<string> {
    if (this.access === 'network') return `http://${this.names.container(user)}:${SERVER_PORT}`;
    const info = await container.inspect();
    const port = info.NetworkSettings.Ports?.[`${SERVER_PORT}/tcp`]?.[0]?.HostPort;
    if (!port) {
      // A container that already exited has no ports: say why it exited.
      await this.failIfDead(user, container);
      throw new BerthError(500, 'Your server started without a published port; an admin should check the Docker engine.', { user });
    }
    return `http://127.0.0.1:${port}`;
  }

  /** Polls the server's status API with its token until it answers 200, it dies, or time is up. */
  private async waitUntilAnswers(
    user: string,
    target: string,
    token: string,
    container: Docker.Container,
    signal?: AbortSignal,
    onProgress: (e: ProgressEvent) => void = () => undefined,
  ): Promise<void> {
    const url = `${target}/user/${user}/api/status`;
    const begun = Date.now();
    const deadline = begun + this.opts.httpTimeoutMs;
    let reported = 0;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new BerthError(409, 'The start was cancelled.');
      if ((await httpStatus(url, { authorization: `token ${token}` })) === 200) return;
      if (attempt % 25 === 24) await this.failIfDead(user, container); // about every half second
      const waited = Date.now() - begun;
      if (Date.now() > deadline) {
        throw new BerthError(500, `Your server did not answer within ${this.opts.httpTimeoutMs / 1000} s (HUB_HTTP_TIMEOUT). Its last log lines:\n${await this.lastLogs(container)}`, { user });
      }
      if (waited - reported >= 1000) {
        reported = waited;
        onProgress({ progress: 60 + 35 * Math.min(1, waited / this.opts.httpTimeoutMs), message: `Waiting for the notebook server to answer (${Math.round(waited / 1000)} s)` });
      }
      await sleep(READY_POLL_MS);
    }
  }

  private async failIfDead(user: string, container: Docker.Container): Promise<void> {
    const info = await container.inspect().catch(() => undefined);
    if (info?.State.Running) return;
    const logs = await this.lastLogs(container);
    throw new BerthError(500, `Your server stopped while starting: ${exitReason(info?.State ?? {})}. Its last log lines:\n${logs}`, { user });
  }

  private async lastLogs(container: Docker.Container): Promise<string> {
    try {
      const buf = (await container.logs({ stdout: true, stderr: true, tail: 20, follow: false })) as unknown as Buffer;
      return demuxLogs(buf).trim();
    } catch {
      return '(no logs)';
    }
  }

  private async ensureNetwork(isolated: boolean): Promise<void> {
    const { network } = this.opts;
    const ICC = 'com.docker.network.bridge.enable_icc';
    try {
      const info = await this.docker.getNetwork(network).inspect();
      const blocksTraffic = info.Options?.[ICC] === 'false';
      if (isolated && !blocksTraffic) this.log.warn('network lets user containers reach each other; they still need each other\'s tokens', { network });
      if (!isolated && blocksTraffic) {
        throw new BerthError(500, `Network ${network} blocks traffic between containers, so the hub could not reach user servers on it; set HUB_NETWORK to another name.`);
      }
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await this.docker
        .createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: this.names.labels('network'), Options: isolated ? { [ICC]: 'false' } : {} })
        .catch(ignoreStatus(409));
      this.log.info('created network', { network, isolated });
    }
  }

  /** The hub in a container joins the network its users' containers are on, to reach them by name. */
  private async joinNetwork(): Promise<void> {
    const self = os.hostname();
    try {
      await this.docker.getNetwork(this.opts.network).connect({ Container: self });
      this.log.info('joined network', { network: this.opts.network, container: self });
    } catch (err) {
      const status = statusOf(err);
      if (status === 403 || status === 409 || /already exists/.test(String(err))) return; // already on it
      if (status === 404) {
        throw new BerthError(500, `HUB_SERVER_ACCESS=network needs the hub to run in a container, but container '${self}' was not found; use HUB_SERVER_ACCESS=port on the host.`);
      }
      throw err;
    }
  }
}
