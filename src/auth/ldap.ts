/**
 * Sign-in against an LDAP directory or Active Directory (ldapts): bind as the user, found by a DN
 * template or by a search (anonymous or as a service account), then read their groups. A password
 * crosses the network only encrypted (ldaps:// or StartTLS) unless the admin allowed plain LDAP;
 * an empty password never reaches the directory (an empty simple bind is an anonymous bind, which
 * many directories accept). Usernames are checked against Berth's grammar first and escaped too.
 * ldapts is loaded by the first sign-in, not by every hub's start-up.
 */
import fs from 'node:fs';
import type { Client } from 'ldapts' with { 'resolution-mode': 'import' };
import type { Logger } from '../log';
import type { Admissions } from './admission';
import { ProviderUnavailable, type SignedIn } from './providers';
import { normaliseUsername } from './username';

export interface LdapSettings {
  url: URL;
  startTls: boolean;
  caFile: string;
  bindDnTemplate: string;
  searchBase: string;
  searchFilter: string;
  searchDn: string;
  searchPassword: string;
  groupBase: string;
  groupFilter: string;
  groupAttribute: string;
}

/** What a sign-in against the directory came to: bad credentials are not a refusal (they count as failures). */
export type LdapOutcome = { user: SignedIn } | { refused: string } | 'bad credentials';

const TIMEOUT_MS = 10_000;
const LABEL = 'The directory';

/** RFC 4514: a value inside a DN, with its special characters escaped. */
export function escapeDnValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/\0/g, '\\00')
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}

export class LdapDirectory {
  private readonly ca?: Buffer;

  constructor(
    private readonly settings: LdapSettings,
    private readonly admissions: Admissions,
    private readonly log: Logger,
  ) {
    this.ca = settings.caFile ? fs.readFileSync(settings.caFile) : undefined;
  }

  async signIn(rawName: string, password: string): Promise<LdapOutcome> {
    const name = normaliseUsername(rawName);
    if (name === undefined || password === '') return 'bad credentials';
    const found = await this.authenticate(name, password);
    if (found === 'bad credentials') return found;
    const admission = await this.admissions.admit({
      method: 'ldap',
      provider: LABEL,
      nameSource: 'username',
      rawName: name,
      rawGroups: found.groups,
    });
    return 'refused' in admission ? admission : { user: admission.user };
  }

  /** Binds as `name`; resolves their groups (undefined when groups are not read), or 'bad credentials'. */
  private async authenticate(name: string, password: string): Promise<{ groups?: string[] } | 'bad credentials'> {
    const s = this.settings;
    const { Client, Filter, InvalidCredentialsError } = await import('ldapts');
    const tlsOptions = this.ca ? { ca: this.ca } : {};
    // ldapts opens TLS at once whenever it is given TLS options: for ldap:// they go to StartTLS only.
    const client = new Client({
      url: s.url.href,
      timeout: TIMEOUT_MS,
      connectTimeout: TIMEOUT_MS,
      tlsOptions: s.url.protocol === 'ldaps:' ? tlsOptions : undefined,
    });
    try {
      if (s.startTls) await client.startTLS(tlsOptions);
      const dn = s.bindDnTemplate
        ? s.bindDnTemplate.replaceAll('{username}', escapeDnValue(name))
        : await this.find(client, name);
      if (dn === undefined) return 'bad credentials';
      await client.bind(dn, password);
      if (!s.groupBase) return {};
      const filter = s.groupFilter.replaceAll('{dn}', Filter.escape(dn)).replaceAll('{username}', Filter.escape(name));
      const { searchEntries } = await client.search(s.groupBase, {
        scope: 'sub',
        filter,
        attributes: [s.groupAttribute],
      });
      return { groups: searchEntries.flatMap((e) => e[s.groupAttribute] ?? []).map(String) };
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return 'bad credentials';
      this.log.warn('directory error at sign-in', { url: s.url.href, user: name, reason: (err as Error).message });
      throw new ProviderUnavailable(LABEL);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /** The DN of exactly one entry matching the search filter, or undefined. */
  private async find(client: Client, name: string): Promise<string | undefined> {
    const s = this.settings;
    const { Filter } = await import('ldapts');
    if (s.searchDn)
      await client.bind(s.searchDn, s.searchPassword).catch((err: Error) => {
        // Not the user's mistake: the hub's service account does not work.
        throw new Error(`the service account HUB_LDAP_SEARCH_DN cannot bind: ${err.message}`);
      });
    const { searchEntries } = await client.search(s.searchBase, {
      scope: 'sub',
      filter: s.searchFilter.replaceAll('{username}', Filter.escape(name)),
      attributes: ['dn'],
    });
    if (searchEntries.length > 1)
      this.log.warn('the user search matched several entries; check HUB_LDAP_SEARCH_FILTER', { user: name });
    return searchEntries.length === 1 ? searchEntries[0].dn : undefined;
  }
}
