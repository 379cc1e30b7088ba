/**
 * Named fake spawners for the fast tests, as JupyterHub's mocking.py has them: each keeps its
 * "containers" in memory and honours the whole Spawner contract (progress, cancellation, gone is
 * a state, safe twice), so the lifecycle runs against it exactly as against DockerSpawner.
 *
 *   FakeSpawner      starts at once
 *   SlowSpawner      takes `ms` to start, reporting its stages
 *   NeverSpawner     never gets ready (until the start is cancelled)
 *   FailingSpawner   every start fails, as a crashing image does
 *   DyingSpawner     starts, then its server dies `afterMs` later (out of memory)
 */
import { randomBytes } from 'node:crypto';
import { BerthError } from '../../src/errors';
import type {
  GroupDatabase,
  GroupDatabases,
  Prepared,
  RunningServer,
  ServerContainer,
  ServerStatus,
  Spawner,
  SpawnRequest,
  StartProgress,
} from '../../src/spawner/spawner';
import type { DatabaseSecrets } from '../../src/store/database-secrets';

interface FakeContainer {
  id: string;
  user: string;
  image: string;
  created: string;
  token: string;
  status: ServerStatus;
}

type ExitListener = (user: string, container: string, reason: string) => void;

/** Groups' databases in memory: which groups run one, and each member's role with the password it was given. */
export class FakeDatabases implements GroupDatabases {
  readonly roles = new Map<string, Map<string, string>>();

  async open(group: string, user: string, secrets: DatabaseSecrets): Promise<GroupDatabase> {
    const roles = this.roles.get(group) ?? new Map<string, string>();
    roles.set(user, secrets.member);
    this.roles.set(group, roles);
    return { network: `fake-postgres-${group}`, host: 'postgres', port: 5432, database: group, role: user };
  }

  async revoke(group: string, users: string[]): Promise<void> {
    for (const user of users) this.roles.get(group)?.delete(user);
  }

  async close(group: string): Promise<void> {
    this.roles.delete(group);
  }
}

export class FakeSpawner implements Spawner {
  /** None: like a swarm, no group databases; set one to have them. */
  databases?: FakeDatabases;
  readonly containers = new Map<string, FakeContainer>();
  /** Every call, in order, e.g. "start alice", "stop alice". */
  readonly calls: string[] = [];
  /** Every start's request, in order: the image (with its limits) and the groups' grants. */
  readonly requests: SpawnRequest[] = [];
  readonly homes = new Set<string>();
  private readonly listeners = new Set<ExitListener>();
  /** Set false to play an engine that does not answer. */
  engineUp = true;

  async prepare(): Promise<Prepared> {
    this.calls.push('prepare');
    return { serverApiHost: '127.0.0.1' };
  }

  async ping(): Promise<void> {
    if (!this.engineUp) throw new Error('connect ENOENT /var/run/docker.sock');
  }

  async start(request: SpawnRequest, report: (p: StartProgress) => void = () => undefined): Promise<RunningServer> {
    const { user, image } = request;
    this.calls.push(`start ${user}`);
    this.requests.push(request);
    this.containers.delete(user);
    this.homes.add(user);
    report({ stage: 'creating', message: `Creating your container from ${image.title}` });
    await this.boot(request, report);
    const container: FakeContainer = {
      id: randomBytes(8).toString('hex'),
      user,
      image: image.id,
      created: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
      status: { running: true },
    };
    this.containers.set(user, container);
    this.afterStart(container);
    return { target: `http://127.0.0.1:9/${user}`, token: container.token, container: container.id };
  }

  /** What happens between creating and answering: nothing, here. */
  protected async boot(_request: SpawnRequest, _report: (p: StartProgress) => void): Promise<void> {}

  protected afterStart(_container: FakeContainer): void {}

  async stop(user: string): Promise<void> {
    this.calls.push(`stop ${user}`);
    this.containers.delete(user);
  }

  async poll(user: string): Promise<ServerStatus> {
    return this.containers.get(user)?.status ?? { running: false, reason: 'its container is gone' };
  }

  async list(): Promise<ServerContainer[]> {
    return [...this.containers.values()].map(({ id, user, image, created, status }) => ({
      user,
      container: id,
      image,
      created,
      status,
    }));
  }

  async attach(user: string): Promise<RunningServer> {
    const c = this.containers.get(user);
    if (!c?.status.running) throw new BerthError(500, "Your server's container is gone.");
    return { target: `http://127.0.0.1:9/${user}`, token: c.token, container: c.id };
  }

  watch(onExit: ExitListener): () => void {
    this.listeners.add(onExit);
    return () => this.listeners.delete(onExit);
  }

  async removeHome(user: string): Promise<boolean> {
    this.homes.delete(user);
    return true;
  }

  /** Plays a container that exits by itself, as Docker's `die` event reports it. */
  die(user: string, reason = 'it ran out of memory (HUB_MEM_LIMIT)'): void {
    const c = this.containers.get(user);
    if (!c) return;
    c.status = { running: false, reason };
    for (const listener of this.listeners) listener(user, c.id, reason);
  }

  /** Plays a running container that the hub does not know of (an earlier hub started it). */
  leftRunning(user: string, image = 'python'): FakeContainer {
    const c: FakeContainer = {
      id: randomBytes(8).toString('hex'),
      user,
      image,
      created: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
      status: { running: true },
    };
    this.containers.set(user, c);
    return c;
  }
}

/** Rejects with the cancellation error once `signal` aborts. */
function cancelled(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new BerthError(409, 'The start was cancelled.'));
    if (signal?.aborted) fail();
    else signal?.addEventListener('abort', fail, { once: true });
  });
}

export class SlowSpawner extends FakeSpawner {
  constructor(private readonly ms: number) {
    super();
  }

  protected override async boot(request: SpawnRequest, report: (p: StartProgress) => void): Promise<void> {
    report({ stage: 'starting', message: 'Starting your container' });
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((r) => (timer = setTimeout(r, this.ms)));
    report({ stage: 'answering', message: 'Waiting for the notebook server to answer', done: 0.5 });
    try {
      await Promise.race([waited, cancelled(request.signal)]);
    } finally {
      clearTimeout(timer);
    }
  }
}

export class NeverSpawner extends FakeSpawner {
  protected override async boot(request: SpawnRequest): Promise<void> {
    await cancelled(request.signal);
  }
}

export class FailingSpawner extends FakeSpawner {
  protected override async boot(): Promise<void> {
    throw new BerthError(
      500,
      'Your server stopped while starting: it exited with code 1. Its last log lines:\nImportError',
    );
  }
}

export class DyingSpawner extends FakeSpawner {
  constructor(private readonly afterMs: number) {
    super();
  }

  protected override afterStart(container: FakeContainer): void {
    setTimeout(() => this.die(container.user), this.afterMs).unref();
  }
}
