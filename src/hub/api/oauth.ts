/**
 * The hub as OAuth 2 provider for users' servers, JupyterHub's single-user protocol: `authorize`
 * sends a signed-in person who may use the server straight back to it with a code (one's own
 * server needs no consent page), and refuses anyone else; `token` exchanges a code, once, for an
 * access token that lets its holder use that server, when the server proves itself with its own
 * API token. Errors of `token` are OAuth's own JSON, as JupyterHub answers them.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { OAUTH_TOKEN_SECONDS, oauthTokenScopes, serverCallback, serverPrefix } from '../../auth/single-user';
import { BerthError, forbidden, Redirect } from '../../errors';
import { formBody, formFields } from '../body';
import type { ApiDeps } from './context';

/** The owner of a server's OAuth client id (`jupyterhub-user-<name>`), or undefined. */
function clientOwner(client: unknown): string | undefined {
  return typeof client === 'string' ? /^jupyterhub-user-([a-z][a-z0-9._-]{0,31})$/.exec(client)?.[1] : undefined;
}

function oauthError(ctx: Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  if (error === 'invalid_client') ctx.set('WWW-Authenticate', 'Bearer error="invalid_client"');
  ctx.body = { error, error_description: description };
}

export function oauthApi(router: Router, deps: ApiDeps): void {
  const { access, records, tokens, oauthCodes, log } = deps;

  router.get('/oauth2/authorize', async (ctx) => {
    const person = ctx.state.user;
    if (!person) throw new Redirect(`/hub/login?next=${encodeURIComponent(ctx.originalUrl)}`);
    const { client_id: client, redirect_uri: redirectUri, response_type: responseType, state } = ctx.query;
    const owner = clientOwner(client);
    // A server is a client while it runs, as in JupyterHub, where stopping it removes the client.
    if (!owner || !(await records.get(owner))) throw new BerthError(400, 'Invalid client_id parameter value.');
    if (redirectUri !== serverCallback(owner)) throw new BerthError(400, 'Mismatching redirect URI.');
    const target = await access.target(owner);
    if (!access.roleScopes(person).can('access:servers', target)) {
      log.info('oauth refused', { user: person.name, server: owner });
      throw forbidden(`You do not have permission to access Server at ${serverPrefix(owner)}`);
    }
    const back = new URLSearchParams();
    if (responseType !== 'code') back.set('error', 'unsupported_response_type');
    else back.set('code', await oauthCodes.issue({ client: String(client), user: person.name, redirectUri }));
    if (typeof state === 'string') back.set('state', state);
    ctx.redirect(`${redirectUri}?${back}`);
  });

  router.post('/oauth2/token', formBody, async (ctx) => {
    const body = formFields(ctx);
    const { client_id: client, client_secret: secret, grant_type: grant, code, redirect_uri: redirectUri } = body;
    if (grant !== 'authorization_code') {
      return oauthError(ctx, 400, 'unsupported_grant_type', 'Only authorization_code is supported.');
    }
    const owner = clientOwner(client);
    const server = typeof secret === 'string' ? await tokens.lookup(secret) : undefined;
    // Only the server's own token is its secret, not a token it handed out.
    if (!owner || server?.client !== client || server?.user !== owner || server?.oauth) {
      return oauthError(ctx, 401, 'invalid_client', 'The client is unknown or its secret does not match.');
    }
    const granted = typeof code === 'string' ? await oauthCodes.take(code) : undefined;
    if (!granted || granted.client !== client) {
      return oauthError(ctx, 400, 'invalid_grant', "The code is unknown, used or expired, or not this client's.");
    }
    if (granted.redirectUri !== redirectUri) return oauthError(ctx, 400, 'invalid_grant', 'Mismatching redirect URI.');
    const scopes = oauthTokenScopes(owner, granted.user);
    const note = `Server at ${serverPrefix(owner)}`;
    const expiresInSeconds = OAUTH_TOKEN_SECONDS;
    const issued = { note, scopes, expiresInSeconds, client: String(client), oauth: true };
    const { token } = await tokens.create(granted.user, issued);
    log.info('oauth token issued', { user: granted.user, server: owner });
    ctx.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    ctx.body = { access_token: token, token_type: 'Bearer', expires_in: expiresInSeconds, scope: scopes.join(' ') };
  });
}
