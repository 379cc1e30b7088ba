/**
 * A real OpenID provider for the tests: oidc-provider (certified), run as its own process by
 * test/helpers/identity-provider.ts. Usage: node oidc-provider.mjs <state.json>
 *
 * state.json is read on every request, so a test changes accounts and groups by rewriting it:
 *   { issuer, port, clients: [...], jwk: <private signing JWK>,
 *     accounts: { "<login>": { claims } }, tamper: "none" | "bad-signature" | "wrong-audience" |
 *     "wrong-issuer" | "expired" | "wrong-nonce" }
 * `tamper` makes the token endpoint hand out an ID token broken in that one way (re-signed with the
 * provider's own key, but for bad-signature), so that the tests can check Berth refuses each.
 * Its sign-in form is oidc-provider's development form: any password; the login picks the account.
 */
import fs from 'node:fs';
import { importJWK, SignJWT } from 'jose';
import Provider from 'oidc-provider';

const stateFile = process.argv[2];
const read = () => JSON.parse(fs.readFileSync(stateFile, 'utf8'));
const initial = read();

const provider = new Provider(initial.issuer, {
  clients: initial.clients,
  jwks: { keys: [initial.jwk] },
  cookies: { keys: ['test-provider-cookie-key-0123456789'] },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['preferred_username', 'name'], email: ['email'], groups: ['groups'] },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = read().accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
});
provider.proxy = false;

/** The ID token with one thing wrong, as `how` says. */
async function tampered(idToken, how) {
  const [header, payload] = idToken
    .split('.')
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url')));
  const now = Math.floor(Date.now() / 1000);
  if (how === 'wrong-audience') payload.aud = 'someone-else';
  if (how === 'wrong-issuer') payload.iss = 'http://127.0.0.1:9/not-the-issuer';
  if (how === 'expired') Object.assign(payload, { iat: now - 7200, exp: now - 3600 });
  if (how === 'wrong-nonce') payload.nonce = 'not-the-nonce';
  const signed = await new SignJWT(payload).setProtectedHeader(header).sign(await importJWK(initial.jwk, header.alg));
  if (how !== 'bad-signature') return signed;
  const [h, p, sig] = signed.split('.');
  const flipped = Buffer.from(sig, 'base64url');
  flipped[0] ^= 0xff;
  return `${h}.${p}.${flipped.toString('base64url')}`;
}

provider.use(async (ctx, next) => {
  await next();
  const how = read().tamper ?? 'none';
  if (ctx.path === '/token' && how !== 'none' && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await tampered(ctx.body.id_token, how) };
  }
});

provider.listen(initial.port, '127.0.0.1', () => {
  process.stdout.write('listening\n');
});
