/**
 * The network user servers run on. A hub on the host reaches each server through its port on
 * 127.0.0.1, so its servers share a network that blocks traffic between containers; a hub in a
 * container reaches them by name, so it joins theirs. A network that does not fit is refused,
 * never used: one hub must not weaken another's isolation.
 */
import os from 'node:os';
import type Docker from 'dockerode';
import { BerthError, statusOf } from '../errors';
import type { Logger } from '../log';
import { SERVER_PORT } from './docker-container';

export type ServerAccess = 'port' | 'network';

const ICC = 'com.docker.network.bridge.enable_icc';

/** The container this process runs in, if the engine we talk to runs it (its hostname is our id). */
async function ownContainer(docker: Docker): Promise<string | undefined> {
  try {
    const info = await docker.getContainer(os.hostname()).inspect();
    return info.Config.Hostname === os.hostname() && info.State.Running ? info.Id : undefined;
  } catch {
    return undefined;
  }
}

/** HUB_SERVER_ACCESS, with auto decided: network when this process runs in a container of the engine. */
export async function serverAccess(docker: Docker, wanted: 'auto' | ServerAccess): Promise<ServerAccess> {
  if (wanted !== 'auto') return wanted;
  return (await ownContainer(docker)) ? 'network' : 'port';
}

export interface NetworkPlan {
  network: string;
  access: ServerAccess;
  /** No route out (servers of a group with the internet off); the hub still reaches them. */
  internal?: boolean;
  /** Containers on it reach each other whatever the access (a group's servers and its database). */
  shared?: boolean;
  /** Labels of a network this hub creates. */
  labels: Record<string, string>;
  log: Logger;
}

/**
 * Where servers reach the hub's API: `bind` is the address the hub listens on, `host` the name
 * servers are given for it. For a hub in a container that is its container's name, which Docker's
 * DNS follows when the hub comes back with another address (an address could meanwhile be a
 * user's container's); the network's gateway does not move.
 */
export interface HubOnNetwork {
  bind: string;
  host: string;
}

/**
 * Makes sure `plan.network` exists with the isolation the access needs, and joins it from a
 * container. Resolves where servers reach the hub there: the network's gateway for a hub on the
 * host, the hub's own container for a hub in a container.
 */
export async function prepareNetwork(docker: Docker, plan: NetworkPlan): Promise<HubOnNetwork> {
  const { network, access, log } = plan;
  const isolated = access === 'port' && plan.shared !== true;
  const internal = plan.internal === true;
  try {
    const info = await docker.getNetwork(network).inspect();
    const blocksTraffic = info.Options?.[ICC] === 'false';
    if (internal && !info.Internal)
      throw new BerthError(
        500,
        `Network ${network} has a route out, and servers with the internet off must not; remove it ` +
          `(docker network rm ${network}) and Berth makes it again, internal.`,
      );
    if (isolated && !blocksTraffic) {
      throw new BerthError(
        500,
        `Network ${network} lets containers reach each other, and user servers of a hub on the host must not ` +
          `share such a network; set HUB_NETWORK to another name, or remove it (docker network rm ${network}).`,
      );
    }
    if (!isolated && blocksTraffic) {
      throw new BerthError(
        500,
        `Network ${network} blocks traffic between containers, so the hub could not reach user servers on it; ` +
          'set HUB_NETWORK to another name.',
      );
    }
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    const options: Record<string, string> = isolated ? { [ICC]: 'false' } : {};
    await docker
      .createNetwork({
        Name: network,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: internal,
        Labels: plan.labels,
        Options: options,
      })
      .catch((e: unknown) => {
        if (statusOf(e) !== 409) throw e;
      });
    log.info('created network', { network, isolated, internal });
  }
  if (access === 'network') {
    await joinNetwork(docker, network, log);
    const self = await docker.getContainer(os.hostname()).inspect();
    const address = self.NetworkSettings.Networks?.[network]?.IPAddress;
    if (address) return { bind: address, host: self.Name.replace(/^\//, '') };
    throw new BerthError(500, `The hub's container has no address on network ${network}.`);
  }
  const gateway = (await docker.getNetwork(network).inspect()).IPAM?.Config?.[0]?.Gateway;
  if (gateway) return { bind: gateway, host: gateway };
  throw new BerthError(500, `Network ${network} has no gateway, so servers on it could not reach the hub.`);
}

/** The hub in a container joins the network its users' containers are on, to reach them by name. */
async function joinNetwork(docker: Docker, network: string, log: Logger): Promise<void> {
  const self = os.hostname();
  try {
    await docker.getNetwork(network).connect({ Container: self });
    log.info('joined network', { network, container: self });
  } catch (err) {
    const status = statusOf(err);
    if (status === 403 || status === 409 || /already exists/.test(String(err))) return; // already on it
    if (status === 404) {
      throw new BerthError(
        500,
        `HUB_SERVER_ACCESS=network needs the hub to run in a container, but container '${self}' was not found; ` +
          'use HUB_SERVER_ACCESS=port on the host.',
      );
    }
    throw err;
  }
}

/** The network of servers with the internet off (internal: no route out), and the hub's API there. */
export interface OfflineNetwork {
  /** '' when it could not be made: those starts are refused, saying so. */
  network: string;
  apiUrl: string;
  bind?: string;
}

export const NO_OFFLINE: OfflineNetwork = { network: '', apiUrl: '' };

/** `<network>-offline`, internal; a hub that cannot make it still serves everyone else, and logs why. */
export async function prepareOffline(docker: Docker, plan: NetworkPlan, apiPort: number): Promise<OfflineNetwork> {
  const network = `${plan.network}-offline`;
  try {
    const hub = await prepareNetwork(docker, { ...plan, network, internal: true });
    return { network, apiUrl: `http://${hub.host}:${apiPort}/hub/api`, bind: hub.bind };
  } catch (err) {
    plan.log.error('servers with the internet off cannot start', { network, reason: (err as Error).message });
    return NO_OFFLINE;
  }
}

/**
 * Where the hub and the proxy reach a server: by name on its network for a hub in a container;
 * else its port on 127.0.0.1, or, on a network with no route out (where Docker publishes no
 * port), its own address there, which the host reaches.
 */
export async function serverAddress(
  container: Docker.Container,
  where: { access: ServerAccess; name: string; offlineNetwork: string },
): Promise<string | undefined> {
  if (where.access === 'network') return `http://${where.name}:${SERVER_PORT}`;
  const info = await container.inspect();
  const port = info.NetworkSettings.Ports?.[`${SERVER_PORT}/tcp`]?.[0]?.HostPort;
  if (port) return `http://127.0.0.1:${port}`;
  const offline = info.NetworkSettings.Networks?.[where.offlineNetwork]?.IPAddress;
  return offline ? `http://${offline}:${SERVER_PORT}` : undefined;
}
