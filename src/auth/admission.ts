/**
 * Who may enter through an identity provider or a directory, JupyterHub 5 style, and what an
 * identity becomes in Berth. An identity is admitted in fixed steps: a valid username (never
 * mangled into another) → not blocked → allowed by a rule → an account that is its own (created
 * on first sign-in, never a local account nor another provider's) → its provider groups synced →
 * admin rights from the admin rules. A refusal says why; a refused user who had access loses
 * their sessions and tokens at once.
 */
import type { Logger } from '../log';
import type { GroupStore } from '../store/groups';
import type { ServerStore } from '../store/servers';
import type { SessionStore } from '../store/sessions';
import type { TokenStore } from '../store/tokens';
import type { User, UserStore } from '../store/users';
import { isGroupName, normaliseUsername, USERNAME_RULE } from './username';

export type ProviderMethod = 'oidc' | 'oauth2' | 'ldap';

/** What a provider says about the person who signed in there. */
export interface Identity {
  method: ProviderMethod;
  /** The provider's name for it, for messages: "Keycloak", "the directory". */
  provider: string;
  /** Where the username came from, for messages: "claim preferred_username". */
  nameSource: string;
  rawName: unknown;
  /** The groups the provider gives, or undefined when it gives none (no group claim configured). */
  rawGroups?: unknown;
}

export interface AdmissionRules {
  allowAll: boolean;
  allowedUsers: readonly string[];
  allowedGroups: readonly string[];
  adminUsers: readonly string[];
  adminGroups: readonly string[];
  blockedUsers: readonly string[];
}

export type Admission = { user: User } | { refused: string };

/** Admins and the allow rules let people in; nothing else does (HUB_ALLOW_ALL lets everyone). */
export function mayEnter(name: string, groups: readonly string[], rules: AdmissionRules): boolean {
  if (rules.blockedUsers.includes(name)) return false;
  if (rules.allowAll || rules.allowedUsers.includes(name) || rules.adminUsers.includes(name)) return true;
  return groups.some((g) => rules.allowedGroups.includes(g) || rules.adminGroups.includes(g));
}

/** True when some rule lets someone in through a provider; else nobody but nobody gets in. */
export function hasAllowRule(rules: AdmissionRules): boolean {
  return (
    rules.allowAll ||
    rules.allowedUsers.length + rules.allowedGroups.length + rules.adminUsers.length + rules.adminGroups.length > 0
  );
}

/** The admin flag the rules give, or undefined when they leave it to the admin page. */
export function adminByRules(name: string, groups: readonly string[], rules: AdmissionRules): boolean | undefined {
  const named = rules.adminUsers.includes(name);
  if (rules.adminGroups.length > 0) return named || groups.some((g) => rules.adminGroups.includes(g));
  return named ? true : undefined;
}

