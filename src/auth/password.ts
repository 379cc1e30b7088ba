/**
 * Password hashing with scrypt (node:crypto, run on libuv's thread pool so logins never block
 * the event loop). Hashes carry their parameters, `scrypt$N$r$p$salt$hash`, so the cost can be
 * raised without breaking stored ones: a hash below the current cost is replaced at the next
 * successful sign-in (`needsRehash`). Comparison is constant-time.
 */
import { randomBytes, type ScryptOptions, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

const KEY_LENGTH = 32;
/**
 * OWASP's minimum for scrypt (Password Storage Cheat Sheet), in the form that needs the least
 * memory: N=2^14 (16 MiB) with r=8 and p=5, which costs as much CPU as its N=2^17, p=1 (128 MiB).
 * A hub serving a class signs many people in at once, and its memory budget is small.
 */
export const PASSWORD_COST = { N: 2 ** 14, r: 8, p: 5 } as const;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  const maxmem = 256 * (options.N ?? 0) * (options.r ?? 0);
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, KEY_LENGTH, { ...options, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = PASSWORD_COST;
  const key = await scrypt(password, salt, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `stored` was hashed below the current cost (or is not a hash Berth reads). */
export function needsRehash(stored: string): boolean {
  const [kind, N, r, p] = stored.split('$');
  return kind !== 'scrypt' || Number(N) * Number(r) * Number(p) < PASSWORD_COST.N * PASSWORD_COST.r * PASSWORD_COST.p;
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
  decoy ??= hashPassword(randomBytes(16).toString('hex'));
  const [, N, r, p, salt, hash] = real ? parts : (await decoy).split('$');
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(N), r: Number(r), p: Number(p) });
  return real && key.length === expected.length && timingSafeEqual(key, expected);
}
