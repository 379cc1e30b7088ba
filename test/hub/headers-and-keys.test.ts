/**
 * The hub over fakes (no Docker): HSTS and Secure cookies when it is served over HTTPS, none over
 * plain HTTP; and HUB_SECRET rotated to several keys (newest first) keeps everyone signed in,
 * while dropping the old key signs out those whose cookies it signed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeSpawner } from '../fakes/spawners';
import { Client, signedIn } from '../helpers/client';
import { SECRET } from '../helpers/hub';
import { fakeHub, lifecycle } from '../helpers/lifecycle';

const t = suite('hub: security headers and key rotation');
const NEW_KEY = 'new-key-0123456789abcdefghijklmnopqrstuvwxyz';

t('over HTTPS every answer carries HSTS and cookies are Secure and __Host-; over HTTP neither', async () => {
  const https = await fakeHub(new FakeSpawner(), { https: true });
  const plain = await fakeHub(new FakeSpawner());
  try {
    await https.addUser('alice', 'alice-password');
    const login = await new Client(https.url).login('alice', 'alice-password');
    assert.is(login.headers.get('strict-transport-security'), 'max-age=31536000');
    const cookies = login.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__Host-berth-session='));
    assert.ok(session && /;\s*secure/i.test(session), cookies.join('\n'));
    for (const path of ['/hub/login', '/hub/api/', '/hub/health']) {
      assert.ok((await fetch(`${https.url}${path}`)).headers.get('strict-transport-security'), path);
      assert.is((await fetch(`${plain.url}${path}`)).headers.get('strict-transport-security'), null, path);
    }
  } finally {
    await https.close();
    await plain.close();
  }
});

t('a rotated HUB_SECRET keeps sessions signed by the old key; dropping that key ends them', async () => {
  const life = await lifecycle(new FakeSpawner());
  const before = await fakeHub(life.spawner, { keys: [SECRET], life });
  await before.addUser('alice', 'alice-password');
  const alice = await signedIn(before.url, 'alice', 'alice-password');
  await before.close();
  // The hub restarts with a new key first and the old one after it.
  const rotated = await fakeHub(new FakeSpawner(), { keys: [NEW_KEY, SECRET], life });
  const moved = new Client(rotated.url);
  for (const [key, cookie] of alice.cookies) moved.cookies.set(key, cookie);
  try {
    const home = await moved.request('/hub/home');
    assert.is(home.status, 200, 'still signed in');
    const set = home.headers.getSetCookie();
    const sessionSig = set.filter((c) => c.startsWith('berth-session.sig='));
    assert.is(sessionSig.length, 1, set.join('\n'));
    assert.match(sessionSig[0], /; path=\/;/i);
    assert.match(
      sessionSig[0],
      /; expires=/i,
      'signed again with its lifetime, not as a cookie that ends with the browser',
    );
    const xsrfSig = set.filter((c) => c.startsWith('_xsrf.sig='));
    assert.equal(xsrfSig.length, 1, set.join('\n'));
    assert.match(xsrfSig[0], /; path=\/hub\//i, 'the XSRF cookie keeps its path');
    assert.is((await moved.api('GET', '/user')).status, 200);
  } finally {
    await rotated.close();
  }
  // Later the old key goes: a cookie signed only by it no longer signs anyone in.
  const onlyNew = await fakeHub(new FakeSpawner(), { keys: [NEW_KEY], life });
  const stale = new Client(onlyNew.url);
  for (const [key, cookie] of alice.cookies) stale.cookies.set(key, cookie);
  try {
    const home = await stale.request('/hub/home');
    assert.is(home.status, 302);
    assert.match(home.headers.get('location') ?? '', /^\/hub\/login/);
  } finally {
    await onlyNew.close();
    await life.close();
  }
});

t.run();
