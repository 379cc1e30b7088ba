/**
 * The hub's pages, as functions from typed data to Html: the shared frame (layout.ts), the pages
 * for everyone (pages.ts), the spawn page (spawn.ts), the admin and token pages (admin.ts) and
 * the jobs page (jobs.ts), the usage page (usage.ts).
 */
export { adminPage, groupsPage, tokenPage } from './admin';
export { jobsPage } from './jobs';
export { engineNotice, layout, type PageContext } from './layout';
export { errorPage, homePage, loginPage, logoutPage, pendingPage } from './pages';
export { describeLimits, spawnPage } from './spawn';
export { usagePage } from './usage';
