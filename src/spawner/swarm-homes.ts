/**
 * Homes on a swarm: a user's home volume lives on the node their server first ran on, and their
 * service is constrained to that node from then on, so their files follow them across starts
 * (unless homes are on storage every node reaches, HUB_HOME_VOLUME_OPTIONS: then none of this).
 * Which node that is is kept in the swarm itself, as a config object per user (cluster-wide, on
 * every manager, labelled like everything else of this hub): Docker stays the truth. A move of
 * the home holds a second config as its lock, which a start respects.
 */
import type Docker from 'dockerode';
import { BerthError } from '../errors';
import type { Logger } from '../log';
import { ignoreStatus } from './docker-server';
import { type HomeVolume, spansNodes } from './home-volume';
import type { Naming } from './naming';
import { cannotRunOn, swarmNodes } from './swarm-tasks';

const NODE_LABEL = 'berth.node';
const SINCE_LABEL = 'berth.since';
/** A move lock older than this was left by a move that died; the next move takes it over. */
const STALE_MOVE_MS = 2 * 60 * 60_000;

interface ConfigEntry {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

export class SwarmHomes {
  constructor(
    private readonly docker: Docker,
    private readonly names: Naming,
    private readonly hubName: string,
    readonly volume: HomeVolume,
  ) {}

  /** Homes every node reaches: a server may start anywhere, and there is nothing to move. */
  get shared(): boolean {
    return spansNodes(this.volume);
  }

  private configName(user: string): string {
    return `${this.names.volume(user)}-node`;
  }

  private lockName(user: string): string {
    return `${this.names.volume(user)}-moving`;
  }

  private async config(name: string): Promise<ConfigEntry | undefined> {
    const found = (await this.docker.listConfigs({ filters: JSON.stringify({ name: [name] }) })) as ConfigEntry[];
    return found.find((c) => c.Spec?.Name === name);
  }

  /** The node that keeps the user's home, if their server ran before. */
  async node(user: string): Promise<string | undefined> {
    return (await this.config(this.configName(user)))?.Spec?.Labels?.[NODE_LABEL];
  }

  /** Placement constraints that keep the server with its home; a 503 saying why when its node cannot run it. */
  async constraints(user: string): Promise<string[]> {
    const id = this.shared ? undefined : await this.node(user);
    if (!id) return [];
    const node = (await swarmNodes(this.docker)).find((n) => n.id === id);
    const why = node ? cannotRunOn(node) : `its node ${id} has left the swarm`;
    if (why) throw new BerthError(503, `Your server cannot start where your files are: ${why}. Ask an admin.`);
    return [`node.id==${id}`];
  }

  /** Notes that the user's home is on `nodeId` (the first time it is made there). */
  async remember(user: string, nodeId: string): Promise<void> {
    if (this.shared || (await this.node(user))) return;
    await this.create(this.configName(user), user, nodeId).catch(ignoreStatus(409));
  }

  private create(name: string, user: string, nodeId: string) {
    return this.docker.createConfig({
      Name: name,
      Labels: { ...this.names.labels('home', user), [NODE_LABEL]: nodeId, [SINCE_LABEL]: new Date().toISOString() },
      // The node is in the label, which a move changes in place; configs' data cannot change.
      Data: Buffer.from(user).toString('base64'),
    });
  }

  /** The home now lives on `nodeId` (a move copied and checked it there): its labels change in place, at once. */
  async relocate(user: string, nodeId: string): Promise<void> {
    const config = this.docker.getConfig(this.configName(user));
    const { Version, Spec } = (await config.inspect()) as {
      Version: { Index: number };
      Spec: { Labels?: Record<string, string> };
    };
    const Labels = { ...Spec.Labels, [NODE_LABEL]: nodeId, [SINCE_LABEL]: new Date().toISOString() };
    await config.update({ _query: { version: Version.Index }, _body: { ...Spec, Labels } });
  }

  /** Takes the user's move lock (a config: creating one is atomic across hubs and CLIs). */
  async beginMove(user: string, nodeId: string): Promise<void> {
    const held = await this.config(this.lockName(user));
    const since = held?.Spec?.Labels?.[SINCE_LABEL] ?? '';
    if (held && Date.now() - Date.parse(since) < STALE_MOVE_MS)
      throw new BerthError(
        409,
        `${user}'s home is being moved already (since ${since}); if no move runs, ` +
          `\`docker config rm ${this.lockName(user)}\` clears it.`,
      );
    if (held) await this.docker.getConfig(held.ID).remove().catch(ignoreStatus(404));
    await this.create(this.lockName(user), user, nodeId).catch((err) => {
      ignoreStatus(409)(err);
      throw new BerthError(409, `${user}'s home is being moved already.`);
    });
  }

  async endMove(user: string): Promise<void> {
    await this.docker.getConfig(this.lockName(user)).remove().catch(ignoreStatus(404));
  }

  /** Whether a move of the user's home is under way: their server must not start meanwhile. */
  async moving(user: string): Promise<boolean> {
    return (await this.config(this.lockName(user))) !== undefined;
  }

  /**
   * Forgets where the home is. The volume itself stays on its node: a manager cannot remove a
   * volume on another node, so the log says where it is.
   */
  async forget(user: string, log: Logger): Promise<false> {
    const node = await this.node(user);
    await this.docker.getConfig(this.configName(user)).remove().catch(ignoreStatus(404));
    if (node)
      log.warn('the home volume stays on its node; remove it there with `docker volume rm`', {
        user,
        hub: this.hubName,
        node,
        volume: this.names.volume(user),
      });
    return false;
  }
}
