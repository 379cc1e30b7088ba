/**
 * A fake catalogue: a fixed list of images, built or not, with the real catalogue's rules for
 * picking and resolving (an unknown id is a 400 that says what may be picked).
 */
import type { Catalogue, CatalogueImage } from '../../src/catalogue/catalogue';
import { badRequest } from '../../src/errors';

export function fakeImage(id: string, built = true): CatalogueImage {
  return {
    id,
    title: id[0].toUpperCase() + id.slice(1),
    description: `The ${id} image`,
    kernels: [{ name: 'python3', language: 'Python', version: '3.11' }],
    packages: [],
    limits: { memory: 512 * 1024 ** 2, cpu: 1, pids: 256 },
    protocol: 'berth',
    nodeLabels: [],
    network: 'internet',
    built,
    imageId: built ? `sha256:${id}` : '',
    size: built ? 100 * 1024 ** 2 : 0,
    created: built ? '2026-11-01T00:00:00.000Z' : '',
  };
}

export class FakeCatalogue implements Catalogue {
  constructor(
    readonly images: CatalogueImage[] = [fakeImage('python'), fakeImage('r')],
    private readonly defaultId = 'python',
  ) {}

  async list(): Promise<CatalogueImage[]> {
    return [...this.images];
  }

  pick(images: CatalogueImage[], preferred: string | undefined): string {
    return preferred && images.some((i) => i.id === preferred) ? preferred : this.defaultId;
  }

  async resolve(requested: unknown, preferred?: string): Promise<CatalogueImage> {
    const id =
      requested === undefined || requested === null || requested === '' ? this.pick(this.images, preferred) : requested;
    const found = this.images.find((i) => i.id === id);
    if (!found)
      throw badRequest(
        `Image '${String(id)}' is not in the catalogue. Pick one of: ${this.images.map((i) => i.id).join(', ')}.`,
      );
    return found;
  }
}
