/**
 * The first step of a start: the image on the engine. As it is, when it is there; built from its
 * folder when Berth can build it (a first start, HUB_BUILD_IMAGES=missing); else pulled from its
 * registry by the reference the catalogue file gives, with the pull's layers and bytes as
 * progress, as `docker pull` shows them. A pull that fails says why: no such image, a registry
 * that cannot be reached, or one that refuses.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ImageBuilder } from '../catalogue/builder';
import type { CatalogueImage } from '../catalogue/catalogue';
import { defaultUrlOf, IMAGE_LABEL, protocolOf } from '../catalogue/labels';
import { BerthError, isUnreachable } from '../errors';
import type { Logger } from '../log';
import type { StartProgress } from './spawner';

type Report = (progress: StartProgress) => void;

/** How often a pull's progress is reported at most: Docker sends an event per chunk. */
const REPORT_EVERY_MS = 250;

export interface ImageSupply {
  docker: Docker;
  builder?: ImageBuilder;
  log: Logger;
}

/**
 * `image` as it is on the engine, built or pulled first when it is not there. A folder's image is
 * described before its build by its own Dockerfile's labels only; what it inherits from its base
 * (the protocol, the default URL) is known once it is built.
 */
export async function ensureImage(
  supply: ImageSupply,
  image: CatalogueImage,
  report: Report,
  signal?: AbortSignal,
): Promise<CatalogueImage> {
  if (image.built) return image;
  if (supply.builder?.source(image)) {
    const imageId = await build(supply, supply.builder, image, report);
    const labels = (await supply.docker.getImage(imageId).inspect()).Config.Labels ?? {};
    const inherited = {
      protocol: protocolOf(labels[IMAGE_LABEL.protocol]),
      defaultUrl: defaultUrlOf(labels[IMAGE_LABEL.defaultUrl]),
    };
    return { ...image, ...inherited, built: true, imageId };
  }
  if (image.reference) {
    await pull(supply, image.reference, (message, done) => report({ stage: 'image', message, done }), signal);
    return { ...image, built: true, imageId: (await supply.docker.getImage(image.reference).inspect()).Id };
  }
  const message = `Image '${image.id}' is not built yet; an admin can build it with \`berth images build ${image.id}\`.`;
  throw new BerthError(503, message);
}

async function build(
  supply: ImageSupply,
  builder: ImageBuilder,
  image: CatalogueImage,
  report: Report,
): Promise<string> {
  report({ stage: 'image', message: `Building the ${image.title} image (first start; this takes a few minutes)` });
  try {
    return await builder.ensure(image, {
      step: (message) => report({ stage: 'image', message }),
      detail: (line) => {
        const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (!step) return;
        const [n, of, what] = [Number(step[1]), Number(step[2]), step[3].slice(0, 100)];
        report({ stage: 'image', message: `Building ${image.title}: step ${n} of ${of}: ${what}`, done: n / of });
      },
    });
  } catch (err) {
    if (isUnreachable(err)) throw err;
    supply.log.error('image build failed', { image: image.id, err });
    throw new BerthError(500, `Image '${image.id}' did not build; an admin can find why in the hub log.`);
  }
}

interface PullEvent {
  id?: string;
  status?: string;
  error?: string;
  progressDetail?: { current?: number; total?: number };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Why a pull failed, in words for people, from what the engine or the registry said. */
export function pullFailure(reference: string, said: string): BerthError {
  const registry = reference.includes('/') ? reference.slice(0, reference.indexOf('/')) : 'Docker Hub';
  if (/manifest unknown|not found|does not exist|no such image/i.test(said)) {
    return new BerthError(502, `Image ${reference} was not found in its registry.`, { said });
  }
  if (/unauthorized|denied|forbidden|authentication required/i.test(said)) {
    return new BerthError(502, `The registry refused to give ${reference} (access denied).`, { said });
  }
  if (/connection refused|no such host|timeout|i\/o timeout|dial tcp|EOF|network is unreachable/i.test(said)) {
    return new BerthError(502, `The registry of ${reference} (${registry}) cannot be reached.`, { said });
  }
  return new BerthError(502, `Image ${reference} could not be pulled: ${said.slice(0, 200)}`, { said });
}

/**
 * Whether `reference` names one of Berth's own images (`berth/<id>`): those are built here from
 * their folders, never pulled, as the same name on Docker Hub is whoever's took it.
 */
export function builtHere(reference: string): boolean {
  return reference.startsWith('berth/');
}

/**
 * Pulls `reference`, telling `onProgress` what `docker pull` shows: layers done of all, and
 * bytes downloaded of all known so far (`done` is the downloaded share).
 */
export async function pull(
  supply: ImageSupply,
  reference: string,
  onProgress: (message: string, done: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const { docker, log } = supply;
  if (builtHere(reference)) {
    const message = `Image ${reference} is one of Berth's own: it is built from its folder (berth images build), never pulled.`;
    throw new BerthError(503, message);
  }
  onProgress(`Pulling ${reference}`, 0);
  const layers = new Map<string, { current: number; total: number; complete: boolean }>();
  let reported = 0;
  const onEvent = (event: PullEvent) => {
    if (!event.id || !event.status || event.id === reference.split(':').pop()) return;
    const layer = layers.get(event.id) ?? { current: 0, total: 0, complete: false };
    if (event.status === 'Downloading') {
      layer.current = event.progressDetail?.current ?? layer.current;
      layer.total = event.progressDetail?.total ?? layer.total;
    }
    if (/^(Download complete|Pull complete|Already exists)$/.test(event.status)) {
      layer.complete = true;
      layer.current = layer.total;
    }
    layers.set(event.id, layer);
    if (Date.now() - reported < REPORT_EVERY_MS) return;
    reported = Date.now();
    tell();
  };
  const tell = () => {
    const all = [...layers.values()];
    const [current, total] = all.reduce(([c, t], l) => [c + l.current, t + l.total], [0, 0]);
    const complete = all.filter((l) => l.complete).length;
    const bytes = total > 0 ? `, ${megabytes(current)} of ${megabytes(total)}` : '';
    onProgress(`Pulling ${reference}: ${complete} of ${all.length} layers${bytes}`, total > 0 ? current / total : 0);
  };
  let stream: Readable;
  try {
    stream = (await docker.pull(reference)) as Readable;
  } catch (err) {
    if (isUnreachable(err)) throw err;
    throw pullFailure(reference, (err as Error).message);
  }
  // A stop while pulling ends the pull: the engine stops downloading when its client goes.
  const cancel = () => stream.destroy(new BerthError(409, 'The start was cancelled.'));
  signal?.addEventListener('abort', cancel, { once: true });
  if (signal?.aborted) cancel();
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, events: PullEvent[]) => {
        if (err instanceof BerthError) return reject(err);
        const failed = err?.message ?? events?.find((e) => e.error)?.error;
        if (failed) return reject(pullFailure(reference, failed));
        // A pull from a near registry can finish between two reports: the last one says it all.
        tell();
        resolve();
      },
      onEvent,
    );
  }).finally(() => signal?.removeEventListener('abort', cancel));
  log.info('pulled image', { reference, layers: layers.size });
}
