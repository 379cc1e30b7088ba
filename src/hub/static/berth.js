// Berth's pages: start and stop through the REST API (session cookie + X-XSRFToken), and
// follow a pending start until the server answers. Plain browser JavaScript, no build step.
'use strict';

const xsrf = () => document.querySelector('meta[name="xsrf-token"]').content;

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
    location.assign(res.status === 201 ? `/user/${encodeURIComponent(user)}/tree` : `/hub/spawn-pending/${encodeURIComponent(user)}`);
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
    button.addEventListener('click', () => (button.dataset.action === 'start' ? start(user, button) : stop(user, button)));
  }
}

async function pending(section) {
  const user = section.dataset.user;
  const server = await waitFor(user, (s) => s === null || s.ready);
  if (server && server.ready && section.dataset.own === 'yes') location.assign(`${server.url}tree`);
  else if (server && server.ready) document.getElementById('progress-message').textContent = `${user}'s server is ready.`;
  else if (!document.getElementById('last-error')) location.reload(); // the page shows why it failed
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('server');
  if (section) home(section);
  const waiting = document.getElementById('pending');
  if (waiting && !document.getElementById('last-error')) pending(waiting);
});
