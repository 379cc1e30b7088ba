/**
 * `berth images list|build`: the catalogue as the command line sees it, and building it.
 */
import { buildImages, imageState, readSources } from '../catalogue/build';
import type { DockerCatalogue } from '../catalogue/docker-catalogue';
import { describeKernels } from '../catalogue/labels';
import type { Docker } from '../spawner/engine';
import { formatTable } from './io';

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1024 / 1024)} MB`;
}

export async function listImages(docker: Docker, catalogue: DockerCatalogue): Promise<string> {
  const built = new Map((await catalogue.list()).map((i) => [i.id, i]));
  const rows: string[][] = [];
  for (const s of readSources().filter((x) => x.catalogueId)) {
    const id = s.catalogueId!;
    const image = built.get(id);
    const state = await imageState(docker, s);
    const status =
      state === 'missing'
        ? 'missing'
        : `${state === 'stale' ? 'built (older than images/)' : 'built'} ${image?.created.slice(0, 10) ?? ''}`;
    const offered = catalogue.allows(id) ? '' : ' (not in HUB_IMAGES)';
    rows.push([
      id,
      image?.title ?? '',
      image ? describeKernels(image.kernels) : '',
      `${status.trim()}${offered}`,
      image ? megabytes(image.size) : '',
    ]);
  }
  const header = ['ID', 'TITLE', 'KERNELS', 'STATUS', 'SIZE'];
  return formatTable(header, rows);
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
