/**
 * Debian's Chromium, headless, driven by playwright-core: never a downloaded browser.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../../src/paths';

export const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync'],
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
export async function runInNewNotebook(tree: Page, kernel: string, code: string, screenshot: string): Promise<string> {
  // The tree page fills its New menu once it has loaded the kernel specs.
  await tree.waitForSelector('#notebook_list', { timeout: 60_000 });
  await tree.waitForSelector(`#kernel-${kernel}`, { state: 'attached', timeout: 60_000 }).catch(async (err) => {
    await tree.screenshot({ path: artifactPath(`failed-${screenshot}`) });
    throw err;
  });
  await tree.click('#new-dropdown-button');
  const [notebook] = await Promise.all([tree.context().waitForEvent('page'), tree.click(`#kernel-${kernel} a`)]);
  await notebook.waitForSelector('.CodeMirror', { timeout: 60_000 });
  await notebook.waitForFunction(
    () => (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter?.notebook?.kernel?.is_connected() === true,
    undefined,
    { timeout: 60_000 },
  );
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
  await page.goto(`${url}/hub/login`);
  await page.fill('#username_input', username);
  await page.fill('#password_input', password);
  await page.click('#login_submit');
  await page.waitForURL('**/hub/home');
  return page;
}
