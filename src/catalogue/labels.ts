/**
 * The labels an image carries to describe itself for the catalogue, and how they are read.
 * Adding an image to the catalogue means adding a folder under images/ whose Dockerfile sets
 * at least `berth.catalogue.id`:
 *
 *   LABEL org.opencontainers.image.title="R" \
 *         org.opencontainers.image.description="R with the IRkernel ..." \
 *         berth.catalogue.id="r" \
 *         berth.kernels="ir=R 4.2.2; python3=Python 3.11" \
 *         berth.packages="IRkernel 1.3, base R" \
 *         berth.limits.memory="2g" berth.limits.cpu="1" berth.limits.pids="512"
 */
import { parseBytes } from '../config';

export const IMAGE_LABEL = {
  /** The id users pick, e.g. "python"; an image without it is not in the catalogue. */
  id: 'berth.catalogue.id',
  title: 'org.opencontainers.image.title',
  description: 'org.opencontainers.image.description',
  /** `kernelspec=Language version` entries separated by ';'. */
  kernels: 'berth.kernels',
  /** Notable packages with their versions, separated by ','. */
  packages: 'berth.packages',
  /**
   * How the server in the image lets people in: `berth` (Berth's own images: it trusts the token
   * the proxy injects) or `jupyterhub` (jupyterhub-singleuser, JupyterHub's OAuth). Unset:
   * jupyterhub, as in any image made for JupyterHub.
   */
  protocol: 'berth.protocol',
  /** The path the server opens at, e.g. /lab or /tree. Unset: the server's own default. */
  defaultUrl: 'berth.default-url',
  /** Node labels a swarm node needs to run it, separated by ',': gpu=true,bigmem=true. */
  nodeLabels: 'berth.node-labels',
  /** `none`: servers of this image get no internet (an exam image); unset: they do. */
  network: 'berth.network',
  memory: 'berth.limits.memory',
  cpu: 'berth.limits.cpu',
  pids: 'berth.limits.pids',
} as const;

export interface Kernel {
  /** The kernelspec name, e.g. "ir". */
  name: string;
  language: string;
  version: string;
}

export interface Limits {
  /** Bytes of memory, and of memory + swap. */
  memory: number;
  cpu: number;
  pids: number;
}

export type Protocol = 'berth' | 'jupyterhub';

/** The protocol a label names; anything but `berth` is JupyterHub's. */
export function protocolOf(label: string | undefined): Protocol {
  return label === 'berth' ? 'berth' : 'jupyterhub';
}

/** A default URL that is a path on the server (/lab, /tree/notes); anything else is none. */
export function defaultUrlOf(label: string | undefined): string | undefined {
  return label && /^\/(?![/\\])[^\s?#]*$/.test(label) ? label : undefined;
}

/** "ir=R 4.2.2; python3=Python 3.11" → kernels; malformed entries are skipped. */
export function parseKernels(label: string | undefined): Kernel[] {
  const kernels: Kernel[] = [];
  for (const entry of (label ?? '').split(';')) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*=\s*(.+?)\s*$/.exec(entry);
    if (!m) continue;
    const words = m[2].split(/\s+/);
    const version = words.length > 1 && /^\d/.test(words[words.length - 1]) ? words.pop()! : '';
    kernels.push({ name: m[1], language: words.join(' '), version });
  }
  return kernels;
}

/** "R 4.2.2, Python 3.11" */
export function describeKernels(kernels: Kernel[]): string {
  return kernels.map((k) => `${k.language}${k.version ? ` ${k.version}` : ''}`).join(', ');
}

export function parseList(label: string | undefined): string[] {
  return (label ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

const NODE_LABEL = /^[A-Za-z0-9._-]{1,100}=[A-Za-z0-9._-]{1,100}$/;

/** True for a node label requirement Swarm can take: key=value of letters, digits, '.', '_' and '-'. */
export function isNodeLabel(entry: string): boolean {
  return NODE_LABEL.test(entry);
}

/** "gpu=true, bigmem=true" → the requirements; malformed entries are skipped. */
export function parseNodeLabels(label: string | undefined): string[] {
  return parseList(label).filter(isNodeLabel);
}

/** The limits an image's labels ask for; a missing or malformed label leaves that limit out. */
export function labelLimits(labels: Record<string, string>): Partial<Limits> {
  const out: Partial<Limits> = {};
  try {
    if (labels[IMAGE_LABEL.memory]) out.memory = parseBytes(labels[IMAGE_LABEL.memory]);
  } catch {
    // a bad label is ignored: the hub's default applies
  }
  const cpu = Number(labels[IMAGE_LABEL.cpu]);
  if (Number.isFinite(cpu) && cpu > 0) out.cpu = cpu;
  const pids = Number(labels[IMAGE_LABEL.pids]);
  if (Number.isInteger(pids) && pids >= 16) out.pids = pids;
  return out;
}
