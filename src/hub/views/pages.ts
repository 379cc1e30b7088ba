/**
 * The hub's pages for everyone: sign in and out, home (start and stop), the pending page and
 * errors. Each view is a function from typed data to Html; layout.ts is the frame they share.
 */
import type { VolumeMount } from '../../groups/properties';
import { type Allowance, describeSize, hoursText } from '../../servers/limits';
import { type Html, html } from '../html';
import { engineNotice, layout, logoutForm, type PageContext } from './layout';

export interface LoginView {
  next: string;
  username?: string;
  error?: string;
  /** The username and password form is shown (local accounts or the directory). */
  form: boolean;
  /** "Sign in with <label>" buttons, one per identity provider that is on. */
  providers: ReadonlyArray<{ id: string; label: string }>;
  /** What stops people signing in right now: a provider that does not answer, no allow rule. */
  notices: readonly string[];
}

export function loginPage(page: PageContext, view: LoginView): Html {
  const next = encodeURIComponent(view.next);
  const buttons = view.providers.map(
    (p) =>
      html`<a class="button provider" id="login_${p.id}" href="/hub/oauth_login?provider=${p.id}&amp;next=${next}">Sign in with ${p.label}</a>`,
  );
  const form = html`<form method="post" action="/hub/login?next=${next}" class="login">
  <input type="hidden" name="_xsrf" value="${page.xsrf}">
  <label>Username <input name="username" id="username_input" autocomplete="username" autocapitalize="none"
    value="${view.username ?? ''}" required autofocus></label>
  <label>Password <input name="password" id="password_input" type="password" autocomplete="current-password"
    required></label>
  <button type="submit" id="login_submit">Sign in</button>
</form>`;
  return layout(
    'Sign in',
    page,
    html`<h1>Sign in</h1>
<section class="card login">
  ${view.notices.map((n) => html`<p class="login-notice" role="status">${n}</p>`)}
  ${view.error ? html`<p class="error" role="alert">${view.error}</p>` : ''}
  ${buttons}
  ${buttons.length > 0 && view.form ? html`<p class="or">or</p>` : ''}
  ${view.form ? form : ''}
</section>`,
  );
}

export interface HomeView {
  name: string;
  state: 'stopped' | 'starting' | 'running' | 'stopping';
  /** Title of the image that runs, or that Start will use. */
  image?: string;
  lastError?: string;
  /** The container engine does not answer: no start or stop for now. */
  engineDown?: boolean;
  /** What their groups give their server (unknown while the engine does not answer). */
  offer?: Offer;
  /** What the running server uses, as last sampled. */
  usage?: { memoryBytes: number; memoryLimitBytes: number; cpu: number };
  /** Frozen while idle (HUB_PAUSE_AFTER). */
  paused?: boolean;
  /** What is left of their weekly hours, and their home's size against its limits. */
  allowance?: Allowance;
}

const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** The weekly hours left and the home's size, with a warning over the soft limit and the hard one. */
function allowanceLines(a: Allowance): Html {
  const h = a.hours;
  const home = a.home;
  const over = home?.limit !== undefined && home.bytes > home.limit;
  const warned = !over && home?.warn !== undefined && home.bytes > home.warn;
  const until = h && minute(h.resetsAt);
  return html`${
    h
      ? html`<p id="quota-hours">This week you have used ${hoursText(h.used)} of your ${hoursText(h.limit)} server-hours${h.group ? ` (group ${h.group})` : ''}: ${hoursText(Math.max(0, h.limit - h.used))} left until Monday ${until} UTC.</p>`
      : ''
  }${home ? html`<p id="home-size">Your home folder holds ${describeSize(home.bytes)}${home.limit ? ` of the ${describeSize(home.limit)} it may hold` : ''}.</p>` : ''}${
    warned
      ? html`<p class="notice" id="home-warning">Your home folder is larger than ${describeSize(home?.warn ?? 0)}: please make room in it. Over ${home?.limit ? describeSize(home.limit) : 'the limit'}, your server will not start.</p>`
      : ''
  }${a.stopsAt ? html`<p class="notice" id="max-age">Your server will be stopped at ${minute(a.stopsAt)} UTC, when it reaches this hub's longest time (HUB_MAX_AGE): save your work before then.</p>` : ''}${over ? html`<p class="notice error" id="home-over">Your home folder is over its limit: your server cannot start until it is smaller. Ask an admin for help.</p>` : ''}`;
}

