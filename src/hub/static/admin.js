// The admin page: the users table (paged, filtered, sorted) and its actions, all through the
// REST API with the session cookie and the XSRF token (api() from berth.js). Text goes into the
// page with textContent only.
'use strict';

const PAGE_SIZE = 50;

function adminPage(section) {
  const images = JSON.parse(section.dataset.images);
  const body = section.querySelector('#users tbody');
  const notice = document.getElementById('notice');
  const state = { offset: 0, total: 0, refresh: undefined };
  /** How often the page looks again while a server on it is starting or stopping. */
  const PENDING_REFRESH_MS = 2000;
  /** How often it looks again while servers on it run: what they use changes (the hub samples every few seconds). */
  const LIVE_REFRESH_MS = 5000;

  const { say, act } = actions(notice, () => load());

  /** Stops the user's server and waits (a minute at most) until it is gone: a stop may answer "pending". */
  async function stopped(name) {
    if ((await api('DELETE', `/users/${name}/server`)).status === 204) return;
    for (let i = 0; i < 60; i++) {
      const user = await (await api('GET', `/users/${name}`)).json();
      if (!user.servers?.['']) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error('The server is still stopping; try again in a moment.');
  }

  function serverText(user) {
    const server = user.servers?.[''];
    if (!server) return 'stopped';
    const image = server.user_options?.image ? ` (${server.user_options.image})` : '';
    const node = server.state?.node ? ` on ${server.state.node}` : '';
    const old = server.state?.old_settings ? ', with old group settings' : '';
    const ready = server.state?.paused ? 'paused' : 'running';
    return (server.ready ? ready : server.pending === 'stop' ? 'stopping' : 'starting') + image + node + old;
  }

  function row(user) {
    const tr = el('tr', { 'data-user': user.name });
    tr.appendChild(el('td', { class: 'name' }, user.name));
    tr.appendChild(el('td', { class: 'admin-flag' }, user.admin ? 'admin' : ''));
    tr.appendChild(el('td', { class: 'server' }, serverText(user)));
    const usage = user.servers?.['']?.usage;
    const mib = (bytes) => `${Math.round(bytes / 1024 ** 2)} MiB`;
    tr.appendChild(
      el('td', { class: 'usage' }, usage ? `${mib(usage.memory_bytes)}, ${usage.cpu.toFixed(2)} CPU` : ''),
    );
    tr.appendChild(
      el('td', { class: 'activity' }, user.last_activity ? new Date(user.last_activity).toLocaleString() : 'never'),
    );
    const actions = el('td', { class: 'actions' });
    const name = encodeURIComponent(user.name);
    if (user.servers?.['']) {
      const stop = el('button', { class: 'stop' }, 'Stop');
      stop.onclick = () => act(() => api('DELETE', `/users/${name}/server`), `Stopping ${user.name}'s server.`);
      actions.appendChild(stop);
      if (user.servers[''].state?.old_settings) {
        // Stop, then start with the same image: the new start takes the groups' settings of now.
        const restart = el('button', { class: 'restart' }, 'Restart with new settings');
        const image = user.servers[''].user_options?.image;
        restart.onclick = () =>
          act(async () => {
            await stopped(name);
            return api('POST', `/users/${name}/server`, image ? { image } : {});
          }, `Restarting ${user.name}'s server with its groups' settings of now.`);
        actions.appendChild(restart);
      }
    } else {
      const pick = el('select', { class: 'image', 'aria-label': `image for ${user.name}` });
      for (const image of images) pick.appendChild(el('option', { value: image.id }, image.title));
      pick.value = section.dataset.defaultImage;
      const start = el('button', { class: 'start' }, 'Start');
      start.onclick = () =>
        act(
          () => api('POST', `/users/${name}/server`, { image: pick.value }),
          `Starting ${user.name}'s server with ${pick.value}.`,
        );
      actions.append(pick, start);
    }
    const toggle = el('button', { class: 'toggle-admin' }, user.admin ? 'Revoke admin' : 'Make admin');
    toggle.onclick = () => act(() => api('PATCH', `/users/${name}`, { admin: !user.admin }));
    const reset = el('button', { class: 'reset-password' }, 'Reset password');
    reset.onclick = () => {
      const bytes = crypto.getRandomValues(new Uint8Array(12));
      const password = Array.from(bytes, (b) => 'abcdefghjkmnpqrstuvwxyz23456789'[b % 31]).join('');
      act(() => api('PATCH', `/users/${name}`, { password }), `New password for ${user.name}: ${password}`);
    };
    const remove = el('button', { class: 'delete' }, 'Delete');
    remove.onclick = () => {
      if (confirm(`Delete ${user.name}? Their server stops and their sessions and tokens end.`))
        act(() => api('DELETE', `/users/${name}`), `Deleted ${user.name}.`);
    };
    actions.append(toggle, reset, remove);
    tr.appendChild(actions);
    return tr;
  }

  /** Loads the page again, unless someone is using the table (a focused field) or the tab is hidden. */
  function refresh() {
    if (document.hidden || body.contains(document.activeElement)) state.refresh = setTimeout(refresh, LIVE_REFRESH_MS);
    else load();
  }

  async function load() {
    const params = new URLSearchParams({
      offset: String(state.offset),
      limit: String(PAGE_SIZE),
      sort: document.getElementById('sort').value,
    });
    const filter = document.getElementById('filter').value.trim();
    if (filter) params.set('name_filter', filter);
    const res = await fetch(`/hub/api/users?${params}`, {
      headers: { Accept: 'application/jupyterhub-pagination+json' },
      credentials: 'same-origin',
    });
    if (!res.ok) return say(`Could not load users: ${res.status}`, true);
    const data = await res.json();
    state.total = data._pagination.total;
    body.replaceChildren(...data.items.map(row));
    const last = Math.min(state.offset + PAGE_SIZE, state.total);
    document.getElementById('page-info').textContent = state.total
      ? `${state.offset + 1}–${last} of ${state.total}`
      : 'no users';
    document.getElementById('prev').disabled = state.offset === 0;
    document.getElementById('next').disabled = !data._pagination.next;
    // A start or stop in progress ends without a click here, and running servers' use changes: look again.
    clearTimeout(state.refresh);
    if (data.items.some((user) => user.pending)) state.refresh = setTimeout(refresh, PENDING_REFRESH_MS);
    else if (data.items.some((user) => user.servers?.[''])) state.refresh = setTimeout(refresh, LIVE_REFRESH_MS);
  }

  /** Shows the page at `offset`. */
  const show = (offset) => {
    state.offset = Math.max(0, offset);
    return load();
  };
  document.getElementById('prev').onclick = () => show(state.offset - PAGE_SIZE);
  document.getElementById('next').onclick = () => show(state.offset + PAGE_SIZE);
  document.getElementById('sort').onchange = () => show(0);
  let typing;
  document.getElementById('filter').oninput = () => {
    clearTimeout(typing);
    typing = setTimeout(() => show(0), 250);
  };
  /** Every user with a server, page after page (the API gives at most 200 at a time). */
  async function activeUsers() {
    const names = [];
    let url = '/hub/api/users?state=active&limit=200';
    while (url) {
      const res = await fetch(url, {
        headers: { Accept: 'application/jupyterhub-pagination+json' },
        credentials: 'same-origin',
      });
      if (!res.ok) throw new Error(`Could not list the running servers: ${res.status}`);
      const data = await res.json();
      names.push(...data.items.map((u) => u.name));
      url = data._pagination.next && `/hub/api/users?${new URL(data._pagination.next.url).searchParams}`;
    }
    return names;
  }

  document.getElementById('stop-all').onclick = () => {
    if (!confirm('Stop every running server?')) return;
    act(async () => {
      const names = await activeUsers();
      const results = await Promise.allSettled(
        names.map((name) => api('DELETE', `/users/${encodeURIComponent(name)}/server`)),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      const stopping = `Stopping ${names.length - failed.length} server${names.length - failed.length === 1 ? '' : 's'}.`;
      if (failed.length === 0) say(stopping);
      else say(`${stopping} ${failed.length} could not be stopped: ${failed[0].reason.message}`, true);
    });
  };
  document.getElementById('add-users').onsubmit = (event) => {
    event.preventDefault();
    const usernames = document.getElementById('add-names').value.split(/\s+/).filter(Boolean);
    const admin = document.getElementById('add-admin').checked;
    act(
      async () => {
        await api('POST', '/users', { usernames, admin });
        document.getElementById('add-names').value = '';
      },
      `Added ${usernames.join(', ')}.`,
    );
  };
  load();
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('admin');
  if (section) adminPage(section);
});
