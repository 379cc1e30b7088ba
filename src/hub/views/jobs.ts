/**
 * The jobs page (/hub/jobs): a form to run a notebook from the home as a batch job (now, or on a
 * schedule), the user's jobs updating by themselves, their recurring jobs, and for an admin
 * everyone's jobs. jobs.js drives it through the REST API.
 */
import type { CatalogueImage } from '../../catalogue/catalogue';
import { type Html, html } from '../html';
import { layout, type PageContext } from './layout';

export function jobsPage(page: PageContext, images: CatalogueImage[], selected: string): Html {
  const user = page.user;
  return layout(
    'Jobs',
    page,
    html`<h1>Batch jobs</h1>
<p class="notice" id="notice" role="status" hidden></p>
<section class="card" id="jobs" data-user="${user?.name ?? ''}" data-admin="${user?.admin ? 'yes' : ''}">
  <h2>Run a notebook</h2>
  <form id="new-job">
    <label>Notebook, in your home <input id="job-notebook" required placeholder="e.g. work/train.ipynb"></label>
    <label>Image <select id="job-image">${images.map(
      (i) => html`<option value="${i.id}"${i.id === selected ? html` selected` : ''}>${i.title}</option>`,
    )}</select></label>
    <label>Parameters, as JSON <input id="job-parameters" placeholder='e.g. {"n": 7}'></label>
    <label>Time limit, seconds <input id="job-timeout" type="number" min="1" placeholder="empty: the hub's"></label>
    <label>Repeat on a schedule (cron) <input id="job-schedule" placeholder="empty: run once; e.g. 0 6 * * *"></label>
    <button type="submit" class="primary" id="submit-job">Run</button>
  </form>
  <h2>Your jobs</h2>
  <table id="job-list"><thead><tr><th>Job</th><th>Notebook</th><th>State</th><th>Started</th><th>Took</th>
    <th>Output or error</th><th></th></tr></thead><tbody></tbody></table>
  <pre id="job-log" hidden></pre>
  <h2>Recurring jobs</h2>
  <table id="schedule-list"><thead><tr><th>Schedule</th><th>Notebook</th><th>Next run</th><th></th></tr></thead>
    <tbody></tbody></table>
</section>
${
  user?.admin
    ? html`<section class="card" id="all-jobs"><h2>Everyone's jobs</h2>
  <table id="all-job-list"><thead><tr><th>User</th><th>Job</th><th>Notebook</th><th>State</th><th>Started</th><th></th>
  </tr></thead><tbody></tbody></table></section>`
    : ''
}`,
    'jobs',
  );
}
