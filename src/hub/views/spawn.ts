/**
 * The spawn page: the catalogue as cards (kernels, packages, limits, whether it is built) to
 * pick the server's image from.
 */
import type { CatalogueImage } from '../../catalogue/catalogue';
import { describeKernels } from '../../catalogue/labels';
import { type Html, html } from '../html';
import { engineNotice, layout, type PageContext } from './layout';

function gigabytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  return gb >= 1 ? `${Number(gb.toFixed(1))} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** "2 GB memory · 1 CPU · 512 processes" */
export function describeLimits(image: CatalogueImage): string {
  const { memory, cpu, pids } = image.limits;
  return `${gigabytes(memory)} memory · ${cpu} CPU${cpu === 1 ? '' : 's'} · ${pids} processes`;
}

function radio(id: string, checked: boolean): Html {
  return html`<input type="radio" name="image" value="${id}"${checked ? html` checked` : ''}>`;
}

function builtText(image: CatalogueImage): string {
  if (!image.built) return 'not built yet: the first start builds it (a few minutes)';
  return `${gigabytes(image.size)}, built ${image.created.slice(0, 10)}`;
}

export interface SpawnView {
  /** Whose server starts. */
  name: string;
  /** Undefined while the container engine does not answer. */
  images?: CatalogueImage[];
  selected: string;
  error?: string;
  /** Where to go on the server once it is up (a shared link's path). */
  next: string;
}

export function spawnPage(page: PageContext, view: SpawnView): Html {
  const own = page.user?.name === view.name;
  const action = own ? '/hub/spawn' : `/hub/spawn/${view.name}`;
  return layout(
    'Choose an environment',
    page,
    html`<h1>${own ? 'Choose an environment' : `Start ${view.name}'s server`}</h1>
${view.error ? html`<p class="error" id="spawn-error" role="alert">${view.error}</p>` : ''}
${
  view.images === undefined
    ? engineNotice()
    : view.images.length === 0
      ? html`<p class="card" id="no-images">No notebook images are built yet.
An admin can build them with <code>berth images build</code>.</p>`
      : html`<form method="post" action="${action}" id="spawn_form">
  <input type="hidden" name="_xsrf" value="${page.xsrf}">
  <input type="hidden" name="next" value="${view.next}">
  <div class="cards">
  ${view.images.map(
    (image) => html`<label class="card image-card" id="image-${image.id}">
    <span class="pick">${radio(image.id, image.id === view.selected)}
      <strong class="title">${image.title}</strong></span>
    <span class="description">${image.description}</span>
    <dl>
      <dt>Kernels</dt><dd class="kernels">${describeKernels(image.kernels)}</dd>
      ${image.packages.length ? html`<dt>Packages</dt><dd class="packages">${image.packages.join(', ')}</dd>` : ''}
      <dt>Limits</dt><dd class="limits">${describeLimits(image)}</dd>
      <dt>Image</dt><dd class="built">${builtText(image)}</dd>
    </dl>
  </label>`,
  )}
  </div>
  <div class="actions"><button type="submit" class="primary" id="start">Start</button>
    <a class="button" href="/hub/home">Cancel</a></div>
</form>`
}`,
  );
}
