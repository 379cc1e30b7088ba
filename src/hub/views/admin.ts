/**
 * The admin page (users, paged, filtered and sorted, with their servers and actions; admin.js
 * drives it through the REST API) and the token page (token.js).
 */
import type { CatalogueImage } from '../../catalogue/catalogue';
import { type Html, html } from '../html';
import { engineNotice, layout, type PageContext } from './layout';

/** The admin page; `images` is undefined while the container engine does not answer. */
export function adminPage(page: PageContext, images: CatalogueImage[] | undefined, defaultImage: string): Html {
  const choices = JSON.stringify((images ?? []).map((i) => ({ id: i.id, title: i.title })));
  return layout(
    'Admin',
    page,
    html`<h1>Admin</h1>
${images === undefined ? engineNotice() : ''}
<section class="card admin" id="admin" data-images="${choices}" data-default-image="${defaultImage}">
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
  <div class="pager"><button id="prev">Previous</button> <span id="page-info"></span>
    <button id="next">Next</button></div>
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
    <thead><tr><th>Id</th><th>Note</th><th>Scopes</th><th>Created</th><th>Expires</th><th>Last used</th><th></th>
    </tr></thead>
    <tbody></tbody>
  </table>
</section>`,
    'token',
  );
}
