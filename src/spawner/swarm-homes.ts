/**
 * Homes on a swarm: a user's home volume lives on the node their server first ran on, and their
 * service is constrained to that node from then on, so their files follow them across starts.
 * Which node that is is kept in the swarm itself, as a config object per user (cluster-wide, on
 * every manager, labelled like everything else of this hub): Docker stays the truth.
 */
import type Docker from 'dockerode';
import type { Logger } from '../log';
import { ignoreStatus } from './docker-server';
import type { Naming } from './naming';

const NODE_LABEL = 'berth.node';

export class SwarmHomes {
  constructor(
    private readonly docker: Docker,
    private readonly names: Naming,
    private readonly hubName: string,
  ) {}

  private configName(user: string): string {
    return `${this.names.volume(user)}-node`;
  }

  /** The node that keeps the user's home, if their server ran before. */
  async node(user: string): Promise<string | undefined> {
    const name = this.configName(user);
    const found = (await this.docker.listConfigs({ filters: JSON.stringify({ name: [name] }) })) as Array<{
      Spec?: { Name?: string; Labels?: Record<string, string> };
    }>;
    return found.find((c) => c.Spec?.Name === name)?.Spec?.Labels?.[NODE_LABEL];
  }

  /** Placement constraints that keep the server with its home. */
  async constraints(user: string): Promise<string[]> {
    const node = await this.node(user);
    return node ? [`node.id==${node}`] : [];
  }

  /** Notes that the user's home is on `nodeId` (the first time it is made there). */
  async remember(user: string, nodeId: string): Promise<void> {
    if (await this.node(user)) return;
    await this.docker
      .createConfig({
        Name: this.configName(user),
        Labels: { ...this.names.labels('home', user), [NODE_LABEL]: nodeId },
        Data: Buffer.from(nodeId).toString('base64'),
      })
      .catch(ignoreStatus(409));
  }

  /**
   * Forgets where the home is. The volume itself stays on its node: a manager cannot remove a
   * volume on another node, so the log says where it is.
   */
  async forget(user: string, log: Logger): Promise<void> {
    const node = await this.node(user);
    await this.docker.getConfig(this.configName(user)).remove().catch(ignoreStatus(404));
    if (node)
      log.warn('the home volume stays on its node; remove it there with `docker volume rm`', {
        user,
        hub: this.hubName,
        node,
        volume: this.names.volume(user),
      });
  }
}
