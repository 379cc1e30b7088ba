/**
 * Building the images in images/: each folder with a Dockerfile becomes `berth/<folder>:latest`,
 * built after the folders it is FROM. The catalogue images (those with a catalogue id label) are
 * what `berth images build` builds by default. A base image that cannot be pulled (no registry
 * here) is made offline: debian:bookworm or debian:trixie from debootstrap, imported with
 * `docker import`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { BerthError } from '../errors';
import { IMAGES_DIR, ROOT } from '../paths';
import { type BuildProgress, ensureBase, follow, imageLabels } from './base-image';
import { CatalogueFileReader, fullReference } from './catalogue-file';
import { IMAGE_LABEL } from './labels';

export type { BuildProgress };

export interface ImageSource {
  /** Folder name under images/, also the name `berth images build <name>` takes. */
  name: string;
  tag: string;
  dockerfile: string;
  /** The build context: the folder, or the repository root for images that say so. */
  context: string;
  /** The image the Dockerfile starts FROM. */
  from: string;
  /** Catalogue id, for images in the catalogue by their labels. */
  catalogueId?: string;
  /** True when the catalogue file (catalogue.yaml beside the folders) lists this image by its tag. */
  listed: boolean;
  /** Hash of the folder's files and of its local base's: a built image with another is stale. */
  sourceHash: string;
  /** The LABELs the Dockerfile sets (what the catalogue shows before the image is built). */
  labels: Record<string, string>;
}

/** The key="value" pairs of a Dockerfile's LABEL instructions. */
export function dockerfileLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split('\n')) {
    if (!/^\s*LABEL\s/i.test(line)) continue;
    for (const m of line.matchAll(/([A-Za-z0-9._-]+)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1]] = m[2].replace(/\\(.)/g, '$1');
  }
  return labels;
}

/** Whether the catalogue offers what `source` builds: by its labels, or by the catalogue file's listing. */
export function inCatalogue(source: ImageSource): boolean {
  return source.catalogueId !== undefined || source.listed;
}

/** Label of an image the hub runs for groups (images/postgres: berth.service="postgres"). */
export const SERVICE_LABEL = 'berth.service';

/** What `berth images build` builds by default: the catalogue, and the services the hub runs. */
function builtByDefault(source: ImageSource): boolean {
  return inCatalogue(source) || source.labels[SERVICE_LABEL] !== undefined;
}

/** Label holding ImageSource.sourceHash on every image built from images/. */
export const SOURCE_LABEL = 'berth.source';

/** The catalogue file, beside the image folders. */
export const CATALOGUE_FILE = 'catalogue.yaml';

const ROOT_CONTEXT = /^#\s*berth-context:\s*root\s*$/m;

export function tagOf(name: string): string {
  return `berth/${name}:latest`;
}

function hashFolder(dir: string, hash = createHash('sha256')): ReturnType<typeof createHash> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, entry.name);
    hash.update(`${entry.name}\0`);
    if (entry.isDirectory()) hashFolder(p, hash);
    else hash.update(fs.readFileSync(p)).update(`\0${fs.statSync(p).mode & 0o111 ? 'x' : '-'}\0`);
  }
  return hash;
}

/** Every image folder under `dir`. */
export function readSources(dir = IMAGES_DIR): ImageSource[] {
  const sources: ImageSource[] = [];
  const listed = new Set(
    new CatalogueFileReader(path.join(dir, CATALOGUE_FILE)).read().entries.map((e) => fullReference(e.image)),
  );
  for (const name of fs.readdirSync(dir).sort()) {
    const dockerfile = path.join(dir, name, 'Dockerfile');
    if (!fs.existsSync(dockerfile)) continue;
    const text = fs.readFileSync(dockerfile, 'utf8');
    const from = /^FROM\s+(\S+)/im.exec(text)?.[1];
    if (!from) throw new Error(`${dockerfile} has no FROM line`);
    const labels = dockerfileLabels(text);
    const id = labels[IMAGE_LABEL.id];
    const rootContext = ROOT_CONTEXT.test(text);
    const folderHash = hashFolder(path.dirname(dockerfile)).digest('hex');
    sources.push({
      name,
      tag: tagOf(name),
      dockerfile,
      context: rootContext ? ROOT : path.dirname(dockerfile),
      from,
      catalogueId: id,
      listed: listed.has(tagOf(name)),
      sourceHash: folderHash,
      labels,
    });
  }
  // An image is stale when its base changed too: fold each base's hash into its children's.
  const byTag = new Map(sources.map((s) => [s.tag, s]));
  const chained = (s: ImageSource, seen: string[] = []): string => {
    const base = byTag.get(s.from);
    if (!base || seen.includes(base.name)) return s.sourceHash;
    return createHash('sha256')
      .update(s.sourceHash)
      .update(chained(base, [...seen, s.name]))
      .digest('hex');
  };
  const hashes = sources.map((s) => chained(s));
  for (const [i, s] of sources.entries()) s.sourceHash = hashes[i];
  return sources;
}

