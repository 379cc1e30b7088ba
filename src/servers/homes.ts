/**
 * The last measured size of each home, measured every HUB_HOME_SIZE_INTERVAL (Docker walks every
 * volume to size it, so the pages and the start check read this, never the engine).
 */
import type { Spawner } from '../spawner/spawner';

export class HomeSizes {
  private sizes = new Map<string, number>();

  constructor(private readonly spawner: Pick<Spawner, 'homeSizes'>) {}

  /** Bytes in `user`'s home at the last measurement; undefined before one, or where the engine cannot say. */
  of(user: string): number | undefined {
    return this.sizes.get(user);
  }

  async measure(): Promise<void> {
    if (this.spawner.homeSizes) this.sizes = await this.spawner.homeSizes();
  }
}
