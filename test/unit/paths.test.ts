import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseUserPath } from '../../src/proxy/paths';

test('paths outside /user/ belong to the hub', () => {
  for (const url of ['/', '/hub/home', '/users/alice/', '/user', '/userx/alice/'])
    assert.is(parseUserPath(url), undefined, url);
});

test('a user segment is matched whole', () => {
  assert.equal(parseUserPath('/user/alice/tree'), { kind: 'server', user: 'alice' });
  assert.equal(parseUserPath('/user/alice/'), { kind: 'server', user: 'alice' });
  assert.equal(parseUserPath('/user/al/tree'), { kind: 'server', user: 'al' });
  assert.equal(parseUserPath('/user/alicex/'), { kind: 'server', user: 'alicex' });
});

test('the segment without a trailing slash redirects to add it, keeping the query', () => {
  assert.equal(parseUserPath('/user/alice'), { kind: 'add-slash', user: 'alice', location: '/user/alice/' });
  assert.equal(parseUserPath('/user/alice?x=1'), { kind: 'add-slash', user: 'alice', location: '/user/alice/?x=1' });
});

test('encoded, empty, upper-case and traversal segments reach nobody', () => {
  for (const url of [
    '/user/alice%2F../',
    '/user//alice/',
    '/user/ALICE/',
    '/user/%61lice/',
    '/user/alice%252F/',
    '/user/../hub/',
    '/user/./alice/',
    '/user/',
    '/user/al%00ice/',
  ]) {
    assert.equal(parseUserPath(url), { kind: 'invalid' }, url);
  }
});

test.run();
