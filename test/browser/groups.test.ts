/**
 * The admin page's Groups tab in a real headless Chromium, over fakes and a real Redis: make a
 * shared volume and a group, paste its members, fill its properties in the form (images, memory,
 * a variable, a read-only folder, no internet, a database) and save; the hub stores exactly that. A wrong
 * field comes back named on the page; a mounted volume cannot be deleted; the group can be.
 */
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeDatabases, FakeSpawner } from '../fakes/spawners';
import { adminBrowser, artifactPath } from '../helpers/browser';
import { type Client, signedIn } from '../helpers/client';
import { type FakeHub, fakeHub } from '../helpers/lifecycle';

interface Ctx {
  hub: FakeHub;
  browser: Browser;
  page: Page;
  root: Client;
}

const t = suite<Ctx>('browser: the Groups tab');

t.before(async (ctx) => {
  const spawner = new FakeSpawner();
  spawner.databases = new FakeDatabases();
  ctx.hub = await fakeHub(spawner);
  await ctx.hub.addUser('root', 'root-password', true);
  for (const name of ['ada', 'ben']) await ctx.hub.addUser(name, `${name}-password`);
  ctx.root = await signedIn(ctx.hub.url, 'root', 'root-password');
  ({ browser: ctx.browser, page: ctx.page } = await adminBrowser(ctx.hub.url));
});

t.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.hub?.close();
});

const notice = async (page: Page, text: RegExp) => {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('notice')?.textContent ?? ''),
    text.source,
  );
};

t('a volume, a group with members, and its properties from the form', async ({ page, root }) => {
  await page.goto(`${new URL(page.url()).origin}/hub/admin`);
  await page.click('#tab-groups');
  await page.waitForSelector('#groups-admin');
  await page.fill('#new-volume-name', 'course-data');
  await page.click('#new-volume button[type="submit"]');
  await page.waitForSelector('#volumes tr[data-volume="course-data"]');
  await page.fill('#new-group-name', 'students');
  await page.click('#new-group button[type="submit"]');
  await page.waitForSelector('#group-editor:not([hidden])');
  await page.fill('#member-names', 'ada\nben\n');
  await page.click('#add-members');
  await page.waitForFunction(() => document.getElementById('members')?.textContent === 'ada, ben');
  await page.check('#prop-images input[value="python"]');
  await page.fill('#prop-memory', '1g');
  await page.fill('#prop-env', 'COURSE=ml-101');
  await page.click('#add-folder');
  await page.selectOption('#prop-volumes tr.folder select.mode', 'ro');
  await page.selectOption('#prop-network', 'none');
  await page.check('#prop-postgres');
  await page.click('#save-properties');
  await notice(page, /^Saved/);
  const group = (await (await root.api('GET', '/groups/students')).json()) as { users: string[]; properties: unknown };
  assert.equal(group.users, ['ada', 'ben']);
  assert.equal(group.properties, {
    images: ['python'],
    limits: { memory: '1g' },
    env: { COURSE: 'ml-101' },
    volumes: [{ volume: 'course-data', path: '/home/jovyan/shared/course-data', mode: 'ro' }],
    network: 'none',
    services: ['postgres'],
  });
  await page.waitForFunction(() =>
    /images python; 1g memory; course-data read-only; 1 variable\(s\); no internet; a database/.test(
      document.querySelector('#groups tr[data-group="students"] td.summary')?.textContent ?? '',
    ),
  );
  await page.screenshot({ path: artifactPath('admin-groups.png'), fullPage: true });
});

t('a wrong field comes back named; a mounted volume stays; the group can go', async ({ page, root }) => {
  await page.fill('#prop-volumes tr.folder input.path', '/etc');
  await page.click('#save-properties');
  await notice(page, /^properties\.volumes\[0\]\.path: must be a plain path under/);
  await page.click('#volumes tr[data-volume="course-data"] button.delete-volume');
  await notice(page, /mounted by group\(s\) students \(users: ada, ben\)/);
  await page.click('#delete-group');
  await notice(page, /^Deleted group students/);
  await page.waitForFunction(() => !document.querySelector('#groups tr[data-group="students"]'));
  assert.is((await root.api('GET', '/groups/students')).status, 404);
});

t.run();
