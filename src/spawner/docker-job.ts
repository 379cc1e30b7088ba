/**
 * Batch jobs on one Docker engine: each job in a fresh container from the user's catalogue image,
 * with a server's hardening and limits, their home and their groups' mounts, no port and no route
 * in the proxy, running job-script.ts. Containers carry `berth.job` and are removed once the hub
 * has read how they ended (the executed notebook stays in the home).
 */
import type Docker from 'dockerode';
import { BerthError } from '../errors';
import { NO_GRANTS } from '../groups/properties';
import { serverContainer } from './docker-container';
import { ensureImage, type ImageSupply } from './docker-image';
import { demuxLogs, ignoreStatus, onEngine, within } from './docker-server';
import { CHECK_SCRIPT, jobExit, RUN_SCRIPT, tail } from './job-script';
import { LABEL, type Naming } from './naming';
import type { JobExit, JobRunner, JobSpec } from './spawner';

export const JOB_LABEL = 'berth.job';
const CHECK_TIMEOUT_MS = 60_000;

export interface DockerJobsOptions {
  hubName: string;
  names: Naming;
  /** Where catalogue images come from when they are not built yet. */
  supply: ImageSupply;
  /** The network servers run on (and the one for the internet off). */
  network: () => { main: string; offline: string };
}

export class DockerJobRunner implements JobRunner {
  constructor(
    private readonly docker: Docker,
    private readonly opts: DockerJobsOptions,
  ) {}

  check(spec: Pick<JobSpec, 'user' | 'image' | 'notebook'>): Promise<string | undefined> {
    return onEngine(async () => {
      const image = await ensureImage(this.opts.supply, spec.image, quiet);
      const container = await this.docker.createContainer({
        ...this.spec({ ...spec, image, id: 'check', output: '', parameters: {} }, CHECK_SCRIPT),
        name: undefined,
      });
      try {
        await container.start();
        const exit = await within(this.ended(container), CHECK_TIMEOUT_MS, () => {
          return new BerthError(503, 'Looking at the notebook took too long; try again, or ask an admin.');
        });
        if (exit.ok) return undefined;
        return exit.error ?? `the notebook could not be read (${exit.log.slice(-200)})`;
      } finally {
        await container.remove({ force: true }).catch(ignoreStatus(404));
      }
    });
  }

  start(spec: JobSpec): Promise<string> {
    return onEngine(async () => {
      const image = await ensureImage(this.opts.supply, spec.image, quiet);
      const container = await this.docker.createContainer(this.spec({ ...spec, image }, RUN_SCRIPT));
      try {
        await container.start();
      } catch (err) {
        await container.remove({ force: true }).catch(ignoreStatus(404));
        throw err;
      }
      return container.id;
    });
  }

  wait(id: string): Promise<JobExit> {
    return onEngine(() => this.ended(this.docker.getContainer(id)));
  }

  logs(id: string, bytes = 4096): Promise<string> {
    return onEngine(async () => tail(await this.output(this.docker.getContainer(id), 400), bytes));
  }

  stop(id: string): Promise<void> {
    return onEngine(async () => {
      await this.docker.getContainer(id).kill().catch(ignoreStatus(404, 409));
    });
  }

  remove(id: string): Promise<void> {
    return onEngine(async () => {
      await this.docker.getContainer(id).remove({ force: true }).catch(ignoreStatus(404, 409));
    });
  }

  list(): Promise<Array<{ job: string; container: string; running: boolean }>> {
    return onEngine(async () => {
      const filters = JSON.stringify({ label: [`${LABEL.hub}=${this.opts.hubName}`, `${LABEL.kind}=job`] });
      const found = await this.docker.listContainers({ all: true, filters });
      return found
        .filter((c) => c.Labels[JOB_LABEL])
        .map((c) => ({ job: c.Labels[JOB_LABEL], container: c.Id, running: c.State === 'running' }));
    });
  }

  /** A server's container, made a job: its script instead of the notebook server, no port, its own name and labels. */
  private spec(spec: JobSpec, script: string): Docker.ContainerCreateOptions {
    const grants = spec.grants ?? NO_GRANTS;
    const offline = grants.network === 'none' || spec.image.network === 'none';
    const networks = this.opts.network();
    if (offline && !networks.offline)
      throw new BerthError(503, 'Jobs with the internet off cannot run here now; the hub log says why.');
    const env = [
      ...Object.entries(grants.env).map(([k, v]) => `${k}=${v}`),
      `BERTH_JOB_NOTEBOOK=${spec.notebook}`,
      `BERTH_JOB_OUTPUT=${spec.output}`,
      `BERTH_JOB_PARAMETERS=${JSON.stringify(spec.parameters)}`,
    ];
    const server = serverContainer(this.opts.names, {
      user: spec.user,
      image: spec.image,
      env,
      network: offline ? networks.offline : networks.main,
      publish: false,
      shared: grants.volumes,
      offline,
    });
    return {
      ...server,
      name: `${this.opts.names.container(spec.user)}--job-${spec.id}`,
      // -I: the home's own json.py or nbformat.py is not what runs.
      Entrypoint: ['python3', '-I', '-c', script],
      Cmd: [],
      ExposedPorts: {},
      Labels: { ...this.opts.names.labels('job', spec.user), [JOB_LABEL]: spec.id },
      HostConfig: {
        ...server.HostConfig,
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '1' } },
      },
    };
  }

  private async ended(container: Docker.Container): Promise<JobExit> {
    await container.wait();
    const [info, log] = await Promise.all([container.inspect(), this.output(container)]);
    return jobExit(log, info.State.ExitCode ?? -1, info.State.OOMKilled === true);
  }

  /** The last `lines` of its log (read from the end: a job may print gigabytes). */
  private async output(container: Docker.Container, lines = 5000): Promise<string> {
    const buf = (await container.logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
    return demuxLogs(buf);
  }
}

const quiet = () => undefined;
