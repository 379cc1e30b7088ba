/**
 * A real OpenID provider (oidc-provider, test/providers/oidc-provider.mjs) in its own process on
 * 127.0.0.1, with test accounts and groups that a test changes while it runs, and the hub settings
 * that point a hub at it (OpenID Connect, or plain OAuth 2 against the same provider's userinfo).
 * `providerSignIn` walks its sign-in the way a browser would, over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../src/paths';
import { Client } from './client';
import { startHub, type TestHub } from './hub';
import { freePort, onFreePort } from './redis';
import { stopProcess } from './run';

export type Tamper = 'none' | 'bad-signature' | 'wrong-audience' | 'wrong-issuer' | 'expired' | 'wrong-nonce';

export interface Account {
  preferred_username?: string;
  groups?: string[];
  [claim: string]: unknown;
}

export interface TestProvider {
  url: string;
  /** Settings for a hub at `hubUrl` that signs in with this provider by `method`. */
  hubEnv(method: 'oidc' | 'oauth2'): Record<string, string>;
  /** Replaces an account's claims (its groups, say); the provider reads them at each sign-in. */
  setAccount(login: string, claims: Account | undefined): void;
  /** Makes the token endpoint hand out broken ID tokens from now on. */
  tamper(how: Tamper): void;
  stop(): Promise<void>;
  /** What the provider process printed. */
  output: string[];
}

export const OIDC_SECRET = 'oidc-client-secret-for-tests-0123456789';
export const OAUTH2_SECRET = 'oauth2-client-secret-for-tests-0123456789';

/** Starts the provider for a hub that will listen at `hubUrl`, with `accounts` by login. */
export async function startProvider(hubUrl: string, accounts: Record<string, Account>): Promise<TestProvider> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(6).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-idp-'));
  const stateFile = path.join(dir, 'state.json');
  const state = {
    issuer: url,
    port,
    jwk,
    accounts: Object.fromEntries(Object.entries(accounts).map(([login, claims]) => [login, { claims }])),
    tamper: 'none' as Tamper,
    clients: [
      {
        client_id: 'berth',
        client_secret: OIDC_SECRET,
        redirect_uris: [`${hubUrl}/hub/oauth_callback`],
        post_logout_redirect_uris: [`${hubUrl}/hub/login`],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'berth-oauth2',
        client_secret: OAUTH2_SECRET,
        redirect_uris: [`${hubUrl}/hub/oauth_callback`],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
  };
  const save = () => fs.writeFileSync(stateFile, JSON.stringify(state));
  save();
  const output: string[] = [];
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(ROOT, 'test/providers/oidc-provider.mjs'), stateFile],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`identity provider did not start: ${output.join('')}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      output.push(d.toString());
      if (output.join('').includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    child.once('exit', (code) => reject(new Error(`identity provider exited (${code}): ${output.join('')}`)));
  });
  return {
    url,
    output,
    hubEnv(method) {
      const common = { HUB_AUTH: method, HUB_PUBLIC_URL: hubUrl };
      if (method === 'oidc')
        return {
          ...common,
          HUB_OIDC_ISSUER: url,
          HUB_OIDC_CLIENT_ID: 'berth',
          HUB_OIDC_CLIENT_SECRET: OIDC_SECRET,
          HUB_OIDC_SCOPES: 'openid profile groups',
          HUB_OIDC_LABEL: 'Test University',
        };
      return {
        ...common,
        HUB_OAUTH2_AUTHORIZE_URL: `${url}/auth`,
        HUB_OAUTH2_TOKEN_URL: `${url}/token`,
        HUB_OAUTH2_USERDATA_URL: `${url}/me`,
        HUB_OAUTH2_CLIENT_ID: 'berth-oauth2',
        HUB_OAUTH2_CLIENT_SECRET: OAUTH2_SECRET,
        HUB_OAUTH2_SCOPES: 'openid profile groups',
        HUB_OAUTH2_USERNAME_FIELD: 'preferred_username',
        HUB_OAUTH2_GROUPS_FIELD: 'groups',
        HUB_OAUTH2_LABEL: 'Test Forge',
      };
    },
    setAccount(login, claims) {
      if (claims) state.accounts[login] = { claims };
      else delete state.accounts[login];
      save();
    },
    tamper(how) {
      state.tamper = how;
      save();
    },
    async stop() {
      await stopProcess(child);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ProviderSignIn {
  /** The last answer: the page the hub sent the browser to (home on success, the login page on a refusal). */
  res: Response;
  /** Where the browser ended up. */
  landed: URL;
  /** The URL of the hub's callback the provider sent the browser to. */
  callback?: URL;
}

/**
 * Signs in at the hub of `hub` (a client with its own cookie jar) through the provider, as
 * `login`: the hub's button → the provider's login form → its consent form → the hub's callback.
 * With `stopAt: 'callback'`, the callback is not followed but returned; `next` goes on the button's link.
 */
export async function providerSignIn(
  hub: Client,
  provider: TestProvider,
  login: string,
  opts: { method?: 'oidc' | 'oauth2'; stopAt?: 'callback'; next?: string } = {},
): Promise<ProviderSignIn> {
  const idp = new Client(provider.url, hub.cookies);
  const next = opts.next === undefined ? '' : `&next=${encodeURIComponent(opts.next)}`;
  let url = new URL(`${hub.base}/hub/oauth_login?provider=${opts.method ?? 'oidc'}${next}`);
  let init: RequestInit & { headers?: Record<string, string> } = {};
  for (let step = 0; step < 20; step++) {
    if (url.pathname === '/hub/oauth_callback' && opts.stopAt === 'callback')
      return { res: new Response(null, { status: 204 }), landed: url, callback: url };
    const client = url.origin === new URL(hub.base).origin ? hub : idp;
    const res = await client.request(url.pathname + url.search, init);
    init = {};
    if (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location') ?? '', url);
      continue;
    }
    if (client === hub || res.status !== 200) return { res, landed: url };
    const page = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`the provider's page has no form: ${page.slice(0, 300)}`);
    url = new URL(action.replaceAll('&amp;', '&'), url);
    const fields: Record<string, string> = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    };
  }
  throw new Error('signing in through the provider took more than 20 steps');
}

/**
 * A provider with `accounts` and a hub that signs in with it. The provider must know the hub's URL before
 * the hub starts (it sends people back there), so the hub's port is picked first, and picked again if
 * another process takes it meanwhile. `env` gives the hub's settings once the provider runs.
 */
export async function startProviderAndHub(
  accounts: Record<string, Account>,
  env: (idp: TestProvider, port: number) => Record<string, string>,
  opts: { scheme?: 'http' | 'https'; logs?: string[] } = {},
): Promise<{ idp: TestProvider; hub: TestHub }> {
  return onFreePort(async (port) => {
    const idp = await startProvider(`${opts.scheme ?? 'http'}://127.0.0.1:${port}`, accounts);
    try {
      const hub = await startHub({ ...env(idp, port), HUB_PORT: String(port) }, { background: false, logs: opts.logs });
      return { idp, hub };
    } catch (err) {
      await idp.stop();
      throw err;
    }
  }).catch((err: unknown) => {
    // uvu does not print what went wrong in a before hook.
    console.error('the identity provider or its hub did not start:', err);
    throw err;
  });
}
