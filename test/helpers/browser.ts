/**
 * Debian's Chromium, headless, driven by playwright-core: never a downloaded browser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ROOT } from '../../src/paths';

export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
