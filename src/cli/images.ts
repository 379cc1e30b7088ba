/**
 * `berth images list|build|pull`: the catalogue as the command line sees it, building and pulling it.
 */
import { buildImages, type ImageSource, imageState, readSources } from '../catalogue/build';
import type { CatalogueImage } from '../catalogue/catalogue';
import type { DockerCatalogue } from '../catalogue/docker-catalogue';
import { describeKernels } from '../catalogue/labels';
import { BerthError } from '../errors';
import { builtHere, pull } from '../spawner/docker-image';
import type { Docker } from '../spawner/engine';
import { formatTable, megabytes } from './io';
import type { Runtime } from './runtime';

/** What `berth images list` says of an image's state: built (and when), to be built, or to be pulled. */
async function statusOf(docker: Docker, image: CatalogueImage, source: ImageSource | undefined): Promise<string> {
  if (image.built) {
    const stale = source && (await imageState(docker, source)) === 'stale' ? ' (older than images/)' : '';
    return `built ${image.created.slice(0, 10)}${stale}`;
  }
  if (source) return 'missing: built at its first start';
  return `to pull: ${image.reference ?? '?'}`;
}

/**
 * The catalogue as the command line sees it: every image offered (by its labels, from its
 * folder, or by the catalogue file), then each problem in the catalogue file, one per line.
 */
export async function listImages(docker: Docker, catalogue: DockerCatalogue): Promise<string> {
  const sources = readSources();
  const rows: string[][] = [];
  for (const image of await catalogue.list()) {
    const source = sources.find((s) => s.catalogueId === image.id || s.tag === image.reference);
    const size = image.built ? megabytes(image.size) : '';
    rows.push([image.id, image.title, describeKernels(image.kernels), await statusOf(docker, image, source), size]);
  }
  const table = formatTable(['ID', 'TITLE', 'KERNELS', 'STATUS', 'SIZE'], rows);
  const problems = catalogue.problems();
  return problems.length ? `${table}\n\nLeft out of the catalogue:\n${problems.join('\n')}` : table;
}

/** Steps stand out; Docker's own lines are indented under them. */
const terminalProgress = {
  step: (message: string) => process.stdout.write(`==> ${message}\n`),
  detail: (line: string) => process.stdout.write(`    ${line}\n`),
};

export async function buildCommand(docker: Docker, names: string[], force: boolean): Promise<string> {
  const built = await buildImages(docker, { names, force, progress: terminalProgress });
  return built.length ? `Built ${built.join(', ')}.` : 'Every image was already built (use --force to rebuild).';
}

/**
 * `berth images pull`: pulls the images the catalogue file lists from registries that are not on
 * the engine yet (or the named ones), so that no first start waits for them.
 */
export async function pullCommand(rt: Runtime, ids: string[]): Promise<string> {
  const images = await rt.catalogue.list();
  const unknown = ids.filter((id) => !images.some((i) => i.id === id && i.reference));
  if (unknown.length) throw new BerthError(400, `No image '${unknown[0]}' in the catalogue file to pull.`);
  const wanted = ids.length
    ? images.filter((i) => ids.includes(i.id))
    : images.filter((i) => i.reference && !i.built && !builtHere(i.reference));
  for (const image of wanted) {
    await pull({ docker: rt.docker, log: rt.log }, image.reference!, (message) =>
      process.stdout.write(`    ${message}\n`),
    );
    process.stdout.write(`==> pulled ${image.reference} (${image.id})\n`);
  }
  return wanted.length
    ? `Pulled ${wanted.map((i) => i.id).join(', ')}.`
    : 'Every image of the catalogue file is here already.';
}
