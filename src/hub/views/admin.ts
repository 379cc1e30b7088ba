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
${adminTabs('users')}
${images === undefined ? engineNotice() : ''}
<section class="card admin" id="admin" data-images="${choices}" data-default-image="${defaultImage}">
  <div class="toolbar">
    <label>Filter <input id="filter" type="search" placeholder="name contains"></label>
    <label>Sort <select id="sort">
      <option value="name">name (A–Z)</option>
      <option value="-name">name (Z–A)</option>
      <option value="-last_activity">last activity (latest first)</option>
      <option value="last_activity">last activity (oldest first)</option>
      <option value="-memory">memory in use (most first)</option>
      <option value="-cpu">CPU in use (busiest first)</option>
    </select></label>
    <button id="stop-all">Stop all servers</button>
  </div>
  <p class="notice" id="notice" role="status" hidden></p>
  <table id="users">
    <thead><tr><th>User</th><th>Admin</th><th>Server</th><th>Uses</th><th>Last activity</th><th>Actions</th></tr></thead>
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

function adminTabs(current: 'users' | 'groups'): Html {
  const tab = (id: 'users' | 'groups', href: string, label: string) =>
    html`<a href="${href}" id="tab-${id}"${current === id ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs">${tab('users', '/hub/admin', 'Users')} ${tab('groups', '/hub/admin/groups', 'Groups and volumes')}</nav>`;
}

/** The Groups tab: groups, members and properties (a form, not JSON), and shared volumes; groups.js drives it. */
export function groupsPage(page: PageContext, images: CatalogueImage[] | undefined): Html {
  const choices = JSON.stringify((images ?? []).map((i) => ({ id: i.id, title: i.title })));
  return layout(
    'Groups',
    page,
    html`<h1>Admin</h1>
${adminTabs('groups')}
${images === undefined ? engineNotice() : ''}
<p class="notice" id="notice" role="status" hidden></p>
<section class="card" id="groups-admin" data-images="${choices}">
  <h2>Groups</h2>
  <form id="new-group" class="inline"><label>New group <input id="new-group-name" required></label>
    <button type="submit">Create group</button></form>
  <table id="groups"><thead><tr><th>Group</th><th>Members</th><th>What its servers get</th></tr></thead>
    <tbody></tbody></table>
</section>
<section class="card" id="group-editor" hidden>
  <h2 id="editor-title"></h2>
  <h3>Members</h3>
  <p id="members"></p>
  <label>Usernames, one per line <textarea id="member-names" rows="3"></textarea></label>
  <button type="button" id="add-members">Add them</button> <button type="button" id="remove-members">Remove them</button>
  <h3>What members' servers get</h3>
  <form id="properties">
    <fieldset id="prop-images"><legend>Images (none ticked: every image)</legend></fieldset>
    <label>Memory <input id="prop-memory" placeholder="e.g. 2g; empty: each image's own"></label>
    <label>CPUs <input id="prop-cpu" type="number" step="0.1" min="0.01" placeholder="empty: each image's own"></label>
    <label>Variables, NAME=value on each line <textarea id="prop-env" rows="3"></textarea></label>
    <fieldset id="prop-volumes"><legend>Shared folders</legend>
      <table><tbody></tbody></table><button type="button" id="add-folder">Add a folder</button></fieldset>
    <label>Internet <select id="prop-network"><option value="internet">on</option><option value="none">off</option></select></label>
    <label class="inline"><input type="checkbox" id="prop-postgres"> A PostgreSQL database for the group (a role for each member)</label>
    <button type="submit" class="primary" id="save-properties">Save</button>
  </form>
  <p><button type="button" id="delete-group">Delete this group</button></p>
</section>
<section class="card" id="volumes-admin">
  <h2>Shared volumes</h2>
  <form id="new-volume" class="inline"><label>New volume <input id="new-volume-name" required></label>
    <button type="submit">Create volume</button></form>
  <table id="volumes"><thead><tr><th>Volume</th><th>Mounted by</th><th>Created</th><th></th></tr></thead>
    <tbody></tbody></table>
</section>`,
    'groups',
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
