// Berth's pages: start and stop through the REST API (session cookie + X-XSRFToken), and
// follow a pending start until the server answers. Plain browser JavaScript, no build step.
'use strict';

const xsrf = () => document.querySelector('meta[name="xsrf-token"]').content;

/** An element with attributes and text (never HTML). */
// biome-ignore lint/correctness/noUnusedVariables: admin.js, groups.js and jobs.js use it, loaded after this file
function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * An admin page's actions: `act` runs one, says `done` (or the hub's message) in `notice`, and
 * reloads what the page shows; `say` puts a message there.
 */
// biome-ignore lint/correctness/noUnusedVariables: admin.js, groups.js and jobs.js use it, loaded after this file
function actions(notice, reload) {
  const say = (message, bad = false) => {
    notice.textContent = message;
    notice.className = bad ? 'notice error' : 'notice';
    notice.hidden = false;
  };
  async function act(work, done) {
    try {
      await work();
      if (done) say(done);
      await reload();
    } catch (err) {
      say(err.message, true);
    }
  }
  return { say, act };
}

async function api(method, path, body) {
  const res = await fetch(`/hub/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { 'X-XSRFToken': xsrf(), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 400) {
    let message = `The hub answered ${res.status}.`;
    try {
      message = (await res.json()).message || message;
    } catch {}
    throw new Error(message);
  }
  return res;
}

function showError(message) {
  const el = document.getElementById('action-error');
  el.textContent = message;
  el.hidden = false;
}

async function start(user, button) {
  button.disabled = true;
  try {
    const res = await api('POST', `/users/${encodeURIComponent(user)}/server`);
    location.assign(
      res.status === 201 ? `/user/${encodeURIComponent(user)}/` : `/hub/spawn-pending/${encodeURIComponent(user)}`,
    );
  } catch (err) {
    showError(err.message);
    button.disabled = false;
  }
}

async function stop(user, button) {
  button.disabled = true;
  try {
    const res = await api('DELETE', `/users/${encodeURIComponent(user)}/server`);
    if (res.status === 202) await waitFor(user, (server) => server === null);
    location.reload();
  } catch (err) {
    showError(err.message);
    button.disabled = false;
  }
}

async function userModel(user) {
  return (await api('GET', `/users/${encodeURIComponent(user)}`)).json();
}

async function waitFor(user, done) {
  for (;;) {
    const model = await userModel(user);
    const server = model.servers[''] || null;
    if (done(server)) return server;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function home(section) {
  const user = section.dataset.user;
  for (const button of section.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', () =>
      button.dataset.action === 'start' ? start(user, button) : stop(user, button),
    );
  }
}

// Follows the start's progress events; on ready goes to the server (or says so, for an admin),
// on failure reloads: the page then shows why, with the container's last log lines.
function pending(section) {
  const user = section.dataset.user;
  const bar = document.getElementById('progress');
  const message = document.getElementById('progress-message');
  const log = document.getElementById('progress-log');
  const source = new EventSource(`/hub/api/users/${encodeURIComponent(user)}/server/progress`);
  source.onmessage = (m) => {
    const event = JSON.parse(m.data);
    bar.value = event.progress;
    message.textContent = event.message;
    const item = document.createElement('li');
    item.textContent = event.message;
    log.appendChild(item);
    if (event.ready) {
      source.close();
      if (section.dataset.own === 'yes') location.assign(section.dataset.next || event.url);
    } else if (event.failed) {
      source.close();
      location.reload();
    }
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) location.reload();
  };
}

/** While the container engine does not answer, asks /hub/health every few seconds and reloads once it does. */
function watchEngine() {
  const look = async () => {
    try {
      const health = await (await fetch('/hub/health', { credentials: 'same-origin' })).json();
      if (health.docker === 'ok') return location.reload();
    } catch {}
    setTimeout(look, 3000);
  };
  setTimeout(look, 3000);
}

document.addEventListener('DOMContentLoaded', () => {
  if (document.getElementById('engine-down')) watchEngine();
  const section = document.getElementById('server');
  if (section) home(section);
  const waiting = document.getElementById('pending');
  if (waiting && !document.getElementById('last-error')) pending(waiting);
});
