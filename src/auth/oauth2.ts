/**
 * Sign-in with a plain OAuth 2 provider (GitHub-like, no OpenID Connect): passport-oauth2 runs the
 * authorization code flow with `state` and PKCE; the user data URL, called with the access token,
 * says who signed in (a configured field) and, optionally, their groups.
 */
import { Strategy as OAuth2Strategy } from 'passport-oauth2';
import type { Logger } from '../log';
import type { Admissions } from './admission';
import type { ExternalProvider, SignedIn } from './providers';

export interface OAuth2Settings {
  authorizeUrl: URL;
  tokenUrl: URL;
  userdataUrl: URL;
  clientId: string;
  clientSecret: string;
  scopes: string;
  usernameField: string;
  groupsField: string;
  label: string;
  callbackUrl: URL;
}

const TIMEOUT_MS = 10_000;
const REACHABLE_CACHE_MS = 30_000;

export class OAuth2Provider implements ExternalProvider {
  readonly id = 'oauth2';
  readonly label: string;
  private readonly made: OAuth2Strategy;
  private checked: { at: number; answer: Promise<boolean> } = { at: 0, answer: Promise.resolve(true) };

  constructor(
    private readonly settings: OAuth2Settings,
    private readonly admissions: Admissions,
    private readonly log: Logger,
  ) {
    this.label = settings.label;
    this.made = new OAuth2Strategy(
      {
        authorizationURL: settings.authorizeUrl.href,
        tokenURL: settings.tokenUrl.href,
        clientID: settings.clientId,
        clientSecret: settings.clientSecret,
        callbackURL: settings.callbackUrl.href,
        scope: settings.scopes === '' ? undefined : settings.scopes.split(/\s+/),
        state: true,
        pkce: true,
      },
      (
        _access: string,
        _refresh: string,
        profile: Record<string, unknown>,
        done: (e: unknown, u?: unknown, i?: unknown) => void,
      ) => {
        this.signedIn(profile).then(
          (outcome) =>
            'refused' in outcome ? done(null, false, { message: outcome.refused, refused: true }) : done(null, outcome),
          done,
        );
      },
    );
    this.made.name = this.id;
    // The user data is this provider's own JSON: read it whole, with the access token.
    this.made.userProfile = (accessToken, done) => {
      this.userData(accessToken).then((data) => done(null, data), done);
    };
  }

  async strategy(): Promise<OAuth2Strategy> {
    return this.made;
  }

  /**
   * OAuth 2 has no discovery: the provider answers when its authorization endpoint does. Asked
   * at most every 30 s, so that views of the login page do not each make a request.
   */
  async reachable(): Promise<boolean> {
    if (Date.now() - this.checked.at > REACHABLE_CACHE_MS) {
      this.checked = { at: Date.now(), answer: this.probe() };
    }
    return this.checked.answer;
  }

  private async probe(): Promise<boolean> {
    try {
      await fetch(this.settings.authorizeUrl, { method: 'HEAD', signal: AbortSignal.timeout(3_000) });
      return true;
    } catch {
      return false;
    }
  }

  async endSessionUrl(): Promise<undefined> {
    return undefined;
  }

  private async userData(accessToken: string): Promise<Record<string, unknown>> {
    const res = await fetch(this.settings.userdataUrl, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) {
      this.log.warn('OAuth 2 user data refused', { url: this.settings.userdataUrl.href, status: res.status });
      throw new Error(`${this.label} did not answer who signed in (user data: HTTP ${res.status})`);
    }
    const data: unknown = await res.json();
    if (typeof data !== 'object' || data === null) throw new Error(`${this.label}'s user data is not a JSON object`);
    return data as Record<string, unknown>;
  }

  private async signedIn(data: Record<string, unknown>): Promise<SignedIn | { refused: string }> {
    const { usernameField, groupsField } = this.settings;
    const admission = await this.admissions.admit({
      method: 'oauth2',
      provider: this.label,
      nameSource: `field ${usernameField} in the user data`,
      rawName: data[usernameField],
      rawGroups: groupsField === '' ? undefined : (data[groupsField] ?? []),
    });
    return 'refused' in admission ? admission : admission.user;
  }
}
