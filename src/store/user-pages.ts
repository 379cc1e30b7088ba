/**
 * Pages of usernames, filtered and ordered inside Redis, so that a page of 50 out of 10,000 users
 * costs one script and the page's names, never every name: in account order or name order (a
 * second set of the names, all scored 0, which Redis keeps in byte order), optionally those whose
 * name contains a string; by last sign of life (activity or sign-in); or with some users first.
 */
import { keys } from './keys';
import { evalJson, listOf, type RedisClient } from './redis';

export interface NamePage {
  names: string[];
  total: number;
}

/**
 * Lua for the scripts below: `page` is `seen` (a page of the ordered users in KEYS[4]) then, to
 * fill it, the users not in KEYS[4] in account order, past the offset (ARGV[1]) less those ordered.
 */
const REST_IN_ACCOUNT_ORDER = `
  local page, need = seen, tonumber(ARGV[2]) - #seen
  local skip = math.max(0, tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[4]))
  if need > 0 then
    for _, name in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
      if need == 0 then break end
      if not redis.call('ZSCORE', KEYS[4], name) then
        if skip > 0 then skip = skip - 1 else page[#page + 1] = name; need = need - 1 end
      end
    end
  end
  redis.call('DEL', KEYS[4])
  return { redis.call('ZCARD', KEYS[1]), page }`;

/** Lua: the names of KEYS[1] (in its order, or reversed) that contain ARGV[1], counted, and the page of them. */
const FILTERED = `
  local names, filter = redis.call('ZRANGE', KEYS[1], 0, -1), ARGV[1]
  local first, count, reverse = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
  local total, page, n = 0, {}, #names
  for k = 1, n do
    local name = names[reverse and (n - k + 1) or k]
    if filter == '' or string.find(name, filter, 1, true) then
      if total >= first and #page < count then page[#page + 1] = name end
      total = total + 1
    end
  end
  return { total, page }`;

export class UserPages {
  constructor(private readonly redis: RedisClient) {}

  /** Makes the name-ordered set whole again (users made before it existed); cheap when it is. */
  async indexNames(): Promise<void> {
    await this.redis.eval(
      "if redis.call('ZCARD', KEYS[1]) == redis.call('ZCARD', KEYS[2]) then return 0 end " +
        "redis.call('DEL', KEYS[2]) for _, n in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do " +
        "redis.call('ZADD', KEYS[2], 0, n) end return 1",
      2,
      keys.users,
      keys.userNames,
    );
  }

  /** One page of usernames in account order (newest first when `descending`), and how many there are. */
  async inAccountOrder(offset: number, limit: number, descending: boolean): Promise<NamePage> {
    const [total, names] = await evalJson<[number, string[] | Record<string, never>]>(
      this.redis,
      "return { redis.call('ZCARD', KEYS[1]), " +
        `redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2]${descending ? ", 'REV'" : ''}) }`,
      [keys.users],
      [String(offset), String(offset + limit - 1)],
    );
    return { names: listOf(names), total };
  }

  /** One page of the usernames containing `filter` ('' for all), in name or account order. */
  async filtered(
    filter: string,
    byName: boolean,
    descending: boolean,
    offset: number,
    limit: number,
  ): Promise<NamePage> {
    const [total, names] = await evalJson<[number, string[] | Record<string, never>]>(
      this.redis,
      FILTERED,
      [byName ? keys.userNames : keys.users],
      [filter, String(offset), String(limit), descending ? '1' : '0'],
    );
    return { names: listOf(names), total };
  }

  /**
   * One page of usernames by their last sign of life (the later of their server's activity and
   * their last sign-in), latest first when `descending`; then those never seen, in account order
   * whichever the direction.
   */
  async byLastSeen(offset: number, limit: number, descending: boolean): Promise<NamePage> {
    const script = `
      redis.call('ZUNIONSTORE', KEYS[4], 2, KEYS[2], KEYS[3], 'AGGREGATE', 'MAX')
      redis.call('ZINTERSTORE', KEYS[4], 2, KEYS[4], KEYS[1], 'WEIGHTS', 1, 0)
      local seen = redis.call('ZRANGE', KEYS[4], ARGV[1], ARGV[1] + ARGV[2] - 1${descending ? ", 'REV'" : ''})
      ${REST_IN_ACCOUNT_ORDER}`;
    return this.ordered(script, offset, limit, []);
  }

  /**
   * One page of usernames with `first` (users that exist, in that order) before everyone else, who
   * follow in account order: a sort by what only running servers have (their memory, their CPU).
   */
  async withFirst(first: string[], offset: number, limit: number): Promise<NamePage> {
    const script = `
      for i, name in ipairs(ARGV) do if i > 2 then redis.call('ZADD', KEYS[4], i, name) end end
      redis.call('ZINTERSTORE', KEYS[4], 2, KEYS[4], KEYS[1], 'WEIGHTS', 1, 0)
      local seen = redis.call('ZRANGE', KEYS[4], ARGV[1], ARGV[1] + ARGV[2] - 1)
      ${REST_IN_ACCOUNT_ORDER}`;
    return this.ordered(script, offset, limit, first);
  }

  private async ordered(script: string, offset: number, limit: number, extra: string[]): Promise<NamePage> {
    const [total, names] = await evalJson<[number, string[] | Record<string, never>]>(
      this.redis,
      script,
      [keys.users, keys.activity, keys.logins, keys.lastSeenScratch],
      [String(offset), String(limit), ...extra],
    );
    return { names: listOf(names), total };
  }
}
