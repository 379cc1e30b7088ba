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
import { demuxLogs, ignoreStatus, onEngine } from './docker-server';
import { CHECK_SCRIPT, RESULT_MARKER, RUN_SCRIPT } from './job-script';
import { LABEL, type Naming } from './naming';
import type { JobExit, JobRunner, JobSpec } from './spawner';

export const JOB_LABEL = 'berth.job';
/** A finished job's log is kept up to this many bytes (its end, where the error is). */
export const LOG_LIMIT = 256 * 1024;

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
        const exit = await this.ended(container);
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
    return onEngine(async () => tail(await this.output(this.docker.getContainer(id)), bytes));
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
        .filter((c) => c.Labels[JOB_LABEL] && c.Labels[JOB_LABEL] !== 'check')
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
      Entrypoint: ['python3', '-c', script],
      Cmd: [],
      ExposedPorts: {},
      Labels: { ...this.opts.names.labels('job', spec.user), [JOB_LABEL]: spec.id },
    };
  }

  private async ended(container: Docker.Container): Promise<JobExit> {
    await container.wait();
    const [info, log] = await Promise.all([container.inspect(), this.output(container)]);
    const line = log
      .split('\n')
      .reverse()
      .find((l) => l.startsWith(RESULT_MARKER));
    const result = line
      ? (JSON.parse(line.slice(RESULT_MARKER.length)) as { ok: boolean; error?: string | null })
      : undefined;
    const oom = info.State.OOMKilled === true;
    const ok = result?.ok === true && info.State.ExitCode === 0;
    const error = ok ? undefined : (result?.error ?? undefined);
    return { ok, error, oom, log: tail(log, LOG_LIMIT) };
  }

  private async output(container: Docker.Container): Promise<string> {
    const buf = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return demuxLogs(buf);
  }
}

const quiet = () => undefined;

function tail(text: string, bytes: number): string {
  return text.length > bytes ? text.slice(-bytes) : text;
}
