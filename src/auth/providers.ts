/**
 * What the hub sees of an identity provider (OpenID Connect or plain OAuth 2): a Passport strategy
 * that signs a person in through it, made once the provider answers, and a way out.
 */
import type { Strategy } from 'passport';

/** Who signed in, and the ID token to sign them out at the provider later. */
export type SignedIn = Express.User & { idToken?: string };

/** The provider does not answer (down, unreachable, or its discovery document is broken). */
export class ProviderUnavailable extends Error {
  constructor(label: string) {
    super(`${label} cannot be reached right now, so signing in with it does not work. Try again in a minute.`);
  }
}

export interface ExternalProvider {
  readonly id: 'oidc' | 'oauth2';
  /** For the button: "Sign in with <label>". */
  readonly label: string;
  /** Its Passport strategy, named by `id`; rejects with ProviderUnavailable while it cannot be made. */
  strategy(): Promise<Strategy>;
  /** False while the provider does not answer (the login page says so). */
  reachable(): Promise<boolean>;
  /** Where to send the browser to sign out at the provider too, or undefined. */
  endSessionUrl(idToken: string | undefined, returnTo: URL): Promise<string | undefined>;
}
