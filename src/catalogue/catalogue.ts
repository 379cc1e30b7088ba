/**
 * The image catalogue as the lifecycle and the pages see it: the images users may pick, by
 * catalogue id. It is an allowlist: users name a catalogue id, never an image reference, and
 * `resolve` refuses anything else before a server is made. DockerCatalogue (docker-catalogue.ts)
 * finds them on the Docker engine by their labels.
 */
import type { Kernel, Limits, Protocol } from './labels';

export type { Kernel, Limits, Protocol };

export interface CatalogueImage {
  id: string;
  title: string;
  description: string;
  kernels: Kernel[];
  /** Notable packages with versions, e.g. "numpy 1.24". */
  packages: string[];
  /** What a container of this image gets: HUB_IMAGE_LIMITS, else the image's labels, else the hub's defaults. */
  limits: Limits;
  /** How its server lets people in: JupyterHub's OAuth, or the token Berth's proxy injects. */
  protocol: Protocol;
  /** The path its server opens at (/lab, /tree), when the image says; else the server's own. */
  defaultUrl?: string;
  /** Node labels (gpu=true) a swarm node must have to run it; one Docker engine ignores them. */
  nodeLabels: string[];
  /** 'none': its servers sit on a network with no route out, whatever their groups say. */
  network: 'internet' | 'none';
  /**
   * Whether the image is on the engine; if not, the first start builds it (from its folder,
   * HUB_BUILD_IMAGES=missing) or pulls it (`reference`).
   */
  built: boolean;
  /** For an image the catalogue file lists: its reference, with its tag (pulled when it is not here). */
  reference?: string;
  /** The engine's image id (sha256:...): containers are created from exactly this image. '' until built. */
  imageId: string;
  /** Bytes on disk (0 until built). */
  size: number;
  /** ISO 8601 build time ('' until built). */
  created: string;
}

export interface Catalogue {
  /** Every catalogue image users may pick, built or buildable, sorted by id. */
  list(): Promise<CatalogueImage[]>;
  /** `preferred` when it is among `images` (a listing already read), else the default id. */
  pick(images: CatalogueImage[], preferred: string | undefined): string;
  /**
   * The catalogue image for `requested`; when none is requested, `preferred` if it is still
   * offered, else the default. Anything that is not the id of an offered image is a 400 that
   * says what may be picked.
   */
  resolve(requested: unknown, preferred?: string): Promise<CatalogueImage>;
}