export interface Offer {
  /** Titles of the images they may pick. */
  images: string[];
  /** Their groups' limits, over each image's own (bytes, CPUs). */
  memory?: number;
  cpu?: number;
  mounts: VolumeMount[];
  internet: boolean;
  /** The group whose PostgreSQL database the server reaches. */
  database?: string;
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;
const gib = (bytes: number) => `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`;

function offerCard(offer: Offer): Html {
  const limits = [offer.memory && `${gib(offer.memory)} of memory`, offer.cpu && `${offer.cpu} CPU`].filter(Boolean);
  return html`<section class="card" id="offer"><h2>What your server gets</h2>
<dl>
  <dt>Images</dt><dd id="offer-images">${offer.images.join(', ') || 'none yet: ask an admin'}</dd>
  <dt>Limits</dt><dd id="offer-limits">${limits.length ? `${limits.join(', ')} (from your groups)` : "each image's own"}</dd>
  <dt>Shared folders</dt><dd><ul id="offer-mounts">${
    offer.mounts.length
      ? offer.mounts.map(
          (m) => html`<li><code>${m.path}</code>: ${m.volume}, ${m.mode === 'ro' ? 'read-only' : 'read-write'}</li>`,
        )
      : html`<li>none</li>`
  }</ul></dd>
  <dt>Internet</dt><dd id="offer-network">${offer.internet ? 'on' : 'off (your group turned it off)'}</dd>
  <dt>Database</dt><dd id="offer-database">${
    offer.database
      ? html`PostgreSQL database <code>${offer.database}</code> of group ${offer.database}, as your own role: <code>psql</code> and <code>$DATABASE_URL</code> in your server reach it`
      : 'none'
  }</dd>
</dl></section>`;
}

const STATE_TEXT: Record<HomeView['state'], string> = {
  stopped: 'Your server is not running.',
  starting: 'Your server is starting.',
  running: 'Your server is running.',
  stopping: 'Your server is stopping.',
};

/** What can be done with the server in its state. */
function homeActions(view: HomeView): Html {
  const base = `/user/${view.name}/`;
  const stoppable = view.state === 'running' || view.state === 'starting';
  return html`<div class="actions">
    ${view.state === 'running' ? html`<a class="button primary" id="open-server" href="${base}">My Server</a>` : ''}
    ${view.state === 'starting' ? html`<a class="button" href="/hub/spawn-pending/${view.name}">Show progress</a>` : ''}
    ${
      view.state === 'stopped'
        ? html`<button class="primary" id="start" data-action="start">Start my server</button>
    <a class="button" id="choose" href="/hub/spawn">Choose an environment</a>`
        : ''
    }
    ${stoppable ? html`<button id="stop" data-action="stop">Stop my server</button>` : ''}
  </div>`;
}

export function homePage(page: PageContext, view: HomeView): Html {
  return layout(
    'Home',
    page,
    html`<h1>Your notebook server</h1>
<section class="card" id="server" data-user="${view.name}" data-state="${view.state}">
  <p id="server-state">${view.paused ? 'Your server is paused while idle: it resumes when you open it.' : STATE_TEXT[view.state]}
    ${view.image ? html`<span class="image">Image: ${view.image}</span>` : ''}</p>
  ${
    view.usage
      ? html`<p id="server-usage">It uses ${mib(view.usage.memoryBytes)} of its ${mib(view.usage.memoryLimitBytes)} of memory and ${view.usage.cpu.toFixed(2)} CPU.</p>`
      : ''
  }
  ${view.allowance ? allowanceLines(view.allowance) : ''}
  ${view.lastError ? html`<pre class="error" id="last-error">${view.lastError}</pre>` : ''}
  ${view.engineDown ? engineNotice() : homeActions(view)}
  <p class="error" id="action-error" role="alert" hidden></p>
</section>
${view.offer ? offerCard(view.offer) : ''}`,
  );
}

/** The pending page; once ready, the owner's browser goes on to `next`, a path on the server. */
export function pendingPage(page: PageContext, view: { name: string; lastError?: string; next: string }): Html {
  const own = page.user?.name === view.name;
  return layout(
    'Starting',
    page,
    html`<h1>Starting ${own ? 'your' : `${view.name}'s`} server</h1>
<section class="card" id="pending" data-user="${view.name}" data-own="${own ? 'yes' : 'no'}" data-next="${view.next}">
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
  return layout(
    'Log out',
    page,
    html`<h1>Log out</h1>
<section class="card"><p>Log out of Berth, on this device and every other?</p>
${logoutForm(page, 'confirm-logout')}</section>`,
  );
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
