/**
 * Passport's local strategy against the users in Redis. Login runs in fixed stages:
 * normalise the name → fetch its hash → verify the password (doing the same scrypt work when
 * there is no such user) → hand over the user. One generic failure for every reason.
 */
import koaPassport from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { User, UserStore } from '../store/users';
import { hashPassword, needsRehash, verifyPassword } from './password';
import { normaliseUsername } from './username';

declare global {
  // passport's request user is Berth's User
  namespace Express {
    interface User {
      name: string;
      admin: boolean;
    }
  }
}

/**
 * The user whose password this is, or undefined. Costs one scrypt either way; a hash made at a
 * lower cost than today's is replaced by one at today's, now that the password is known.
 */
export async function checkLogin(users: UserStore, rawName: string, password: string): Promise<User | undefined> {
  const name = normaliseUsername(rawName);
  const hash = name === undefined ? undefined : await users.passwordHash(name);
  const ok = await verifyPassword(password, hash || undefined);
  if (!ok || name === undefined || !hash) return undefined;
  if (needsRehash(hash)) await users.replacePasswordHash(name, hash, await hashPassword(password));
  return users.get(name);
}

export type Passport = InstanceType<typeof koaPassport.KoaPassport>;

export function createPassport(users: UserStore): Passport {
  const passport = new koaPassport.KoaPassport();
  passport.use(
    new LocalStrategy({ session: true }, (username, password, done) => {
      checkLogin(users, username, password).then((user) => done(null, user ?? false), done);
    }),
  );
  passport.serializeUser((user, done) => done(null, user.name));
  passport.deserializeUser((name: string, done) => {
    users.get(name).then((user) => done(null, user ?? false), done);
  });
  return passport;
}
