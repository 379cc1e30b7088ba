import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { safeNext } from '../../src/auth/next';

const FALLBACK = '/hub/home';

test('same-origin paths are kept', () => {
  assert.is(safeNext('/user/alice/tree', FALLBACK), '/user/alice/tree');
  assert.is(safeNext('/hub/spawn?image=r#x', FALLBACK), '/hub/spawn?image=r#x');
});

test('anything that leaves the origin falls back', () => {
  const hostile = [
    '//evil',
    '///evil',
    '\\\\evil',
    'https://evil',
    '/\\evil',
    '\\/evil',
    'evil',
    'javascript:alert(1)',
    '/\t/evil',
    '/\n/evil',
    ' /evil',
    '/%09/evil x',
    '',
    'http:/evil',
    '//evil/%2F..',
  ];
  for (const next of hostile) assert.is(safeNext(next, FALLBACK), FALLBACK, JSON.stringify(next));
});

test('non-strings and overlong values fall back', () => {
  assert.is(safeNext(undefined, FALLBACK), FALLBACK);
  assert.is(safeNext(['/a', '/b'], FALLBACK), FALLBACK);
  assert.is(safeNext(`/${'a'.repeat(3000)}`, FALLBACK), FALLBACK);
});

test.run();
