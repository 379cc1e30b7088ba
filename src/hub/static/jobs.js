// The jobs page: run a notebook as a batch job, and watch the jobs (reloaded every 2 s) through
// the REST API (api(), el() and actions() from berth.js).
'use strict';

function jobsPage(section) {
  const user = encodeURIComponent(section.dataset.user);
  const { say, act } = actions(document.getElementById('notice'), () => load());
  const when = (t) => (t ? new Date(t).toLocaleTimeString() : '—');
  const took = (j) => {
    if (!j.started) return '—';
    const end = j.finished ? Date.parse(j.finished) : Date.now();
    return `${Math.round((end - Date.parse(j.started)) / 1000)} s`;
  };
  const stateOf = (j) => (j.state === 'queued' && j.place ? `queued (${j.place} in line)` : j.state.replace('_', ' '));
  const button = (text, cls, onclick) => {
    const b = el('button', { type: 'button', class: cls }, text);
    b.onclick = onclick;
    return b;
  };
  const jobsOf = (owner) => `/users/${encodeURIComponent(owner)}/jobs`;

  function jobRow(j, withUser) {
    const tr = el('tr', { 'data-job': j.id, 'data-state': j.state });
    if (withUser) tr.appendChild(el('td', {}, j.user));
    tr.append(
      el('td', {}, j.id),
      el('td', {}, j.schedule ? `${j.notebook} (recurring)` : j.notebook),
      el('td', { class: 'state' }, stateOf(j)),
      el('td', {}, when(j.started)),
    );
    if (!withUser)
      tr.append(
        el('td', {}, took(j)),
        el('td', { class: 'result' }, j.error || (j.state === 'succeeded' ? j.output : '')),
      );
    const td = el('td');
    if (j.state === 'queued' || j.state === 'running')
      td.appendChild(
        button('Cancel', 'cancel', () => act(() => api('DELETE', `${jobsOf(j.user)}/${j.id}`), `Cancelled ${j.id}.`)),
      );
    else if (!withUser)
      td.appendChild(
        button('Run again', 'rerun', () =>
          act(() => api('POST', `${jobsOf(j.user)}/${j.id}/rerun`, {}), 'Queued again.'),
        ),
      );
    if (!withUser)
      td.appendChild(
        button('Log', 'show-log', async () => {
          const box = document.getElementById('job-log');
          box.textContent = await (await api('GET', `${jobsOf(j.user)}/${j.id}/log`)).text();
          box.hidden = false;
        }),
      );
    tr.appendChild(td);
    return tr;
  }

  function scheduleRow(s) {
    const tr = el('tr', { 'data-schedule': s.id });
    tr.append(
      el('td', {}, s.schedule),
      el('td', {}, s.notebook),
      el('td', {}, s.enabled ? new Date(s.next).toLocaleString() : 'off'),
    );
    const toggle = button(s.enabled ? 'Turn off' : 'Turn on', 'toggle', () =>
      act(() => api('PATCH', `/users/${user}/job-schedules/${s.id}`, { enabled: !s.enabled })),
    );
    tr.appendChild(el('td')).appendChild(toggle);
    return tr;
  }

  async function load() {
    const [jobs, schedules] = await Promise.all([
      api('GET', `/users/${user}/jobs`).then((r) => r.json()),
      api('GET', `/users/${user}/job-schedules`).then((r) => r.json()),
    ]);
    section.querySelector('#job-list tbody').replaceChildren(...jobs.map((j) => jobRow(j, false)));
    section.querySelector('#schedule-list tbody').replaceChildren(...schedules.map(scheduleRow));
    const all = document.querySelector('#all-job-list tbody');
    if (all) all.replaceChildren(...(await (await api('GET', '/jobs')).json()).map((j) => jobRow(j, true)));
  }

  document.getElementById('new-job').onsubmit = (event) => {
    event.preventDefault();
    const value = (id) => document.getElementById(id).value.trim();
    act(async () => {
      let parameters = {};
      if (value('job-parameters')) {
        try {
          parameters = JSON.parse(value('job-parameters'));
        } catch {
          throw new Error('parameters: must be JSON, e.g. {"n": 7}');
        }
      }
      const body = { notebook: value('job-notebook'), image: value('job-image'), parameters };
      if (value('job-timeout')) body.timeout = Number(value('job-timeout'));
      if (value('job-schedule')) body.schedule = value('job-schedule');
      const made = await (await api('POST', `/users/${user}/jobs`, body)).json();
      say(
        made.schedule && !made.state
          ? `Recurring job ${made.id} made; next run ${new Date(made.next).toLocaleString()}.`
          : `Job ${made.id} queued.`,
      );
    });
  };
  load().catch((err) => say(err.message, true));
  setInterval(() => load().catch(() => undefined), 2000);
}

document.addEventListener('DOMContentLoaded', () => {
  const section = document.getElementById('jobs');
  if (section) jobsPage(section);
});