/** A provider's group names as Berth group names: lowercased, a leading '/' (Keycloak) dropped. */
export function providerGroups(raw: unknown): { groups: string[]; skipped: string[] } {
  const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : [];
  const groups = new Set<string>();
  const skipped: string[] = [];
  for (const value of values) {
    const name = typeof value === 'string' ? value.replace(/^\//, '').toLowerCase() : '';
    if (isGroupName(name)) groups.add(name);
    else skipped.push(String(value).slice(0, 80));
  }
  return { groups: [...groups].sort(), skipped };
}

export interface AdmissionDeps {
  users: UserStore;
  groups: GroupStore;
  /** Where a running server is marked as started with older group settings (the admin page says so). */
  records?: Pick<ServerStore, 'markOutdated'>;
  /** Told when the provider takes a user out of groups (their group databases let them go). */
  leftGroups?: (user: string, groups: string[]) => Promise<void>;
  sessions: SessionStore;
  tokens: TokenStore;
  log: Logger;
}

export class Admissions {
  constructor(
    private readonly deps: AdmissionDeps,
    readonly rules: AdmissionRules,
  ) {}

  async admit(identity: Identity): Promise<Admission> {
    const { users, groups: groupStore, log } = this.deps;
    const raw = typeof identity.rawName === 'string' ? identity.rawName : '';
    if (raw === '') {
      log.warn('sign-in refused: no username', { method: identity.method, source: identity.nameSource });
      return { refused: `${identity.provider} did not say who you are (no ${identity.nameSource}). Ask your admin.` };
    }
    const name = normaliseUsername(raw);
    if (name === undefined) {
      log.warn('sign-in refused: username breaks the rule', { method: identity.method, username: raw.slice(0, 80) });
      return {
        refused:
          `Your username at ${identity.provider}, "${raw.slice(0, 64)}", cannot be a username here (${USERNAME_RULE}). ` +
          'Ask your admin.',
      };
    }
    // Whose the name is comes first: a refusal for someone else's account must not touch that account.
    const existing = await users.get(name);
    const holder = existing && (existing.hasPassword ? 'local' : existing.auth);
    if (holder && holder !== identity.method) return this.taken(name, identity, holder);
    const given = identity.rawGroups === undefined ? undefined : providerGroups(identity.rawGroups);
    if (given?.skipped.length)
      log.warn('groups with names Berth cannot use were skipped', { user: name, skipped: given.skipped });
    // The rules see the provider's groups as they are now, and the groups an admin gave by hand.
    const groups = given
      ? [...given.groups, ...(await groupStore.handGroupsOf(name))]
      : await groupStore.groupsOf(name);
    if (!mayEnter(name, groups, this.rules)) {
      const blocked = this.rules.blockedUsers.includes(name);
      log.warn('sign-in refused: not allowed', { user: name, method: identity.method, blocked, groups });
      if (holder === identity.method) await this.revoke(name, blocked ? 'blocked' : 'no longer allowed');
      return {
        refused: blocked
          ? `The account ${name} is blocked on this hub.`
          : `${name} is not allowed on this hub. Ask an admin to allow you (HUB_ALLOWED_USERS or HUB_ALLOWED_GROUPS).`,
      };
    }
    const claim = await users.claim(name, identity.method);
    if (typeof claim === 'object') return this.taken(name, identity, claim.taken);
    if (claim === 'created') log.info('user created at first sign-in', { user: name, method: identity.method });
    if (given) {
      const { joined, left } = await groupStore.syncFromProvider(name, given.groups);
      if (joined.length + left.length > 0) {
        log.info('groups synced from the provider', { user: name, joined, left });
        const shaping = await Promise.all(
          [...joined, ...left].map(async (g) => Object.keys(await groupStore.properties(g)).length > 0),
        );
        if (shaping.includes(true)) await this.deps.records?.markOutdated([name]);
        // A group database that cannot be told now must not stop the sign-in.
        if (left.length > 0)
          await this.deps.leftGroups?.(name, left).catch((err: unknown) => log.warn('leaving groups failed', { err }));
      }
    }
    const admin = adminByRules(name, groups, this.rules);
    if (admin !== undefined) await users.setAdmin(name, admin);
    const user = await users.get(name);
    return user ? { user } : { refused: 'Your account was deleted while you signed in. Try again.' };
  }

  private taken(name: string, identity: Identity, holder: string): Admission {
    this.deps.log.warn('sign-in refused: the username belongs to another account', {
      user: name,
      method: identity.method,
      account: holder,
    });
    const whose = holder === 'local' ? 'a local account' : `an account that signs in with ${holder}`;
    return {
      refused:
        `The username ${name} already belongs to ${whose} on this hub, so it cannot be yours from ` +
        `${identity.provider}. Ask your admin.`,
    };
  }

  /** Ends every session and revokes every token of `name`: they were blocked or are no longer allowed. */
  async revoke(name: string, reason: string): Promise<void> {
    const ended = await this.deps.sessions.destroyAllOf(name);
    await this.deps.tokens.deleteAllOf(name);
    if (ended > 0) this.deps.log.info('sessions and tokens revoked', { user: name, reason, sessions: ended });
  }

  /**
   * At start: blocked users, and provider users the rules (as they now stand, with the groups
   * their provider last gave) no longer let in, lose their sessions and tokens.
   */
  async enforce(): Promise<string[]> {
    const revoked: string[] = [];
    const people = await this.deps.users.list();
    const groupsOf = await this.deps.groups.groupsOfMany(people.map((u) => u.name));
    for (const user of people) {
      const blocked = this.rules.blockedUsers.includes(user.name);
      const outside = user.auth !== undefined && !mayEnter(user.name, groupsOf.get(user.name) ?? [], this.rules);
      if (!blocked && !outside) continue;
      await this.revoke(user.name, blocked ? 'blocked' : 'no longer allowed');
      revoked.push(user.name);
    }
    return revoked;
  }

  /** May `user` (from a session) still act? A blocked user may not, whatever they still hold. */
  isBlocked(name: string): boolean {
    return this.rules.blockedUsers.includes(name);
  }
}
