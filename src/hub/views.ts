/**
 * The hub's pages. Each view is a function from typed data to Html; the layout carries the XSRF
 * token (for scripts) and the signed-in user. No inline scripts or styles: the CSP forbids them.
 */
import type { CatalogueImage } from '../catalogue/catalogue';
import { describeKernels } from '../catalogue/labels';
import { html, type Html } from './html';

export interface PageContext {
  xsrf: string;
  user?: { name: string; admin: boolean };
}

function logoutForm(page: PageContext, id: string): Html {
  return html`<form method="post" action="/hub/logout" class="logout"><input type="hidden" name="_xsrf" value="${page.xsrf}"><button type="submit" id="${id}">Log out</button></form>`;
}

export function layout(title: string, page: PageContext, body: Html, script?: 'admin' | 'token'): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="xsrf-token" content="${page.xsrf}">
<title>${title} · Berth</title>
<link rel="stylesheet" href="/hub/static/berth.css">
<script src="/hub/static/berth.js" defer></script>
${script ? html`<script src="/hub/static/${script}.js" defer></script>` : ''}
</head>
<body>
<header>
  <a class="brand" href="/hub/home">Berth</a>
  ${
    page.user
      ? html`<nav><a href="/hub/home">Home</a> <a href="/hub/token" id="nav-token">Token</a> ${page.user.admin ? html`<a href="/hub/admin" id="nav-admin">Admin</a> ` : ''}<span class="who">${page.user.name}</span> ${logoutForm(page, 'logout')}</nav>`
      : ''
  }
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function loginPage(page: PageContext, opts: { next: string; username?: string; error?: string }): Html {
  return layout(
    'Sign in',
    page,
    html`<h1>Sign in</h1>
<form method="post" action="/hub/login?next=${encodeURIComponent(opts.next)}" class="card login">
  <input type="hidden" name="_xsrf" value="${page.xsrf}">
  <label>Username <input name="username" id="username_input" autocomplete="username" autocapitalize="none" value="${opts.username ?? ''}" required autofocus></label>
  <label>Password <input name="password" id="password_input" type="password" autocomplete="current-password" required></label>
  ${opts.error ? html`<p class="error" role="alert">${opts.error}</p>` : ''}
  <button type="submit" id="login_submit">Sign in</button>
</form>`,
  );
}

export interface HomeView {
  name: string;
  state: 'stopped' | 'starting' | 'running' | 'stopping';
  /** Title of the image that runs, or that Start will use. */
  image?: string;
  lastError?: string;
}

const STATE_TEXT: Record<HomeView['state'], string> = {
  stopped: 'Your server is not running.',
  starting: 'Your server is starting.',
  running: 'Your server is running.',
  stopping: 'Your server is stopping.',
};

export function homePage(page: PageContext, view: HomeView): Html {
  const base = `/user/${view.name}/`;
  return layout(
    'Home',
    page,
    html`<h1>Your notebook server</h1>
<section class="card" id="server" data-user="${view.name}" data-state="${view.state}">
  <p id="server-state">${STATE_TEXT[view.state]}${view.image ? html` <span class="image">Image: ${view.image}</span>` : ''}</p>
  ${view.lastError ? html`<pre class="error" id="last-error">${view.lastError}</pre>` : ''}
  <div class="actions">
    ${view.state === 'running' ? html`<a class="button primary" id="open-server" href="${base}tree">My Server</a>` : ''}
    ${view.state === 'starting' ? html`<a class="button" href="/hub/spawn-pending/${view.name}">Show progress</a>` : ''}
    ${view.state === 'stopped' ? html`<button class="primary" id="start" data-action="start">Start my server</button> <a class="button" id="choose" href="/hub/spawn">Choose an environment</a>` : ''}
    ${view.state === 'running' || view.state === 'starting' ? html`<button id="stop" data-action="stop">Stop my server</button>` : ''}
  </div>
  <p class="error" id="action-error" role="alert" hidden></p>
</section>`,
  );
}

