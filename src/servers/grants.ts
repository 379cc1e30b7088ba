/**
 * What a user's groups give their server (groups/properties.ts), read from the groups' stored
 * properties at each start, so that a change applies at the next start: the images they may pick
 * (the rest is a 400), limits over the image's, environment, shared volumes, the network rule.
 */
import type { Catalogue, CatalogueImage } from '../catalogue/catalogue';
import { parseBytes } from '../config/values';
import { badRequest } from '../errors';
import { combine, type Grants, type GroupProperties, NO_GRANTS } from '../groups/properties';
import type { GroupStore } from '../store/groups';

export async function grantsOf(groups: GroupStore | undefined, user: string): Promise<Grants> {
  if (!groups) return NO_GRANTS;
  const names = await groups.groupsOf(user);
  const properties = await Promise.all(names.map((g) => groups.properties(g)));
  return combine(
    names.map((group, i) => ({ group, properties: (properties[i] ?? {}) as GroupProperties })),
    parseBytes,
  );
}

/** The catalogue images `grants` let their holder pick (all of them when the groups say nothing). */
export function offeredTo(images: CatalogueImage[], grants: Grants): CatalogueImage[] {
  return grants.images ? images.filter((i) => grants.images?.includes(i.id)) : images;
}

/** The last image while it is offered, else the hub's default when offered, else the first offered. */
export function choose(
  catalogue: Catalogue,
  offered: CatalogueImage[],
  preferred: string | undefined,
): string | undefined {
  const id = catalogue.pick(offered, preferred);
  return offered.some((i) => i.id === id) ? id : offered[0]?.id;
}

/**
 * The image a start uses: `requested`, which the groups must offer (else a 400 naming what they
 * do); without one, `preferred` (the last one) or the default when offered, else the first offered.
 * Its limits are the groups' where they set some.
 */
export async function pickImage(
  catalogue: Catalogue,
  grants: Grants,
  requested: unknown,
  preferred: string | undefined,
): Promise<CatalogueImage> {
  const allowed = grants.images;
  let image: CatalogueImage;
  if (!allowed) image = await catalogue.resolve(requested, preferred);
  else if (requested !== undefined && requested !== null && requested !== '') {
    if (typeof requested !== 'string' || !allowed.includes(requested)) {
      const shown = String(requested).slice(0, 64);
      throw badRequest(`Image '${shown}' is not offered to your groups. Pick one of: ${allowed.join(', ')}.`, {
        image: shown,
      });
    }
    image = await catalogue.resolve(requested);
  } else {
    const mine = offeredTo(await catalogue.list(), grants);
    if (mine.length === 0)
      throw badRequest(`None of the images your groups offer (${allowed.join(', ')}) is on this hub; ask an admin.`);
    image = await catalogue.resolve(choose(catalogue, mine, preferred) ?? mine[0].id);
  }
  const limits = { ...image.limits, memory: grants.memory ?? image.limits.memory, cpu: grants.cpu ?? image.limits.cpu };
  return { ...image, limits };
}
