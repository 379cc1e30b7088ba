/**
 * How big each user's home is, from Docker's disk usage of this engine's volumes: one walk of
 * every volume, so it is asked for every few minutes (HUB_HOME_SIZE_INTERVAL), never per request.
 */
import type Docker from 'dockerode';
import { LABEL } from './naming';

interface VolumeUsage {
  Labels?: Record<string, string> | null;
  UsageData?: { Size: number } | null;
}

/** The size in bytes of each of hub `hubName`'s home volumes, by user (those Docker cannot size are left out). */
export async function homeSizes(docker: Docker, hubName: string): Promise<Map<string, number>> {
  const { Volumes: volumes } = (await docker.df()) as { Volumes?: VolumeUsage[] | null };
  const sizes = new Map<string, number>();
  for (const volume of volumes ?? []) {
    const labels = volume.Labels ?? {};
    const user = labels[LABEL.user];
    const size = volume.UsageData?.Size ?? -1;
    if (labels[LABEL.hub] === hubName && labels[LABEL.kind] === 'home' && user && size >= 0) sizes.set(user, size);
  }
  return sizes;
}
