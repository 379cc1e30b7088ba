/**
 * The frame every page shares: the head (stylesheet, scripts, the XSRF token for scripts), the
 * navigation for the signed-in user, and notices several pages show. No inline scripts or
 * styles: the CSP forbids them.
 */
import { ENGINE_DOWN } from '../../errors';
import { type Html, html } from '../html';

export interface PageContext {
  xsrf: string;
  user?: { name: string; admin: boolean };
}

export function logoutForm(page: PageContext, id: string): Html {
  return html`<form method="post" action="/hub/logout" class="logout">
<input type="hidden" name="_xsrf" value="${page.xsrf}"><button type="submit" id="${id}">Log out</button>
</form>`;
}

function navigation(page: PageContext): Html | '' {
  const { user } = page;
  if (!user) return '';
  return html`<nav><a href="/hub/home">Home</a> <a href="/hub/jobs" id="nav-jobs">Jobs</a> <a href="/hub/token" id="nav-token">Token</a>
${user.admin ? html`<a href="/hub/admin" id="nav-admin">Admin</a> <a href="/hub/usage" id="nav-usage">Usage</a>` : ''}
<span class="who">${user.name}</span> ${logoutForm(page, 'logout')}</nav>`;
}

export function layout(
  title: string,
  page: PageContext,
  body: Html,
  script?: 'admin' | 'groups' | 'jobs' | 'token',
): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="xsrf-token" content="${page.xsrf}">
<title>${title} · Berth</title>
<link rel="stylesheet" href="/hub/static/berth.css">
<script src="/hub/static/berth.js" defer></script>
${script ? html`<script src="/hub/static/${script}.js" defer></script>` : ''}
</head>
<body>
<header>
  <a class="brand" href="/hub/home">Berth</a>
  ${navigation(page)}
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** Shown while the container engine does not answer; the page reloads itself once it does (berth.js). */
export function engineNotice(): Html {
  return html`<p class="notice error" id="engine-down" role="status">${ENGINE_DOWN}
This page reloads by itself when the engine is back.</p>`;
}
