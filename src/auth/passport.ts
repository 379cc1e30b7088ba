/**
 * Passport: the local strategy against the users in Redis, and the directory's. Local login runs in fixed stages:
 * normalise the name → fetch its hash → verify the password (doing the same scrypt work when
 * there is no such user) → hand over the user. One generic failure for every reason.
 */
import koaPassport from 'koa-passport';
import { Strategy as LocalStrategy } from 'passport-local';
import type { User, UserStore } from '../store/users';
import { hashPassword, needsRehash, verifyPassword } from './password';
import type { SignIn } from './sign-in';
import { normaliseUsername } from './username';

declare global {
  // passport's request user is Berth's User
  namespace Express {
    interface User {
      name: string;
      admin: boolean;
      /** The provider that signs this user in; undefined for local accounts. */
      auth?: string;
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

/** Why the form's sign-in failed, for the page: `refused` when the password was right but the rules say no. */
export interface FormFailure {
  message: string;
  refused?: boolean;
}

const BAD_CREDENTIALS: FormFailure = { message: 'Invalid username or password.' };

/**
 * Passport with the form's strategies that are on ('local', then 'ldap'; identity providers add
 * theirs when they first answer) and sessions that name a user. A blocked user signs in by no
 * method, and a session of theirs no longer counts.
 */
export function createPassport(users: UserStore, signIn: SignIn): Passport {
  const passport = new koaPassport.KoaPassport();
  const blocked = (name: string) => signIn.admissions.isBlocked(name);
  if (signIn.local)
    passport.use(
      new LocalStrategy({ session: true }, (username, password, done) => {
        checkLogin(users, username, password).then(
          (user) => (user && !blocked(user.name) ? done(null, user) : done(null, false, BAD_CREDENTIALS)),
          done,
        );
      }),
    );
  const directory = signIn.directory;
  if (directory)
    passport.use(
      'ldap',
      new LocalStrategy({ session: true }, (username, password, done) => {
        directory.signIn(username, password).then((outcome) => {
          if (outcome === 'bad credentials') done(null, false, BAD_CREDENTIALS);
          else if ('refused' in outcome) {
            const refusal: FormFailure = { message: outcome.refused, refused: true };
            done(null, false, refusal);
          } else done(null, outcome.user);
        }, done);
      }),
    );
  passport.serializeUser((user, done) => done(null, user.name));
  passport.deserializeUser((name: string, done) => {
    users.get(name).then((user) => done(null, user && !blocked(user.name) ? user : false), done);
  });
  return passport;
}

/** The form's strategies that are on, in the order they are tried. */
export function formStrategies(signIn: SignIn): string[] {
  return [...(signIn.local ? ['local'] : []), ...(signIn.directory ? ['ldap'] : [])];
}
