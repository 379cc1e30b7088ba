/**
 * The catalogue on a Docker engine: the notebook images built there, found by their labels,
 * plus those the hub can still build from HUB_IMAGES_DIR, narrowed by HUB_IMAGES.
 */
import type Docker from 'dockerode';
import type { ImageLimitOverrides } from '../config';
import { badRequest, engineError, statusOf } from '../errors';
import type { ImageBuilder } from './builder';
import type { Catalogue, CatalogueImage } from './catalogue';
import { type CatalogueFileReader, fullReference } from './catalogue-file';
import {
  defaultUrlOf,
  IMAGE_LABEL,
  type Limits,
  labelLimits,
  parseKernels,
  parseList,
  parseNodeLabels,
  protocolOf,
} from './labels';

export interface CatalogueOptions {
  /** Ids users may pick; empty = all. */
  allowed: readonly string[];
  defaultId: string;
  /** Limits for images whose labels set none (HUB_MEM_LIMIT, HUB_CPU_LIMIT, HUB_PIDS_LIMIT). */
  defaultLimits: Limits;
  /** Limits that win over an image's labels (HUB_IMAGE_LIMITS). */
  overrides: ImageLimitOverrides;
  /** The catalogue file: images by reference (HUB_CATALOGUE_FILE). */
  file?: CatalogueFileReader;
}

const ID = /^[a-z][a-z0-9-]{0,29}$/;

/** What the engine says of an image it has. */
function presence(info: Docker.ImageInfo): Pick<CatalogueImage, 'built' | 'imageId' | 'size' | 'created'> {
  return { built: true, imageId: info.Id, size: info.Size, created: new Date(info.Created * 1000).toISOString() };
}

export class DockerCatalogue implements Catalogue {
  constructor(
    private readonly docker: Docker,
    private readonly options: CatalogueOptions,
    /** When given, images it can build but that are not built yet are offered too. */
    private readonly builder?: ImageBuilder,
  ) {}

  private describe(
    id: string,
    labels: Record<string, string>,
  ): Omit<CatalogueImage, 'built' | 'imageId' | 'size' | 'created'> {
    return {
      id,
      title: labels[IMAGE_LABEL.title] ?? id,
      description: labels[IMAGE_LABEL.description] ?? '',
      kernels: parseKernels(labels[IMAGE_LABEL.kernels]),
      packages: parseList(labels[IMAGE_LABEL.packages]),
      limits: { ...this.options.defaultLimits, ...labelLimits(labels), ...this.options.overrides[id] },
      protocol: protocolOf(labels[IMAGE_LABEL.protocol]),
      defaultUrl: defaultUrlOf(labels[IMAGE_LABEL.defaultUrl]),
      nodeLabels: parseNodeLabels(labels[IMAGE_LABEL.nodeLabels]),
      network: labels[IMAGE_LABEL.network] === 'none' ? 'none' : 'internet',
    };
  }

  async list(): Promise<CatalogueImage[]> {
    const byId = new Map<string, CatalogueImage>();
    for (const image of await this.labelled()) {
      // Two builds of one id: the newest is the catalogue's.
      const seen = byId.get(image.id);
      if (!seen || seen.created < image.created) byId.set(image.id, image);
    }
    for (const source of this.builder?.enabled ? this.builder.sources() : []) {
      const id = source.catalogueId;
      if (!id || !ID.test(id) || byId.has(id) || !this.allows(id)) continue;
      byId.set(id, { ...this.describe(id, source.labels), built: false, imageId: '', size: 0, created: '' });
    }
    for (const image of await this.listed()) {
      if (!byId.has(image.id) && this.allows(image.id)) byId.set(image.id, image);
    }
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** What is wrong in the catalogue file, one line per entry left out. */
  problems(): string[] {
    return this.options.file?.read().problems ?? [];
  }

  /** The images on the engine that describe themselves by their labels. */
  private async labelled(): Promise<CatalogueImage[]> {
    const filters = JSON.stringify({ label: [IMAGE_LABEL.id], dangling: ['false'] });
    const images = await this.engine(this.docker.listImages({ filters }));
    return images
      .map((info) => ({ info, id: info.Labels?.[IMAGE_LABEL.id] ?? '' }))
      .filter(({ id }) => ID.test(id) && this.allows(id))
      .map(({ info, id }) => ({ ...this.describe(id, info.Labels ?? {}), ...presence(info) }));
  }

  /** The images the catalogue file lists by reference: on the engine, buildable here, or to be pulled. */
  private async listed(): Promise<CatalogueImage[]> {
    const entries = this.options.file?.read().entries ?? [];
    // The engine resolves each reference as `docker run` would (docker.io/, digests, tags).
    const present = (reference: string) =>
      this.engine(
        this.docker
          .getImage(reference)
          .inspect()
          .catch((err: unknown) => {
            if (statusOf(err) === 404) return undefined;
            throw err;
          }),
      );
    return Promise.all(
      entries.map(async (entry) => {
        const reference = fullReference(entry.image);
        const info = await present(reference);
        const limits = { ...this.options.defaultLimits, ...entry.limits, ...this.options.overrides[entry.id] };
        const { image: _, limits: __, ...described } = entry;
        const found = info && {
          built: true,
          imageId: info.Id,
          size: info.Size,
          created: new Date(info.Created).toISOString(),
        };
        return { ...described, limits, reference, ...(found || { built: false, imageId: '', size: 0, created: '' }) };
      }),
    );
  }

  private engine<T>(work: Promise<T>): Promise<T> {
    return work.catch((err: unknown) => {
      throw engineError(err);
    });
  }

  /** Whether HUB_IMAGES lets users pick `id`. */
  allows(id: string): boolean {
    return this.options.allowed.length === 0 || this.options.allowed.includes(id);
  }

  pick(images: CatalogueImage[], preferred: string | undefined): string {
    return preferred && images.some((i) => i.id === preferred) ? preferred : this.options.defaultId;
  }

  async resolve(requested: unknown, preferred?: string): Promise<CatalogueImage> {
    const images = await this.list();
    const none = requested === undefined || requested === null;
    const id = none ? this.pick(images, preferred) : requested === '' ? this.options.defaultId : requested;
    const found = typeof id === 'string' ? images.find((i) => i.id === id) : undefined;
    if (found) return found;
    const shown = typeof id === 'string' ? id.slice(0, 64) : typeof id;
    const offered = images.map((i) => i.id).join(', ') || 'none is built yet';
    if (typeof id === 'string' && ID.test(id) && !this.allows(id)) {
      throw badRequest(`Image '${shown}' is not offered on this hub (HUB_IMAGES). Pick one of: ${offered}.`, {
        image: shown,
      });
    }
    throw badRequest(`Image '${shown}' is not in the catalogue. Pick one of: ${offered}.`, { image: shown });
  }
}
