/**
 * The hub's image builder: builds catalogue images from HUB_IMAGES_DIR when they are missing
 * (HUB_BUILD_IMAGES=missing), in the background after start and on demand when a start needs
 * one. One build per image at a time; everyone waiting on it hears its progress.
 */
import fs from 'node:fs';
import type Docker from 'dockerode';
import type { Logger } from '../log';
import { type BuildProgress, buildImages, type ImageSource, imageState, outdatedImages, readSources } from './build';

/** Sources are re-read at most this often (each read hashes the folders). */
const SOURCES_TTL_MS = 2000;

/** A catalogue image as the builder knows it: its id, and its reference if the catalogue file lists it. */
export interface Buildable {
  id: string;
  reference?: string;
}

export class ImageBuilder {
  private readonly building = new Map<string, { done: Promise<void>; listeners: Set<BuildProgress> }>();
  private cached?: { at: number; sources: ImageSource[] };

  constructor(
    private readonly docker: Docker,
    private readonly dir: string,
    private readonly log: Logger,
    /** False (HUB_BUILD_IMAGES=never): nothing is built, only reported. */
    readonly enabled: boolean,
  ) {}

  /** The image folders, when the folder exists. */
  sources(): ImageSource[] {
    if (this.cached && Date.now() - this.cached.at < SOURCES_TTL_MS) return this.cached.sources;
    const sources = fs.existsSync(this.dir) ? readSources(this.dir) : [];
    this.cached = { at: Date.now(), sources };
    return sources;
  }

  /**
   * The folder a catalogue image is built from, if it can be built here: by its catalogue id, or,
   * for an image the catalogue file lists, by its reference (berth/<folder>:latest).
   */
  source(image: Buildable): ImageSource | undefined {
    if (!this.enabled) return undefined;
    return this.sources().find((s) => s.catalogueId === image.id || (image.reference && s.tag === image.reference));
  }

  /**
   * Builds catalogue image `id` unless it is current, and resolves the engine's id of the built
   * image; concurrent callers share the build.
   */
  async ensure(image: Buildable, progress: BuildProgress): Promise<string> {
    const source = this.source(image);
    const id = image.id;
    if (!source) throw new Error(`no buildable image '${id}'`);
    let job = this.building.get(source.name);
    if (!job) {
      const listeners = new Set<BuildProgress>();
      const fanout: BuildProgress = {
        step: (m) => {
          for (const l of listeners) l.step(m);
        },
        detail: (line) => {
          for (const l of listeners) l.detail(line);
        },
      };
      const done = (async () => {
        if ((await imageState(this.docker, source)) === 'current') return;
        this.log.info('building image', { image: id });
        await buildImages(this.docker, { names: [source.name], force: false, progress: fanout }, this.sources());
        this.log.info('built image', { image: id });
      })().finally(() => this.building.delete(source.name));
      job = { done, listeners };
      this.building.set(source.name, job);
    }
    job.listeners.add(progress);
    const current = job;
    await current.done.finally(() => current.listeners.delete(progress));
    return (await this.docker.getImage(source.tag).inspect()).Id;
  }

  /** Builds, one after another, every catalogue image that is missing or older than its folder. */
  async buildOutdated(): Promise<void> {
    if (!this.enabled) return;
    for (const { source } of await outdatedImages(this.docker, this.sources())) {
      await this.ensure(
        { id: source.catalogueId ?? source.name, reference: source.tag },
        {
          step: (m) => this.log.info('image build', { step: m }),
          detail: (line) => this.log.debug('image build', { line }),
        },
      );
    }
  }
}
