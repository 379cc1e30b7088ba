/**
 * Reading a user's service through its one task: where Swarm is with it (scheduling, pulling on a
 * node, running), why it cannot be placed or why it stopped, in words for its owner, and where a
 * running one is reached (its node's address and published port).
 */
import type Docker from 'dockerode';
import { BerthError } from '../errors';
import { SERVER_PORT } from './docker-container';
import { demuxLogs, ignoreStatus } from './docker-server';
import type { ServerStatus, StartProgress } from './spawner';

export interface Task {
  ID: string;
  ServiceID?: string;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState?: string;
  Status?: {
    State?: string;
    Err?: string;
    Message?: string;
    ContainerStatus?: { ExitCode?: number };
    PortStatus?: { Ports?: Array<{ TargetPort?: number; PublishedPort?: number }> };
  };
}

/** Task states it does not come back from. */
export const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);
const POLL_MS = 250;
const PLACEMENT_GRACE_MS = 10_000;

/** The newest task of service `name`, or undefined (the service or its task is gone). */
export async function newestTask(docker: Docker, name: string): Promise<Task | undefined> {
  return newest((await docker.listTasks({ filters: JSON.stringify({ service: [name] }) })) as Task[]);
}

export function newest(tasks: Task[]): Task | undefined {
  return [...tasks].sort((a, b) => (b.CreatedAt ?? '').localeCompare(a.CreatedAt ?? ''))[0];
}

/** Swarm's stop grace is 10 s; past that the node is most likely gone. */
const STOP_WAIT_MS = 15_000;

/**
 * Removes service `name` once its container has stopped on its node (scaled to nothing first): a
 * server writes its last files as it stops, and a stopped server's home must be at rest to move.
 */
export async function removeService(docker: Docker, name: string): Promise<void> {
  const service = docker.getService(name);
  const found = (await service.inspect().catch(ignoreStatus(404))) as
    | { Version: { Index: number }; Spec: Record<string, unknown> }
    | undefined;
  if (!found) return;
  const body = { ...found.Spec, Mode: { Replicated: { Replicas: 0 } } };
  await service.update({ _query: { version: found.Version.Index }, _body: body }).catch(ignoreStatus(404));
  const until = Date.now() + STOP_WAIT_MS;
  while (Date.now() < until) {
    const task = await newestTask(docker, name);
    if (!task || ENDED.has(task.Status?.State ?? '')) break;
    const node = task.NodeID ? (await swarmNodes(docker)).find((n) => n.id === task.NodeID) : undefined;
    if (node?.state !== 'ready') break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await service.remove().catch(ignoreStatus(404));
}

/** The last lines service `name` logged (its one task's), or '' when there are none. */
export async function serviceLogs(docker: Docker, name: string): Promise<string> {
  const buf = (await docker
    .getService(name)
    .logs({ stdout: true, stderr: true, tail: 20 })
    .catch(() => Buffer.alloc(0))) as unknown as Buffer;
  return demuxLogs(buf).trim();
}

/** How a wait for a server to answer tells that its task stopped, and what the service last logged. */
export function watchingTask(docker: Docker, name: string, user: string) {
  return {
    alive: async () => {
      const task = await newestTask(docker, name);
      if (task?.Status?.State !== 'running')
        throw new BerthError(500, `Your server stopped while starting: ${taskReason(task)}.`, { user });
    },
    logs: async () => (await serviceLogs(docker, name)) || '(no logs)',
  };
}

/** Why a task that does not run stopped (or never ran), in words for its owner. */
export function taskReason(task: Task | undefined): string {
  if (!task) return 'its service is gone';
  const err = task.Status?.Err ?? '';
  const code = task.Status?.ContainerStatus?.ExitCode;
  if (/OOM|out of memory/i.test(err) || code === 137) return 'it was killed, most likely for running out of memory';
  if (code === 143) return 'it was terminated (exit code 143)';
  if (err) return `Swarm says: ${err}`;
  return `its task is ${task.Status?.State ?? 'unknown'}${code === undefined ? '' : ` (exit code ${code})`}`;
}

export interface SwarmNode {
  id: string;
  hostname: string;
  state: string;
  availability: string;
}

export async function swarmNodes(docker: Docker): Promise<SwarmNode[]> {
  const nodes = (await docker.listNodes()) as Array<{
    ID: string;
    Description?: { Hostname?: string };
    Status?: { State?: string };
    Spec?: { Availability?: string };
  }>;
  return nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    state: n.Status?.State ?? 'unknown',
    availability: n.Spec?.Availability ?? 'unknown',
  }));
}

/** Why nothing can run on `node` now, or undefined when something can. */
export function cannotRunOn(node: SwarmNode): string | undefined {
  if (node.state !== 'ready') return `node ${node.hostname} is ${node.state}`;
  if (node.availability !== 'active')
    return (
      `node ${node.hostname} is ${node.availability === 'drain' ? 'drained' : node.availability}, so nothing runs ` +
      `there: make it active (\`docker node update --availability active ${node.hostname}\`), move, then drain it`
    );
  return undefined;
}

