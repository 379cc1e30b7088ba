import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword, verifyPassword } from '../../src/auth/password';

test('a hash verifies its password and no other', async () => {
  const hash = await hashPassword('correct horse');
  assert.ok(hash.startsWith('scrypt$16384$8$1$'));
  assert.not.ok(hash.includes('correct horse'));
  assert.ok(await verifyPassword('correct horse', hash));
  assert.not.ok(await verifyPassword('correct horsE', hash));
});

test('two hashes of one password differ (salted)', async () => {
  assert.is.not(await hashPassword('same'), await hashPassword('same'));
});

test('no hash or a malformed one never verifies', async () => {
  assert.not.ok(await verifyPassword('anything', undefined));
  assert.not.ok(await verifyPassword('anything', ''));
  assert.not.ok(await verifyPassword('anything', 'plain-text'));
});

test.run();
