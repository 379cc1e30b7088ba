/**
 * The catalogue file: where an admin adds images to the catalogue by reference, without
 * rebuilding them or giving them Berth's labels: stock JupyterHub images, local or in a registry.
 * It is read again whenever it changes, so an edit takes effect without a restart; an entry that
 * is wrong is left out and said so, with its line and the reason.
 *
 *   images:
 *     - id: scipy-stock
 *       image: registry.example.org/jupyter/scipy-notebook:2026-11-23
 *       title: SciPy (JupyterLab)
 *       description: The docker-stacks SciPy image.
 *       kernels: python3=Python 3.12
 *       default_url: /lab
 *       limits: { memory: 4g, cpu: 2, pids: 1024 }
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { parseBytes } from '../config';
import { defaultUrlOf, isNodeLabel, type Kernel, type Limits, type Protocol, parseKernels, parseList } from './labels';

export interface FileEntry {
  id: string;
  /** The image reference: a local tag, or one in a registry (pulled at the first start). */
  image: string;
  title: string;
  description: string;
  kernels: Kernel[];
  packages: string[];
  limits: Partial<Limits>;
  protocol: Protocol;
  defaultUrl?: string;
  nodeLabels: string[];
  network: 'internet' | 'none';
}

export interface CatalogueFile {
  entries: FileEntry[];
  /** One line per entry left out, e.g. "catalogue.yaml:12: image must be an image reference". */
  problems: string[];
}

const ID = /^[a-z][a-z0-9-]{0,29}$/;
/** [registry[:port]/]path[:tag | @sha256:digest], lower-case path components as Docker has them. */
const REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})?$/;
const KEYS = [
  'id',
  'image',
  'title',
  'description',
  'kernels',
  'packages',
  'limits',
  'protocol',
  'default_url',
  'node_labels',
  'network',
];

/** An image reference as Docker lists it: with its tag (`:latest` when none is given). */
export function fullReference(image: string): string {
  if (image.includes('@')) return image;
  const name = image.slice(image.lastIndexOf('/') + 1);
  return name.includes(':') ? image : `${image}:latest`;
}

function text(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Error(`${what} must be text`);
  return value;
}

function bytesOf(raw: unknown): number {
  try {
    return parseBytes(String(raw));
  } catch {
    throw new Error(`limits: memory ${String(raw)} is not a size such as 512m or 2g (6m or more)`);
  }
}

function limitsOf(value: unknown): Partial<Limits> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error('limits must be a map of memory, cpu, pids');
  const out: Partial<Limits> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (key === 'memory') out.memory = bytesOf(raw);
    else if (key === 'cpu' && Number(raw) > 0) out.cpu = Number(raw);
    else if (key === 'pids' && Number.isInteger(Number(raw)) && Number(raw) >= 16) out.pids = Number(raw);
    else
      throw new Error(
        `limits: ${key} ${String(raw)} is not a memory size, a CPU count or a process count (16 or more)`,
      );
  }
  return out;
}

/** One entry, checked; throws saying what is wrong with it. */
function entryOf(raw: unknown, taken: Set<string>): FileEntry {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error('an entry must be a map with id and image');
  const entry = raw as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((k) => !KEYS.includes(k));
  if (unknown.length) throw new Error(`unknown field ${unknown.join(', ')}; fields: ${KEYS.join(', ')}`);
  const id = text(entry.id, 'id');
  if (!ID.test(id)) throw new Error('id must be lowercase letters, digits and -, starting with a letter (at most 30)');
  if (taken.has(id)) throw new Error(`id ${id} is listed twice`);
  const image = text(entry.image, 'image');
  if (!REFERENCE.test(image)) throw new Error(`image '${image.slice(0, 80)}' is not an image reference`);
  const protocol = text(entry.protocol, 'protocol') || 'jupyterhub';
  if (protocol !== 'jupyterhub' && protocol !== 'berth') throw new Error('protocol must be jupyterhub or berth');
  const defaultUrl = text(entry.default_url, 'default_url');
  if (defaultUrl && !defaultUrlOf(defaultUrl)) throw new Error('default_url must be a path such as /lab or /tree');
  const kernels = Array.isArray(entry.kernels) ? entry.kernels.join(';') : text(entry.kernels, 'kernels');
  const packages = Array.isArray(entry.packages) ? entry.packages.join(',') : text(entry.packages, 'packages');
  const nodeLabels = parseList(
    Array.isArray(entry.node_labels) ? entry.node_labels.join(',') : text(entry.node_labels, 'node_labels'),
  );
  const badLabel = nodeLabels.find((l) => !isNodeLabel(l));
  if (badLabel) throw new Error(`node_labels: '${badLabel.slice(0, 80)}' is not key=value (gpu=true)`);
  const network = text(entry.network, 'network') || 'internet';
  if (network !== 'internet' && network !== 'none') throw new Error('network must be internet or none');
  return {
    id,
    image,
    title: text(entry.title, 'title') || id,
    description: text(entry.description, 'description'),
    kernels: parseKernels(kernels),
    packages: parseList(packages),
    limits: limitsOf(entry.limits),
    protocol,
    defaultUrl: defaultUrl || undefined,
    nodeLabels,
    network,
  };
}

/** Reads and checks a catalogue file's text; `name` is how problems name the file. */
export function parseCatalogueFile(source: string, name: string): CatalogueFile {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  const at = (offset: number | undefined) => `${name}:${lines.linePos(offset ?? 0).line}`;
  if (doc.errors.length)
    return { entries: [], problems: doc.errors.map((e) => `${at(e.pos[0])}: ${e.message.split('\n')[0]}`) };
  const root = doc.contents;
  if (root === null) return { entries: [], problems: [] };
  const images = isMap(root) ? root.get('images', true) : undefined;
  if (!isMap(root) || !isSeq(images) || root.items.length !== 1) {
    return {
      entries: [],
      problems: [`${at(root.range?.[0])}: the file must be a map with one key, images, a list of entries`],
    };
  }
  const entries: FileEntry[] = [];
  const problems: string[] = [];
  const taken = new Set<string>();
  for (const item of images.items) {
    const where = at((item as { range?: [number] }).range?.[0]);
    try {
      const entry = entryOf((item as { toJSON(): unknown }).toJSON(), taken);
      taken.add(entry.id);
      entries.push(entry);
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  return { entries, problems };
}

/** A catalogue file on disk, read again when it changes; a missing file is an empty catalogue. */
export class CatalogueFileReader {
  private cached?: { mtimeMs: number; read: CatalogueFile };

  constructor(readonly file: string) {}

  read(): CatalogueFile {
    let mtimeMs: number;
    try {
      mtimeMs = fs.statSync(this.file).mtimeMs;
    } catch {
      return { entries: [], problems: [] };
    }
    if (this.cached?.mtimeMs !== mtimeMs) {
      const read = parseCatalogueFile(fs.readFileSync(this.file, 'utf8'), path.basename(this.file));
      this.cached = { mtimeMs, read };
    }
    return this.cached.read;
  }
}
