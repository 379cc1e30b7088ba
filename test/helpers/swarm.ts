/**
 * A real Docker Swarm on this one machine for the multi-node tests: three Docker-in-Docker nodes
 * (test/swarm-node) on a network of the test's own, one manager and two workers, and a registry
 * (Debian's docker-registry) they pull from by name, and a folder of this machine that every node
 * sees at the same path (storage all nodes reach, as NFS would be). Everything carries the label
 * berth.test and is removed by `stop()`. Traffic goes only to these containers, by the addresses Docker reports.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { ROOT } from '../../src/paths';
import { mustRun } from './run';
import { eventually } from './wait';

export const NODE_IMAGE = 'berth-test/swarm-node';
const TEST_LABEL = 'berth.test';

export interface SwarmNode {
  name: string;
  ip: string;
  /** Its engine's API, tcp:// on the test network. */
  url: string;
  docker: Docker;
  id: string;
}

export interface TestSwarm {
  nodes: SwarmNode[];
  manager: SwarmNode;
  /** host:port of the registry the nodes pull from (HUB_REGISTRY). */
  registry: string;
  /** A folder every node sees at `sharedOnNodes`: its path on this machine. */
  shared: string;
  sharedOnNodes: string;
  /** Copies an image from this machine's engine to the manager's (where the hub builds and pushes). */
  load(image: string): Promise<void>;
  /** Puts an image of this machine into the registry, as <registry>/<image>, for every node to pull. */
  publish(image: string): Promise<string>;
  /** Kills a node's container, as a machine that dies. */
  kill(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The node image, built once (Debian's docker.io in Debian bookworm). */
export async function buildNodeImage(): Promise<void> {
  await mustRun('docker', ['build', '-q', '-t', NODE_IMAGE, path.join(ROOT, 'test', 'swarm-node')], {
    timeoutMs: 600_000,
  });
}

function ipOf(name: string): string {
  return execFileSync('docker', ['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name])
    .toString()
    .trim();
}

export async function startSwarm(prefix: string, count = 3): Promise<TestSwarm> {
  await buildNodeImage();
  const network = `${prefix}-net`;
  const registryName = `${prefix}-registry`;
  await mustRun('docker', ['network', 'create', '--label', `${TEST_LABEL}=${prefix}`, network]);
  await mustRun('docker', [
    'run',
    '-d',
    '--name',
    registryName,
    '--label',
    `${TEST_LABEL}=${prefix}`,
    '--network',
    network,
    '-v',
    '/usr/bin/docker-registry:/usr/bin/docker-registry:ro',
    '-v',
    `${path.join(ROOT, 'test', 'swarm-node', 'registry.yml')}:/etc/registry.yml:ro`,
    'debian:bookworm',
    'docker-registry',
    'serve',
    '/etc/registry.yml',
  ]);
  const registry = `${registryName}:5000`;
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-shared-`));
  const sharedOnNodes = '/srv/berth-shared';
  const nodes: SwarmNode[] = [];
  for (let i = 1; i <= count; i++) {
    const name = `${prefix}-node${i}`;
    // The flags that run a Docker engine in a container where --privileged is refused.
    await mustRun('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--hostname',
      name,
      '--label',
      `${TEST_LABEL}=${prefix}`,
      '--cap-add',
      'ALL',
      '--cap-drop',
      'SYS_RESOURCE',
      '--security-opt',
      'seccomp=unconfined',
      '--security-opt',
      'apparmor=unconfined',
      '--security-opt',
      'systempaths=unconfined',
      '--tmpfs',
      '/run',
      '-v',
      '/sys/fs/cgroup:/sys/fs/cgroup:rw',
      '-v',
      `${shared}:${sharedOnNodes}`,
      '--network',
      network,
      NODE_IMAGE,
      'dockerd',
      '-H',
      'unix:///var/run/docker.sock',
      '-H',
      'tcp://0.0.0.0:2375',
      '--tls=false',
      '--insecure-registry',
      registry,
    ]);
    const ip = ipOf(name);
    const docker = new Docker({ host: ip, port: 2375, protocol: 'http' });
    nodes.push({ name, ip, url: `tcp://${ip}:2375`, docker, id: '' });
  }
  for (const node of nodes)
    await eventually(
      () =>
        node.docker.ping().then(
          () => true,
          () => false,
        ),
      `the Docker engine of ${node.name} answers`,
      60_000,
    );
  const [manager, ...workers] = nodes;
  await manager.docker.swarmInit({ ListenAddr: '0.0.0.0:2377', AdvertiseAddr: manager.ip });
  const tokens = ((await manager.docker.swarmInspect()) as { JoinTokens: { Worker: string } }).JoinTokens;
  for (const w of workers)
    await w.docker.swarmJoin({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: w.ip,
      RemoteAddrs: [`${manager.ip}:2377`],
      JoinToken: tokens.Worker,
    });
  const listed = (await manager.docker.listNodes()) as Array<{ ID: string; Description?: { Hostname?: string } }>;
  for (const node of nodes) node.id = listed.find((n) => n.Description?.Hostname === node.name)?.ID ?? '';
  async function load(image: string): Promise<void> {
    // docker save | docker -H manager load
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', image], { stdio: ['ignore', 'pipe', 'inherit'] });
      const loading = spawn('docker', ['-H', manager.url, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
      save.stdout.pipe(loading.stdin);
      loading.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`loading ${image} failed (${code})`))));
    });
  }

  return {
    nodes,
    manager,
    registry,
    shared,
    sharedOnNodes,
    load,
    async publish(image) {
      await load(image);
      const [repo, tag = 'latest'] = image.split(':');
      await manager.docker.getImage(image).tag({ repo: `${registry}/${repo}`, tag });
      const stream = await manager.docker
        .getImage(`${registry}/${repo}:${tag}`)
        .push({ authconfig: { serveraddress: registry } });
      await new Promise<void>((resolve, reject) =>
        manager.docker.modem.followProgress(stream, (err: Error | null, events: Array<{ error?: string }>) => {
          const failed = err?.message ?? events.find((e) => e.error)?.error;
          if (failed) reject(new Error(`pushing ${image}: ${failed}`));
          else resolve();
        }),
      );
      return `${registry}/${repo}:${tag}`;
    },
    async kill(name) {
      await mustRun('docker', ['kill', name]);
    },
    async stop() {
      const names = [...nodes.map((n) => n.name), registryName];
      await mustRun('docker', ['rm', '-f', '-v', ...names]).catch(() => undefined);
      await mustRun('docker', ['network', 'rm', network]).catch(() => undefined);
      fs.rmSync(shared, { recursive: true, force: true });
    },
  };
}