/** `wanted` and the local images they are built FROM, bases first. Unknown names are an error. */
export function buildOrder(sources: ImageSource[], wanted: string[]): ImageSource[] {
  const byTag = new Map(sources.map((s) => [s.tag, s]));
  const byName = new Map(sources.map((s) => [s.name, s]));
  const order: ImageSource[] = [];
  const visit = (s: ImageSource, chain: string[]) => {
    if (order.includes(s)) return;
    if (chain.includes(s.name)) throw new Error(`images/ has a FROM cycle: ${[...chain, s.name].join(' → ')}`);
    const base = byTag.get(s.from);
    if (base) visit(base, [...chain, s.name]);
    order.push(s);
  };
  for (const name of wanted) {
    const s = byName.get(name) ?? sources.find((x) => x.catalogueId === name);
    if (!s)
      throw new BerthError(400, `No image '${name}' in images/. Known: ${sources.map((x) => x.name).join(', ')}.`);
    visit(s, []);
  }
  return order;
}

export type ImageState = 'current' | 'stale' | 'missing';

/**
 * current: built from the folder's present files; stale: built, but from other files (or by
 * another tool, such as docker compose); missing: not built.
 */
export async function imageState(docker: Docker, source: ImageSource): Promise<ImageState> {
  const labels = await imageLabels(docker, source.tag);
  if (!labels) return 'missing';
  return labels[SOURCE_LABEL] === source.sourceHash ? 'current' : 'stale';
}

async function buildOne(docker: Docker, source: ImageSource, say: (line: string) => void): Promise<void> {
  const args = ['-C', source.context, '-c'];
  const ignore = path.join(source.context, '.dockerignore');
  if (fs.existsSync(ignore)) args.push('-X', ignore);
  const tar = spawn('tar', [...args, '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const stream = await docker.buildImage(tar.stdout as unknown as NodeJS.ReadableStream, {
    t: source.tag,
    dockerfile: path.relative(source.context, source.dockerfile),
    rm: true,
    forcerm: true,
    labels: { [SOURCE_LABEL]: source.sourceHash },
  });
  await follow(docker, stream as Readable, say);
}

export interface BuildOptions {
  /** Folder names or catalogue ids; empty = every catalogue image and every service image. */
  names: string[];
  /** Rebuild named images even when they exist (bases are only built when missing). */
  force: boolean;
  progress: BuildProgress;
}

/**
 * Builds the requested images (and their bases) in dependency order, skipping those built from
 * their current files unless forced; resolves the tags built.
 */
export async function buildImages(docker: Docker, options: BuildOptions, sources = readSources()): Promise<string[]> {
  const wanted = options.names.length ? options.names : sources.filter(builtByDefault).map((s) => s.name);
  const order = buildOrder(sources, wanted);
  const named = new Set(order.filter((s) => wanted.includes(s.name) || wanted.includes(s.catalogueId ?? '')));
  const todo: ImageSource[] = [];
  for (const source of order)
    if ((options.force && named.has(source)) || (await imageState(docker, source)) !== 'current') todo.push(source);
  for (const [i, source] of todo.entries()) {
    if (!sources.some((s) => s.tag === source.from)) await ensureBase(docker, source.from, options.progress);
    const started = Date.now();
    options.progress.step(`[${i + 1}/${todo.length}] building ${source.tag} from images/${source.name}`);
    await buildOne(docker, source, options.progress.detail);
    options.progress.step(
      `[${i + 1}/${todo.length}] built ${source.tag} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
  }
  return todo.map((s) => s.tag);
}

/** The catalogue images in images/ that are not current, with their state. */
export async function outdatedImages(
  docker: Docker,
  sources = readSources(),
): Promise<Array<{ source: ImageSource; state: 'stale' | 'missing' }>> {
  const out: Array<{ source: ImageSource; state: 'stale' | 'missing' }> = [];
  for (const source of sources.filter(inCatalogue)) {
    const state = await imageState(docker, source);
    if (state !== 'current') out.push({ source, state });
  }
  return out;
}
