/**
 * The sign-in methods that are on (HUB_AUTH), put together from the config: the form's methods
 * (local accounts, the directory), the identity providers behind "Sign in with" buttons, and the
 * admission rules they all share.
 */
import type { Config } from '../config';
import type { Logger } from '../log';
import { type AdmissionDeps, Admissions, hasAllowRule } from './admission';
import { LdapDirectory } from './ldap';
import { OAuth2Provider } from './oauth2';
import { OidcProvider } from './oidc';
import type { ExternalProvider } from './providers';

/** The path identity providers send people back to, under HUB_PUBLIC_URL. */
export const CALLBACK_PATH = '/hub/oauth_callback';

export class SignIn {
  constructor(
    readonly admissions: Admissions,
    /** Local accounts are on: the form checks their passwords. */
    readonly local: boolean,
    readonly directory: LdapDirectory | undefined,
    readonly providers: readonly ExternalProvider[],
  ) {}

  /** The username and password form is shown: local accounts or the directory are on. */
  get form(): boolean {
    return this.local || this.directory !== undefined;
  }

  provider(id: string): ExternalProvider | undefined {
    return this.providers.find((p) => p.id === id);
  }

  /** An identity provider or directory is on, but no rule lets anyone in through it. */
  get nobodyAllowed(): boolean {
    return (this.directory !== undefined || this.providers.length > 0) && !hasAllowRule(this.admissions.rules);
  }
}

export function signInFromConfig(config: Config, deps: AdmissionDeps, log: Logger): SignIn {
  const admissions = new Admissions(deps, {
    allowAll: config.allowAll,
    allowedUsers: config.allowedUsers,
    allowedGroups: config.allowedGroups,
    adminUsers: config.adminUsers,
    adminGroups: config.adminGroups,
    blockedUsers: config.blockedUsers,
  });
  const on = new Set(config.auth);
  const callbackUrl = config.publicUrl && new URL(CALLBACK_PATH, config.publicUrl);
  const providers: ExternalProvider[] = [];
  if (on.has('oidc') && config.oidcIssuer && callbackUrl)
    providers.push(
      new OidcProvider(
        {
          issuer: config.oidcIssuer,
          clientId: config.oidcClientId,
          clientSecret: config.oidcClientSecret,
          scopes: config.oidcScopes,
          usernameClaim: config.oidcUsernameClaim,
          groupsClaim: config.oidcGroupsClaim,
          label: config.oidcLabel,
          logout: config.oidcLogout,
          callbackUrl,
        },
        admissions,
        log.child({ component: 'oidc' }),
      ),
    );
  if (on.has('oauth2') && config.oauth2AuthorizeUrl && config.oauth2TokenUrl && config.oauth2UserdataUrl && callbackUrl)
    providers.push(
      new OAuth2Provider(
        {
          authorizeUrl: config.oauth2AuthorizeUrl,
          tokenUrl: config.oauth2TokenUrl,
          userdataUrl: config.oauth2UserdataUrl,
          clientId: config.oauth2ClientId,
          clientSecret: config.oauth2ClientSecret,
          scopes: config.oauth2Scopes,
          usernameField: config.oauth2UsernameField,
          groupsField: config.oauth2GroupsField,
          label: config.oauth2Label,
          callbackUrl,
        },
        admissions,
        log.child({ component: 'oauth2' }),
      ),
    );
  const directory =
    on.has('ldap') && config.ldapUrl
      ? new LdapDirectory(
          {
            url: config.ldapUrl,
            startTls: config.ldapStartTls,
            caFile: config.ldapCaFile,
            bindDnTemplate: config.ldapBindDnTemplate,
            searchBase: config.ldapSearchBase,
            searchFilter: config.ldapSearchFilter,
            searchDn: config.ldapSearchDn,
            searchPassword: config.ldapSearchPassword,
            groupBase: config.ldapGroupBase,
            groupFilter: config.ldapGroupFilter,
            groupAttribute: config.ldapGroupAttribute,
          },
          admissions,
          log.child({ component: 'ldap' }),
        )
      : undefined;
  return new SignIn(admissions, on.has('local'), directory, providers);
}
