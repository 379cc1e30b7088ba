/**
 * Password hashing with scrypt (node:crypto, run on libuv's thread pool so logins never block
 * the event loop). Hashes carry their parameters, `scrypt$N$r$p$salt$hash`, so the cost can be
 * raised later without breaking stored ones. Comparison is constant-time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEY_LENGTH = 32;
/** 2^14 rounds with r=8: about 16 MiB and tens of milliseconds per hash. */
const DEFAULT_COST = { N: 2 ** 14, r: 8, p: 1 };

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEY_LENGTH, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = DEFAULT_COST;
  const key = await scrypt(password, salt, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** A well-formed hash of a random password: checking against it costs what a real check costs. */
let decoy: Promise<string> | undefined;

/**
 * True when `password` matches `stored`. With no stored hash (unknown user, or no password set)
 * the same scrypt work is done against a decoy, so timing does not tell whether a user exists.
 */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? '').split('$');
  const real = parts.length === 6 && parts[0] === 'scrypt';
  const [, N, r, p, salt, hash] = real ? parts : (await (decoy ??= hashPassword(randomBytes(16).toString('hex')))).split('$');
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
  return real && key.length === expected.length && timingSafeEqual(key, expected);
}