export function pendingPage(page: PageContext, view: { name: string; lastError?: string }): Html {
  const own = page.user?.name === view.name;
  return layout(
    'Starting',
    page,
    html`<h1>Starting ${own ? 'your' : `${view.name}'s`} server</h1>
<section class="card" id="pending" data-user="${view.name}" data-own="${own ? 'yes' : 'no'}">
  ${
    view.lastError
      ? html`<p>The start failed:</p>
  <pre class="error" id="last-error">${view.lastError}</pre>
  <p><a class="button primary" href="/hub/home">Back to home, to try again</a></p>`
      : html`<progress id="progress" max="100" value="0"></progress>
  <p id="progress-message">Your server is starting; this page moves on when it is ready.</p>
  <ol id="progress-log" class="progress-log"></ol>
  <p><a href="/hub/home">Back to home</a></p>`
  }
</section>`,
  );
}

export function logoutPage(page: PageContext): Html {
  return layout('Log out', page, html`<h1>Log out</h1>
<section class="card"><p>Log out of Berth, on this device and every other?</p>${logoutForm(page, 'confirm-logout')}</section>`);
}

export function errorPage(page: PageContext, status: number, message: string): Html {
  return layout(
    `Error ${status}`,
    page,
    html`<h1>${status}</h1>
<p class="error" id="error-message">${message}</p>
<p><a href="/hub/home">Back to home</a></p>`,
  );
}

function gigabytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  return gb >= 1 ? `${Number(gb.toFixed(1))} GB` : `${Math.round(bytes / 1024 ** 2)} MB`;
}

/** "2 GB memory · 1 CPU · 512 processes" */
export function describeLimits(image: CatalogueImage): string {
  const { memory, cpu, pids } = image.limits;
  return `${gigabytes(memory)} memory · ${cpu} CPU${cpu === 1 ? '' : 's'} · ${pids} processes`;
}

export interface SpawnView {
  /** Whose server starts. */
  name: string;
  images: CatalogueImage[];
  selected: string;
  error?: string;
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
  view.images.length === 0
    ? html`<p class="card" id="no-images">No notebook images are built yet. An admin can build them with <code>berth images build</code>.</p>`
    : html`<form method="post" action="${action}" id="spawn_form">
  <input type="hidden" name="_xsrf" value="${page.xsrf}">
  <div class="cards">
  ${view.images.map(
    (image) => html`<label class="card image-card" id="image-${image.id}">
    <span class="pick"><input type="radio" name="image" value="${image.id}"${image.id === view.selected ? html` checked` : ''}> <strong class="title">${image.title}</strong></span>
    <span class="description">${image.description}</span>
    <dl>
      <dt>Kernels</dt><dd class="kernels">${describeKernels(image.kernels)}</dd>
      ${image.packages.length ? html`<dt>Packages</dt><dd class="packages">${image.packages.join(', ')}</dd>` : ''}
      <dt>Limits</dt><dd class="limits">${describeLimits(image)}</dd>
      <dt>Image</dt><dd class="built">${image.built ? `${gigabytes(image.size)}, built ${image.created.slice(0, 10)}` : 'not built yet: the first start builds it (a few minutes)'}</dd>
    </dl>
  </label>`,
  )}
  </div>
  <div class="actions"><button type="submit" class="primary" id="start">Start</button> <a class="button" href="/hub/home">Cancel</a></div>
</form>`
}`,
  );
}

export function adminPage(page: PageContext, images: CatalogueImage[], defaultImage: string): Html {
  return layout(
    'Admin',
    page,
    html`<h1>Admin</h1>
<section class="card admin" id="admin" data-images="${JSON.stringify(images.map((i) => ({ id: i.id, title: i.title })))}" data-default-image="${defaultImage}">
  <div class="toolbar">
    <label>Filter <input id="filter" type="search" placeholder="name contains"></label>
    <label>Sort <select id="sort">
      <option value="name">name (A–Z)</option>
      <option value="-name">name (Z–A)</option>
      <option value="-last_activity">last activity (latest first)</option>
      <option value="last_activity">last activity (oldest first)</option>
    </select></label>
    <button id="stop-all">Stop all servers</button>
  </div>
  <p class="notice" id="notice" role="status" hidden></p>
  <table id="users">
    <thead><tr><th>User</th><th>Admin</th><th>Server</th><th>Last activity</th><th>Actions</th></tr></thead>
    <tbody></tbody>
  </table>
  <div class="pager"><button id="prev">Previous</button> <span id="page-info"></span> <button id="next">Next</button></div>
</section>
<section class="card">
  <h2>Add users</h2>
  <form id="add-users">
    <label>Usernames, one per line <textarea id="add-names" rows="3" required></textarea></label>
    <label class="inline"><input type="checkbox" id="add-admin"> admin</label>
    <button type="submit" class="primary">Add users</button>
  </form>
  <p class="hint">New users have no password yet: use <em>Reset password</em> to give them one.</p>
</section>`,
    'admin',
  );
}

export function tokenPage(page: PageContext): Html {
  return layout(
    'API tokens',
    page,
    html`<h1>API tokens</h1>
<section class="card" id="tokens" data-user="${page.user?.name ?? ''}">
  <form id="new-token-form">
    <label>Note <input id="token-note" maxlength="500" placeholder="what the token is for"></label>
    <label>Expires <select id="token-expires">
      <option value="">never</option>
      <option value="3600">in an hour</option>
      <option value="86400">in a day</option>
      <option value="604800">in a week</option>
      <option value="2592000">in 30 days</option>
    </select></label>
    <label>Scopes <input id="token-scopes" placeholder="empty: all of yours; or e.g. read:users servers"></label>
    <button type="submit" class="primary" id="create-token">Request new API token</button>
  </form>
  <div id="new-token-box" hidden>
    <p>Your new token, shown only this once; copy it now:</p>
    <pre id="new-token"></pre>
  </div>
  <p class="error" id="token-error" role="alert" hidden></p>
  <table id="token-list">
    <thead><tr><th>Id</th><th>Note</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th></th></tr></thead>
    <tbody></tbody>
  </table>
</section>`,
    'token',
  );
}
