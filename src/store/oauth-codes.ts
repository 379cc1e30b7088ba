/**
 * OAuth authorization codes in Redis: issued when a signed-in person is sent back to their
 * server, exchanged once (GETDEL) for a token within five minutes, and bound to the client and
 * the redirect URI they were issued for.
 */
import { randomBytes } from 'node:crypto';
import { keys } from './keys';
import type { RedisClient } from './redis';

/** How long a code may wait for its exchange, as JupyterHub's. */
const CODE_SECONDS = 300;

export interface CodeGrant {
  client: string;
  user: string;
  redirectUri: string;
}

export class OAuthCodeStore {
  constructor(private readonly redis: RedisClient) {}

  async issue(grant: CodeGrant): Promise<string> {
    const code = randomBytes(24).toString('base64url');
    await this.redis.set(keys.oauthCode(code), JSON.stringify(grant), 'EX', CODE_SECONDS);
    return code;
  }

  /** The grant of `code`, which is used up by asking; undefined when unknown, used or expired. */
  async take(code: string): Promise<CodeGrant | undefined> {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(code)) return undefined;
    const raw = await this.redis.getdel(keys.oauthCode(code));
    return raw ? (JSON.parse(raw) as CodeGrant) : undefined;
  }
}
