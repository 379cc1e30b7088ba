/**
 * Names and labels of the Docker objects Berth creates. Names come from an injective slug of the
 * username, so two users can never share a container or a volume whatever the grammar allows;
 * labels say who owns what, so Docker itself can tell what runs.
 */

/**
 * Injective, Docker-safe slug: [a-z0-9] stay, every other byte of the UTF-8 form becomes '-'
 * and two hex digits ('-' itself included), so the slug decodes back to exactly one name.
 */
export function slug(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[a-z0-9]/.test(ch) ? ch : `-${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export const LABEL = {
  hub: 'berth.hub',
  user: 'berth.user',
  server: 'berth.server',
  image: 'berth.image',
  version: 'berth.version',
  kind: 'berth.kind',
  group: 'berth.group',
} as const;

export interface Naming {
  container(user: string): string;
  volume(user: string): string;
  /** The Docker volume of shared volume `name` (`berth volumes`; names are checked before they get here). */
  shared(name: string): string;
  /**
   * The container, network and data volume of a group's database. '--' never occurs in a slug, so
   * no user's container can have this name.
   */
  database(group: string): string;
  /** Labels every object of this hub carries, plus the user's where there is one. */
  labels(
    kind: 'server' | 'home' | 'network' | 'move' | 'shared' | 'database' | 'job',
    user?: string,
  ): Record<string, string>;
}

export function naming(hubName: string, version: string): Naming {
  return {
    container: (user) => `${hubName}-${slug(user)}`,
    volume: (user) => `${hubName}-home-${slug(user)}`,
    shared: (name) => `${hubName}-shared-${name}`,
    database: (group) => `${hubName}--postgres-${group}`,
    labels: (kind, user) => ({
      [LABEL.hub]: hubName,
      [LABEL.kind]: kind,
      [LABEL.version]: version,
      ...(user === undefined ? {} : { [LABEL.user]: user, [LABEL.server]: '' }),
    }),
  };
}
