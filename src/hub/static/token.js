// The token page: a user makes and revokes their own API tokens through the REST API
// (api() from berth.js). A new token is shown once.
'use strict';

function tokenPage(section) {
  const user = encodeURIComponent(section.dataset.user);
  const body = section.querySelector('#token-list tbody');
  const error = document.getElementById('token-error');
  const cell = (text) => {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  };
  const when = (t) => (t ? new Date(t).toLocaleString() : '—');

  async function load() {
    const { api_tokens: tokens } = await (await api('GET', `/users/${user}/tokens`)).json();
    body.replaceChildren(
      ...tokens.map((t) => {
        const tr = document.createElement('tr');
        tr.dataset.token = t.id;
        tr.append(
          cell(t.id),
          cell(t.note),
          cell(t.scopes.join(' ')),
          cell(when(t.created)),
          cell(t.expires_at ? when(t.expires_at) : 'never'),
          cell(when(t.last_activity)),
        );
        const revoke = document.createElement('button');
        revoke.textContent = 'Revoke';
        revoke.className = 'revoke';
        revoke.onclick = async () => {
          await api('DELETE', `/users/${user}/tokens/${encodeURIComponent(t.id)}`);
          load();
        };
        const td = document.createElement('td');
        td.appendChild(revoke);
        tr.appendChild(td);
        return tr;
      }),
    );
  }

  document.getElementById('new-token-form').onsubmit = async (event) => {
    event.preventDefault();
    error.hidden = true;
    const expires = document.getElementById('token-expires').value;
    const scopes = document
      .getElementById('token-scopes')
      .value.split(/[\s,]+/)
      .filter(Boolean);
    try {
      const res = await api('POST', `/users/${user}/tokens`, {
        note: document.getElementById('token-note').value,
        expires_in: expires ? Number(expires) : null,
        ...(scopes.length ? { scopes } : {}),
      });
      document.getElementById('new-token').textContent = (await res.json()).token;
      document.getElementById('new-token-box').hidden = false;
      load();
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  load();
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('tokens');
  if (section) tokenPage(section);
});
