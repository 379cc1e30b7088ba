import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUsername, normaliseUsername, parseUsername } from '../../src/auth/username';

test('valid names pass unchanged', () => {
  for (const name of ['alice', 'a', 'bob-2', 'j.smith', 'x_y', 'a'.repeat(32)])
    assert.is(normaliseUsername(name), name);
});

test('ASCII capitals are folded, so Alice and alice are one user', () => {
  assert.is(normaliseUsername('Alice'), 'alice');
  assert.is(normaliseUsername('ALICE'), 'alice');
});

test('hostile and odd names are refused', () => {
  const bad = [
    '',
    '../x',
    'a/b',
    '%2e%2e',
    '..',
    '.alice',
    '-alice',
    '1alice',
    'al ice',
    ' alice',
    'alice\n',
    'a\0b',
    'a'.repeat(33),
    'ålice',
    'аlice' /* Cyrillic a */,
    '\u212Aelvin' /* Kelvin sign lowercases to k */,
    'alice%2F..',
    'a\\b',
    'a?b',
    'a#b',
  ];
  for (const name of bad) assert.is(normaliseUsername(name), undefined, JSON.stringify(name));
});

test('isUsername accepts only already-normalised names', () => {
  assert.ok(isUsername('alice'));
  assert.not.ok(isUsername('Alice'));
  assert.not.ok(isUsername('alice/'));
});

test('parseUsername says what a username may be', () => {
  assert.throws(() => parseUsername('../x'), /1 to 32 characters/);
  assert.is(parseUsername('Bob'), 'bob');
});

test.run();
