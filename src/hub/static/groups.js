// The admin page's Groups tab: groups, their members and properties (a form the hub checks field
// by field), and shared volumes, all through the REST API (api() and el() from berth.js). Text
// goes into the page with textContent only.
'use strict';

const SHARED = '/home/jovyan/shared/';

function groupsTab(section) {
  const images = JSON.parse(section.dataset.images);
  const notice = document.getElementById('notice');
  const editor = document.getElementById('group-editor');
  const form = document.getElementById('properties');
  const folders = form.querySelector('#prop-volumes tbody');
  const state = { group: undefined, volumes: [] };

  const { say, act } = actions(notice, () => load());

  const lines = (text) =>
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);

  /** What a group's properties give, in a few words for the table. */
  function summary(p) {
    const parts = [];
    if (p.images) parts.push(`images ${p.images.join(', ')}`);
    if (p.limits?.memory) parts.push(`${p.limits.memory} memory`);
    if (p.limits?.cpu) parts.push(`${p.limits.cpu} CPU`);
    for (const v of p.volumes ?? []) parts.push(`${v.volume} ${v.mode === 'ro' ? 'read-only' : 'read-write'}`);
    if (p.env) parts.push(`${Object.keys(p.env).length} variable(s)`);
    if (p.network === 'none') parts.push('no internet');
    if (p.services?.includes('postgres')) parts.push('a database');
    return parts.join('; ') || 'nothing';
  }

  function folderRow(mount = { volume: state.volumes[0]?.name ?? '', path: '', mode: 'ro' }) {
    const tr = el('tr', { class: 'folder' });
    const volume = el('select', { class: 'volume', 'aria-label': 'volume' });
    for (const v of state.volumes) volume.appendChild(el('option', { value: v.name }, v.name));
    volume.value = mount.volume;
    const path = el('input', { class: 'path', 'aria-label': 'path', value: mount.path || SHARED + volume.value });
    const mode = el('select', { class: 'mode', 'aria-label': 'mode' });
    mode.append(el('option', { value: 'ro' }, 'read-only'), el('option', { value: 'rw' }, 'read-write'));
    mode.value = mount.mode;
    const remove = el('button', { type: 'button', class: 'remove-folder' }, 'Remove');
    remove.onclick = () => tr.remove();
    for (const part of [volume, path, mode, remove]) tr.appendChild(el('td')).appendChild(part);
    folders.appendChild(tr);
  }

  function edit(group) {
    state.group = group.name;
    editor.hidden = false;
    document.getElementById('editor-title').textContent = `Group ${group.name}`;
    document.getElementById('members').textContent = group.users.join(', ') || 'No members yet.';
    const p = group.properties;
    const box = form.querySelector('#prop-images');
    for (const old of box.querySelectorAll('label')) old.remove();
    for (const image of images) {
      const tick = el('input', { type: 'checkbox', value: image.id, class: 'image' });
      tick.checked = (p.images ?? []).includes(image.id);
      const label = el('label', { class: 'inline' });
      label.append(tick, ` ${image.title}`);
      box.appendChild(label);
    }
    form.querySelector('#prop-memory').value = p.limits?.memory ?? '';
    form.querySelector('#prop-cpu').value = p.limits?.cpu ?? '';
    form.querySelector('#prop-env').value = Object.entries(p.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    folders.replaceChildren();
    for (const mount of p.volumes ?? []) folderRow(mount);
    form.querySelector('#prop-network').value = p.network ?? 'internet';
    form.querySelector('#prop-postgres').checked = (p.services ?? []).includes('postgres');
  }

  /** The form as properties; the hub checks every field and names a wrong one. */
  function properties() {
    const out = {};
    const ticked = [...form.querySelectorAll('input.image:checked')].map((i) => i.value);
    if (ticked.length) out.images = ticked;
    const memory = form.querySelector('#prop-memory').value.trim();
    const cpu = form.querySelector('#prop-cpu').value.trim();
    if (memory || cpu) out.limits = { ...(memory ? { memory } : {}), ...(cpu ? { cpu: Number(cpu) } : {}) };
    const env = lines(form.querySelector('#prop-env').value);
    if (env.length) out.env = Object.fromEntries(env.map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1)]));
    const mounts = [...folders.querySelectorAll('tr')].map((tr) => ({
      volume: tr.querySelector('.volume').value,
      path: tr.querySelector('.path').value.trim(),
      mode: tr.querySelector('.mode').value,
    }));
    if (mounts.length) out.volumes = mounts;
    if (form.querySelector('#prop-network').value === 'none') out.network = 'none';
    if (form.querySelector('#prop-postgres').checked) out.services = ['postgres'];
    return out;
  }

  async function load() {
    const [groups, volumes] = await Promise.all([
      api('GET', '/groups').then((r) => r.json()),
      api('GET', '/volumes').then((r) => r.json()),
    ]);
    state.volumes = volumes;
    const body = section.querySelector('#groups tbody');
    body.replaceChildren();
    for (const group of groups) {
      const tr = el('tr', { 'data-group': group.name });
      const open = el('button', { type: 'button', class: 'link open-group' }, group.name);
      open.onclick = () => edit(group);
      tr.appendChild(el('td', { class: 'name' })).appendChild(open);
      tr.appendChild(el('td', { class: 'members' }, String(group.users.length)));
      tr.appendChild(el('td', { class: 'summary' }, summary(group.properties)));
      body.appendChild(tr);
    }
    const shown = groups.find((g) => g.name === state.group);
    if (shown) edit(shown);
    else editor.hidden = true;
    const vbody = document.querySelector('#volumes tbody');
    vbody.replaceChildren();
    for (const v of volumes) {
      const tr = el('tr', { 'data-volume': v.name });
      tr.append(el('td', {}, v.name), el('td', {}, v.groups.join(', ') || '-'), el('td', {}, v.created));
      const remove = el('button', { type: 'button', class: 'delete-volume' }, 'Delete');
      remove.onclick = () => {
        if (!confirm(`Delete volume ${v.name} and every file in it?`)) return;
        act(() => api('DELETE', `/volumes/${encodeURIComponent(v.name)}`), `Deleted volume ${v.name}.`);
      };
      tr.appendChild(el('td')).appendChild(remove);
      vbody.appendChild(tr);
    }
  }

  const group = () => encodeURIComponent(state.group);
  document.getElementById('new-group').onsubmit = (e) => {
    e.preventDefault();
    const name = document.getElementById('new-group-name').value.trim();
    act(async () => {
      await api('POST', `/groups/${encodeURIComponent(name)}`, {});
      state.group = name;
      document.getElementById('new-group-name').value = '';
    }, `Created group ${name}.`);
  };
  for (const [id, method, verb] of [
    ['add-members', 'POST', 'Added'],
    ['remove-members', 'DELETE', 'Removed'],
  ]) {
    document.getElementById(id).onclick = () => {
      const users = lines(document.getElementById('member-names').value);
      act(async () => {
        await api(method, `/groups/${group()}/users`, { users });
        document.getElementById('member-names').value = '';
      }, `${verb} ${users.length} member(s).`);
    };
  }
  document.getElementById('add-folder').onclick = () => folderRow();
  form.onsubmit = (e) => {
    e.preventDefault();
    act(
      () => api('PUT', `/groups/${group()}/properties`, properties()),
      `Saved; members' servers take it at their next start.`,
    );
  };
  document.getElementById('delete-group').onclick = () => {
    if (!confirm(`Delete group ${state.group}?`)) return;
    const name = state.group;
    act(async () => {
      await api('DELETE', `/groups/${group()}`);
      state.group = undefined;
    }, `Deleted group ${name}.`);
  };
  document.getElementById('new-volume').onsubmit = (e) => {
    e.preventDefault();
    const name = document.getElementById('new-volume-name').value.trim();
    act(async () => {
      await api('POST', `/volumes/${encodeURIComponent(name)}`);
      document.getElementById('new-volume-name').value = '';
    }, `Created volume ${name}.`);
  };
  load().catch((err) => say(err.message, true));
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('groups-admin');
  if (section) groupsTab(section);
});
