/**
 * Batch jobs on a swarm: each job a one-task service (never restarted) from the registry's copy
 * of the image, on the node that keeps the user's home and on the user's own overlay network,
 * with a server's limits and no published port; job-script.ts runs in it as on one engine. The
 * service is the job's "container": its logs are read through the manager, and it is removed once
 * the hub has read how it ended.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { CatalogueImage } from '../catalogue/catalogue';
import { BerthError } from '../errors';
import { NO_GRANTS } from '../groups/properties';
import { JOB_LABEL } from './docker-job';
import { demuxLogs, onEngine } from './docker-server';
import type { HomeVolume } from './home-volume';
import { CHECK_SCRIPT, jobExit, RUN_SCRIPT, tail } from './job-script';
import { LABEL, type Naming } from './naming';
import type { JobExit, JobRunner, JobSpec } from './spawner';
import type { SwarmHomes } from './swarm-homes';
import { serverService, swarmName, userNetwork } from './swarm-service';
import { ENDED, newestTask, removeService } from './swarm-tasks';

const POLL_MS = 1000;

export interface SwarmJobsOptions {
  hubName: string;
  names: Naming;
  homes: SwarmHomes;
  homeVolume: HomeVolume;
  /** The image as every node pulls it (built and pushed to the registry first when need be). */
  reference: (image: CatalogueImage) => Promise<string>;
}

export class SwarmJobRunner implements JobRunner {
  constructor(
    private readonly docker: Docker,
    private readonly opts: SwarmJobsOptions,
  ) {}

  check(spec: Pick<JobSpec, 'user' | 'image' | 'notebook'>): Promise<string | undefined> {
    return onEngine(async () => {
      const id = await this.create({ ...spec, id: 'check', output: '', parameters: {} }, CHECK_SCRIPT);
      try {
        const exit = await this.wait(id);
        return exit.ok ? undefined : (exit.error ?? `the notebook could not be read (${exit.log.slice(-200)})`);
      } finally {
        await this.remove(id);
      }
    });
  }

  start(spec: JobSpec): Promise<string> {
    return onEngine(() => this.create(spec, RUN_SCRIPT));
  }

  /** Polls the service's task until it has ended (Swarm has no wait). */
  wait(id: string): Promise<JobExit> {
    return onEngine(async () => {
      for (;;) {
        const task = await newestTask(this.docker, id);
        const state = task?.Status?.State ?? '';
        if (task && ENDED.has(state)) {
          const code = task.Status?.ContainerStatus?.ExitCode ?? (state === 'complete' ? 0 : -1);
          return jobExit(await this.output(id), code, false);
        }
        if (!task && !(await this.exists(id))) throw new Error(`job service ${id} is gone`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    });
  }

  logs(id: string, bytes = 4096): Promise<string> {
    return onEngine(async () => tail(await this.output(id), bytes));
  }

  /** Scales the service to nothing: its task stops, `wait` resolves, the logs stay until `remove`. */
  stop(id: string): Promise<void> {
    return onEngine(async () => {
      const service = this.docker.getService(id);
      const found = (await service.inspect().catch(() => undefined)) as
        | { Version: { Index: number }; Spec: Record<string, unknown> }
        | undefined;
      if (!found) return;
      const body = { ...found.Spec, Mode: { Replicated: { Replicas: 0 } } };
      await service.update({ _query: { version: found.Version.Index }, _body: body }).catch(() => undefined);
    });
  }

  remove(id: string): Promise<void> {
    return onEngine(() => removeService(this.docker, id));
  }

  list(): Promise<Array<{ job: string; container: string; running: boolean }>> {
    return onEngine(async () => {
      const filters = JSON.stringify({ label: [`${LABEL.hub}=${this.opts.hubName}`, `${LABEL.kind}=job`] });
      const services = (await this.docker.listServices({ filters })) as Array<{
        ID: string;
        Spec?: { Labels?: Record<string, string> };
      }>;
      return services
        .map((s) => ({ job: s.Spec?.Labels?.[JOB_LABEL] ?? '', container: s.ID, running: true }))
        .filter((s) => s.job !== '');
    });
  }

  /** A server's service, made a job: the script instead of the notebook server, no port, its own name and labels. */
  private async create(spec: JobSpec, script: string): Promise<string> {
    const { names, homes } = this.opts;
    // A job goes where the home is; before the first server there is no home to run in.
    if (!homes.shared && !(await homes.node(spec.user)))
      throw new BerthError(400, 'notebook: you have no home on this swarm yet; start your server once first.');
    const grants = spec.grants ?? NO_GRANTS;
    const env = [
      ...Object.entries(grants.env).map(([k, v]) => `${k}=${v}`),
      `BERTH_JOB_NOTEBOOK=${spec.notebook}`,
      `BERTH_JOB_OUTPUT=${spec.output}`,
      `BERTH_JOB_PARAMETERS=${JSON.stringify(spec.parameters)}`,
    ];
    const server = serverService(names, {
      user: spec.user,
      image: spec.image,
      reference: await this.opts.reference(spec.image),
      env,
      network: await userNetwork(this.docker, names, spec.user),
      constraints: [
        ...(await homes.constraints(spec.user)),
        ...spec.image.nodeLabels.map((l) => `node.labels.${l.replace('=', '==')}`),
      ],
      home: this.opts.homeVolume,
    }) as Docker.CreateServiceOptions & { TaskTemplate: { ContainerSpec: Record<string, unknown> } };
    const labels = { ...names.labels('job', spec.user), [JOB_LABEL]: spec.id };
    const suffix = spec.id === 'check' ? `check-${randomBytes(4).toString('hex')}` : spec.id;
    const created = await this.docker.createService({
      ...server,
      Name: swarmName(`${names.container(spec.user)}--job-${suffix}`),
      Labels: labels,
      TaskTemplate: {
        ...server.TaskTemplate,
        ContainerSpec: {
          ...server.TaskTemplate.ContainerSpec,
          Command: ['python3', '-I', '-c', script],
          Args: [],
          Labels: labels,
        },
      },
      EndpointSpec: { Mode: 'dnsrr' },
    } as Docker.CreateServiceOptions);
    return (created as { id?: string; ID?: string }).id ?? (created as { ID: string }).ID;
  }

  private async exists(id: string): Promise<boolean> {
    return this.docker
      .getService(id)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  }

  private async output(id: string): Promise<string> {
    const buf = (await this.docker
      .getService(id)
      .logs({ stdout: true, stderr: true, follow: false })
      .catch(() => Buffer.alloc(0))) as unknown as Buffer;
    return demuxLogs(buf);
  }
}
