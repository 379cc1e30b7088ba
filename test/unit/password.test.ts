import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashPassword, needsRehash, verifyPassword } from '../../src/auth/password';

/** 'old-password' as Berth hashed it before the cost was raised: N=2^14, r=8, p=1. */
const OLD_HASH = 'scrypt$16384$8$1$uFBbG0S5o4eQvXfnHVjRNQ==$+A5YEARxOZ6pFLs/3seCtLDbTX+7091GffOHzgTeeRY=';

test('a hash verifies its password and no other', async () => {
  const hash = await hashPassword('correct horse');
  assert.ok(hash.startsWith('scrypt$16384$8$5$'), "OWASP's minimum scrypt cost: N=2^14, r=8, p=5");
  assert.not.ok(hash.includes('correct horse'));
  assert.ok(await verifyPassword('correct horse', hash));
  assert.not.ok(await verifyPassword('correct horsE', hash));
});

test('a hash below the current cost asks to be replaced; one at it does not', async () => {
  assert.not.ok(needsRehash(await hashPassword('x')));
  // What Berth stored before the cost was raised (N=2^14, r=8, p=1) still verifies, and is upgraded.
  assert.ok(needsRehash(OLD_HASH));
  assert.ok(await verifyPassword('old-password', OLD_HASH));
  assert.ok(needsRehash('plain-text'));
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
