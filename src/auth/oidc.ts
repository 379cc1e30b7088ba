/**
 * Sign-in with an OpenID Connect provider: discovery from the issuer, then the authorization code
 * flow with PKCE, `state` and `nonce` (openid-client's Passport strategy; it checks the ID token's
 * signature against the provider's JWKS, its issuer, audience, expiry and nonce). The username and
 * groups come from configured claims, of the ID token or else of the userinfo endpoint.
 * openid-client is loaded by the first discovery, not by every hub's start-up.
 */
import type * as openid from 'openid-client' with { 'resolution-mode': 'import' };
import type { Strategy } from 'openid-client/passport' with { 'resolution-mode': 'import' };
import type { Strategy as PassportStrategy } from 'passport';
import type { Logger } from '../log';
import type { Admissions } from './admission';
import type { ExternalProvider, SignedIn } from './providers';
import { ProviderUnavailable } from './providers';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  scopes: string;
  usernameClaim: string;
  groupsClaim: string;
  label: string;
  /** Sign out at the provider too (its end_session_endpoint). */
  logout: boolean;
  callbackUrl: URL;
}

/** After a failed discovery, the provider is asked again at most this often. */
const RETRY_MS = 5_000;
const TIMEOUT_S = 10;

async function loadOpenId() {
  const [client, passport] = await Promise.all([import('openid-client'), import('openid-client/passport')]);
  /** openid-client's strategy sends `state` and `nonce` only when the provider lacks PKCE: Berth wants all three. */
  class PkceStateNonceStrategy extends passport.Strategy {
    override authorizationRequestParams<T extends object>(
      req: Parameters<Strategy['authorizationRequestParams']>[0],
      options: T,
    ): URLSearchParams {
      const params = new URLSearchParams(super.authorizationRequestParams(req, options));
      params.set('state', client.randomState());
      params.set('nonce', client.randomNonce());
      return params;
    }
  }
  return { client, PkceStateNonceStrategy };
}

let loaded: ReturnType<typeof loadOpenId> | undefined;
/** openid-client and the strategy on it, loaded once. */
const openId = () => {
  loaded ??= loadOpenId();
  return loaded;
};

export class OidcProvider implements ExternalProvider {
  readonly id = 'oidc';
  readonly label: string;
  private config?: openid.Configuration;
  private strategyMade?: Strategy;
  private failedAt = 0;

  constructor(
    private readonly settings: OidcSettings,
    private readonly admissions: Admissions,
    private readonly log: Logger,
  ) {
    this.label = settings.label;
  }

  /** The provider's configuration, discovered once; ProviderUnavailable while it does not answer. */
  private async discover(): Promise<openid.Configuration> {
    if (this.config) return this.config;
    if (Date.now() - this.failedAt < RETRY_MS) throw new ProviderUnavailable(this.label);
    const { issuer, clientId, clientSecret } = this.settings;
    const { client } = await openId();
    try {
      const config = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(clientSecret), {
        // openid-client trusts TLS for an ID token from the token endpoint unless told to check its signature too.
        execute: [
          client.enableNonRepudiationChecks,
          ...(issuer.protocol === 'http:' ? [client.allowInsecureRequests] : []),
        ],
        timeout: TIMEOUT_S,
      });
      config.timeout = TIMEOUT_S;
      this.config = config;
      return config;
    } catch (err) {
      this.failedAt = Date.now();
      this.log.warn('OpenID provider does not answer', { issuer: issuer.href, reason: (err as Error).message });
      throw new ProviderUnavailable(this.label);
    }
  }

  async strategy(): Promise<PassportStrategy> {
    // openid-client types its strategy's `this` more narrowly than Passport's interface; it is one.
    if (this.strategyMade) return this.strategyMade as unknown as PassportStrategy;
    const config = await this.discover();
    const { PkceStateNonceStrategy } = await openId();
    this.strategyMade = new PkceStateNonceStrategy(
      {
        config,
        name: this.id,
        sessionKey: 'oidc',
        scope: this.settings.scopes,
        callbackURL: this.settings.callbackUrl,
      },
      (tokens, verified) => {
        this.signedIn(config, tokens).then(
          (outcome) =>
            'refused' in outcome
              ? verified(null, false, { message: outcome.refused, refused: true })
              : verified(null, outcome),
          (err: Error) => verified(err),
        );
      },
    );
    return this.strategyMade as unknown as PassportStrategy;
  }

  async reachable(): Promise<boolean> {
    return this.discover().then(
      () => true,
      () => false,
    );
  }

  private async signedIn(
    config: openid.Configuration,
    tokens: openid.TokenEndpointResponse & openid.TokenEndpointResponseHelpers,
  ): Promise<SignedIn | { refused: string }> {
    const { client } = await openId();
    const { usernameClaim, groupsClaim } = this.settings;
    const idClaims = tokens.claims();
    if (!idClaims) return { refused: `${this.label} sent no ID token.` };
    let claims: Record<string, unknown> = idClaims;
    const missing = claims[usernameClaim] === undefined || (groupsClaim !== '' && claims[groupsClaim] === undefined);
    if (missing && config.serverMetadata().userinfo_endpoint)
      claims = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...idClaims };
    const admission = await this.admissions.admit({
      method: 'oidc',
      provider: this.label,
      nameSource: `claim ${usernameClaim}`,
      rawName: claims[usernameClaim],
      rawGroups: groupsClaim === '' ? undefined : (claims[groupsClaim] ?? []),
    });
    return 'refused' in admission ? admission : { ...admission.user, idToken: tokens.id_token };
  }

  /** Where to send the browser to sign out at the provider too, if it is set up to and can. */
  async endSessionUrl(idToken: string | undefined, returnTo: URL): Promise<string | undefined> {
    if (!this.settings.logout || !idToken) return undefined;
    const config = await this.discover().catch(() => undefined);
    if (!config?.serverMetadata().end_session_endpoint) return undefined;
    const { client } = await openId();
    return client
      .buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: returnTo.href })
      .toString();
  }
}
