/**
 * Catalogue images reach every node of a swarm through a registry (HUB_REGISTRY): the manager's
 * copy is tagged and pushed once per image id, and services name it by digest, so every node runs
 * exactly the bytes the catalogue chose, whatever a tag points to later.
 */
import type Docker from 'dockerode';
import type { CatalogueImage } from '../catalogue/catalogue';
import { BerthError } from '../errors';
import type { StartProgress } from './spawner';

/** The repository an image goes to in `registry`: its catalogue id under berth/. */
export function repositoryOf(registry: string, image: CatalogueImage): string {
  return `${registry}/berth/${image.id}`;
}

export class RegistryPush {
  /** image id → its reference once pushed (or being pushed: starts at once share one push). */
  private readonly pushed = new Map<string, Promise<string>>();

  constructor(
    private readonly docker: Docker,
    private readonly registry: string,
  ) {}

  /** The reference every node pulls `image` by, pushing it first when this image id is not there yet. */
  reference(image: CatalogueImage, report: (progress: StartProgress) => void): Promise<string> {
    let pushing = this.pushed.get(image.imageId);
    if (!pushing) {
      pushing = this.push(image, report);
      this.pushed.set(image.imageId, pushing);
      pushing.catch(() => this.pushed.delete(image.imageId));
    }
    return pushing;
  }

  private async push(image: CatalogueImage, report: (progress: StartProgress) => void): Promise<string> {
    const known = await this.digestOf(image);
    if (known) return known;
    const repo = repositoryOf(this.registry, image);
    const tag = image.imageId.replace(/^sha256:/, '').slice(0, 12);
    await this.docker.getImage(image.imageId).tag({ repo, tag });
    report({ stage: 'image', message: `Pushing ${image.title} to the registry for the swarm's nodes` });
    // The engine wants an X-Registry-Auth header even for a registry without accounts.
    const stream = await this.docker.getImage(`${repo}:${tag}`).push({ authconfig: { serveraddress: this.registry } });
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(
        stream,
        (err: Error | null, events: Array<{ error?: string }>) => {
          const failed = err?.message ?? events.find((e) => e.error)?.error;
          if (!failed) resolve();
          else
            reject(
              new BerthError(
                503,
                /connection refused|no such host|i\/o timeout|dial tcp/i.test(failed)
                  ? `The registry ${this.registry} (HUB_REGISTRY) cannot be reached: ${failed}`
                  : `Pushing ${image.title} to ${this.registry} failed: ${failed}`,
              ),
            );
        },
        () => undefined,
      ),
    );
    const reference = await this.digestOf(image);
    if (!reference) throw new BerthError(500, `The registry did not give ${image.title} a digest.`);
    return reference;
  }

  /** The image's digest reference in this registry, if it was pushed there before. */
  private async digestOf(image: CatalogueImage): Promise<string | undefined> {
    const repo = repositoryOf(this.registry, image);
    const info = await this.docker.getImage(image.imageId).inspect();
    return (info.RepoDigests ?? []).find((d) => d.startsWith(`${repo}@`));
  }
}
