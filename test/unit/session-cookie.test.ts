import Keygrip from 'keygrip';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCookies, sessionCookieReader, withoutHubCookies } from '../../src/auth/session-cookie';

const SECRET = 'x'.repeat(16) + 'y'.repeat(16);
const sign = (value: string) => new Keygrip([SECRET]).sign(`berth-session=${value}`);

test('a correctly signed session cookie gives its id', () => {
  const reader = sessionCookieReader([SECRET]);
  assert.is(reader.sessionId(`a=1; berth-session=abc; berth-session.sig=${sign('abc')}`), 'abc');
});

test('a missing or wrong signature gives nothing', () => {
  const reader = sessionCookieReader([SECRET]);
  assert.is(reader.sessionId('berth-session=abc'), undefined);
  assert.is(reader.sessionId(`berth-session=abd; berth-session.sig=${sign('abc')}`), undefined);
  assert.is(
    reader.sessionId(
      `berth-session=abc; berth-session.sig=${new Keygrip(['other'.repeat(8)]).sign('berth-session=abc')}`,
    ),
    undefined,
  );
  assert.is(reader.sessionId(undefined), undefined);
});

test('with rotated keys, cookies signed by any of them verify; a dropped key no longer does', () => {
  const old = 'o'.repeat(16) + 'l'.repeat(16);
  const signedByOld = `berth-session=abc; berth-session.sig=${new Keygrip([old]).sign('berth-session=abc')}`;
  const signedByNew = `berth-session=abc; berth-session.sig=${sign('abc')}`;
  const rotating = sessionCookieReader([SECRET, old]);
  assert.is(rotating.sessionId(signedByOld), 'abc');
  assert.is(rotating.sessionId(signedByNew), 'abc');
  assert.is(sessionCookieReader([SECRET]).sessionId(signedByOld), undefined);
});

test('hub cookies are removed before forwarding; others stay', () => {
  assert.is(withoutHubCookies('berth-session=a; _xsrf=n; berth-session.sig=b; username-x=1'), '_xsrf=n; username-x=1');
  assert.is(withoutHubCookies('berth-session=a; berth-session.sig=b'), undefined);
  assert.is(withoutHubCookies(undefined), undefined);
});

test('cookie parsing keeps the first value of a name', () => {
  assert.equal(
    [...parseCookies('a=1; b=2; a=3; junk; c=x=y')],
    [
      ['a', '1'],
      ['b', '2'],
      ['c', 'x=y'],
    ],
  );
});

test.run();
