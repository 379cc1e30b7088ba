/**
 * Debian's Chromium, headless, driven by playwright-core: never a downloaded browser.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../src/paths';

export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

/**
 * With `trustCa` (a PEM file), Chromium trusts that CA, and it alone besides the system's: it is
 * added to the NSS database of a throwaway HOME, where Chromium on Linux looks for trusted CAs.
 */
export async function launchChromium(opts: { trustCa?: string } = {}): Promise<Browser> {
  let env: Record<string, string> | undefined;
  let home: string | undefined;
  if (opts.trustCa) {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-chromium-home-'));
    const db = path.join(home, '.pki', 'nssdb');
    fs.mkdirSync(db, { recursive: true });
    execFileSync('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
    execFileSync('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'berth-test-ca', '-i', opts.trustCa]);
    env = { ...(process.env as Record<string, string>), HOME: home };
  }
  const browser = await chromium.launch({
    env,
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
  if (home) browser.on('disconnected', () => fs.rmSync(home, { recursive: true, force: true }));
  return browser;
}

/** A fresh browser profile that reaches 127.0.0.1 only (test tools' pages link fonts on outside hosts). */
export async function freshContext(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  context.setDefaultTimeout(30_000);
  await context.route('**/*', (route) =>
    new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
  );
  return { context, page: await context.newPage() };
}

/**
 * On the hub's login page, "Sign in with ..." → the test provider's own login form as `login` →
 * its consent form → back at the hub.
 */
export async function signInAtProvider(page: Page, hubUrl: string, providerUrl: string, login: string): Promise<void> {
  await page.goto(`${hubUrl}/hub/login`);
  await page.click('#login_oidc');
  await page.waitForURL((url) => url.origin === providerUrl);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  // The provider asks once whether Berth may have the claims.
  await page.click('button:has-text("Continue")');
  await page.waitForURL((url) => url.origin === hubUrl);
}

export function artifactPath(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/**
 * In the notebook UI's tree page: New → the kernel `kernel`, type `code` into the first cell,
 * run it, and resolve the notebook page with the text of the cell's output.
 */
/** Records what went wrong on a page (failed loads, error answers, script errors), to explain a failure. */
export function recordTraffic(page: Page): string[] {
  const events: string[] = [];
  page.on('requestfailed', (r) => events.push(`failed ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && events.push(`${r.status()} ${r.url()}`));
  page.on('console', (m) => m.type() === 'error' && events.push(`console: ${m.text().slice(0, 300)}`));
  page.on('pageerror', (e) => events.push(`page error: ${e.message.slice(0, 300)}`));
  return events;
}

/**
 * Waits until `check` passes on `page`, reloading it if it does not within `ms`. The browser
 * shares its host with Docker: each container started or stopped adds or removes a network
 * interface, and Chromium then aborts the page's loads in flight (net::ERR_NETWORK_CHANGED),
 * leaving a notebook page without its scripts. A reload loads them again; three tries at most.
 */
export async function settled(
  page: Page,
  check: (page: Page, ms: number) => Promise<unknown>,
  ms = 20_000,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await check(page, ms);
      return;
    } catch (err) {
      if (attempt === 3) throw err;
      await page.reload();
    }
  }
}

/**
 * Waits until the page is at `path`, whatever its query: the notebook server redirects a server's
 * root to its default URL with an empty one (`/user/alice/tree?`), as under JupyterHub.
 */
export async function waitForPath(page: Page, path: string, timeout: number): Promise<void> {
  await page.waitForURL((url) => url.pathname === path, { timeout });
}

/** The notebook tree page, rendered, with `kernel` in its New menu. */
export function treeReady(kernel: string) {
  return async (page: Page, ms: number) => {
    await page.waitForSelector(`#kernel-${kernel}`, { state: 'attached', timeout: ms });
    await page.waitForSelector('#notebook_list', { timeout: ms });
  };
}

export async function runInNewNotebook(tree: Page, kernel: string, code: string, screenshot: string): Promise<string> {
  await settled(tree, treeReady(kernel)).catch(async (err) => {
    await tree.screenshot({ path: artifactPath(`failed-${screenshot}`) });
    throw err;
  });
  await tree.click('#new-dropdown-button');
  const [notebook] = await Promise.all([tree.context().waitForEvent('page'), tree.click(`#kernel-${kernel} a`)]);
  await settled(notebook, async (page, ms) => {
    await page.waitForSelector('.CodeMirror', { timeout: ms });
    await page.waitForFunction(
      () =>
        (
          window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }
        ).Jupyter?.notebook?.kernel?.is_connected() === true,
      undefined,
      { timeout: ms },
    );
  });
  await notebook.click('.CodeMirror');
  await notebook.keyboard.type(code);
  await notebook.keyboard.press('Shift+Enter');
  const output = await notebook.waitForSelector('.output_subarea', { timeout: 60_000 });
  const text = ((await output.textContent()) ?? '').trim();
  await notebook.screenshot({ path: artifactPath(screenshot) });
  await notebook.close();
  return text;
}

/** A new page in a fresh browser context, signed in to the hub at `url` through its login form. */
export async function signedInPage(browser: Browser, url: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const traffic = recordTraffic(page);
  (page as Page & { traffic?: string[] }).traffic = traffic;
  await page.goto(`${url}/hub/login`);
  await page.fill('#username_input', username);
  await page.fill('#password_input', password);
  await page.click('#login_submit');
  await page.waitForURL('**/hub/home');
  return page;
}

/** Chromium with root signed in at `url`, accepting every confirm dialog: the admin pages' tests. */
export async function adminBrowser(url: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchChromium();
  const page = await signedInPage(browser, url, 'root', 'root-password');
  page.on('dialog', (dialog) => void dialog.accept());
  return { browser, page };
}