/** A server's status from its newest task and the swarm's nodes (a dead node's tasks stay "running"). */
export function taskStatus(task: Task | undefined, nodes: SwarmNode[]): ServerStatus {
  if (!task || ENDED.has(task.Status?.State ?? '')) return { running: false, reason: taskReason(task) };
  const node = nodes.find((n) => n.id === task.NodeID);
  // Only down: after a manager restarts, every node is "unknown" until its next heartbeat.
  if (task.NodeID && (!node || node.state === 'down'))
    return { running: false, reason: `its node ${node?.hostname ?? task.NodeID} is ${node?.state ?? 'gone'}` };
  if (task.DesiredState !== 'running') return { running: false, reason: taskReason(task) };
  return { running: true };
}

/** A task Swarm cannot place: what is missing, said so that an admin knows what to change. */
export function unplaceable(task: Task, constraints: string[]): string | undefined {
  const err = task.Status?.Err ?? '';
  if (task.Status?.State !== 'pending' || !/no suitable node/.test(err)) return undefined;
  // A missing label is what an admin can fix; say it first even when some nodes are also full.
  const labels = constraints.filter((c) => c.startsWith('node.labels.'));
  if (/constraint/.test(err) && labels.length > 0) {
    const needs = labels.map((c) => c.slice('node.labels.'.length).replace('==', '='));
    if (constraints.some((c) => c.startsWith('node.id==')))
      return (
        `The node that keeps your files lacks what this image needs (${needs.join(', ')}): pick another image, ` +
        'or ask an admin to move your home to a node that has it (berth user move).'
      );
    return `No node has what this image needs (${needs.join(', ')}): ${err}.`;
  }
  if (/insufficient resources/.test(err))
    return `No node has enough free memory and CPU for your server right now (${err}). Try a smaller image, or later.`;
  return `No node can run your server: ${err}.`;
}

export interface Placed {
  task: Task;
  /** http://<node address>:<published port>: where the hub and the proxies reach it. */
  target?: string;
  /** The node's hostname. */
  node?: string;
}

/** The address other machines reach node `id` at, and its hostname. */
export async function nodeAddress(docker: Docker, id: string): Promise<{ address: string; hostname: string }> {
  const node = (await docker.getNode(id).inspect()) as {
    Description?: { Hostname?: string };
    Status?: { Addr?: string };
    ManagerStatus?: { Addr?: string };
  };
  const addr = node.Status?.Addr;
  const hostname = node.Description?.Hostname ?? id;
  // A manager may report 0.0.0.0; its manager address says where it is.
  if (addr && addr !== '0.0.0.0') return { address: addr, hostname };
  return { address: (node.ManagerStatus?.Addr ?? '').split(':')[0], hostname };
}

export interface TaskWait {
  name: string;
  constraints: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  report: (progress: StartProgress) => void;
  cancelled: () => void;
}

/** Waits until the service's task runs, reporting scheduling and pulls; rejects saying why it cannot. */
export async function waitUntilRunning(docker: Docker, wait: TaskWait): Promise<Placed> {
  const begun = Date.now();
  let said = '';
  let stuckSince: number | undefined;
  for (;;) {
    wait.cancelled();
    const task = await newestTask(docker, wait.name);
    const state = task?.Status?.State ?? 'new';
    if (task) {
      // Room can free up a moment later (a server that just stopped still holds its reservation):
      // a task that stays unplaceable for PLACEMENT_GRACE_MS fails, saying why, long before the time limit.
      const why = unplaceable(task, wait.constraints);
      stuckSince = why ? (stuckSince ?? Date.now()) : undefined;
      if (why && Date.now() - (stuckSince ?? 0) > PLACEMENT_GRACE_MS) throw new BerthError(503, why);
      if (ENDED.has(state)) throw new BerthError(500, `Your server did not start: ${taskReason(task)}.`);
      if (state === 'running') {
        const port = task.Status?.PortStatus?.Ports?.find((p) => p.TargetPort === SERVER_PORT)?.PublishedPort;
        const node = task.NodeID ? await nodeAddress(docker, task.NodeID) : undefined;
        const target = port && node ? `http://${node.address}:${port}` : undefined;
        return { task, target, node: node?.hostname };
      }
      const message =
        state === 'preparing'
          ? 'A node is fetching the image from the registry'
          : state === 'starting'
            ? 'Starting your server on its node'
            : 'Swarm is placing your server on a node';
      if (message !== said) {
        said = message;
        wait.report({ stage: state === 'starting' ? 'starting' : 'creating', message });
      }
    }
    if (Date.now() - begun > wait.timeoutMs)
      throw new BerthError(
        500,
        `Your server's service did not start within ${wait.timeoutMs / 1000} s (HUB_SPAWN_TIMEOUT).`,
      );
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
