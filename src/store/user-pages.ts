/**
 * Pages of usernames, so that a page of 50 out of 10,000 users costs little more than the page's
 * names: account order and name order straight from their sorted sets (the second holds the names
 * all scored 0, which Redis keeps in byte order); the names containing a string from every name,
 * held by the hub while the users' version in Redis stays the same; by last sign of life, the
 * users without a server, or some users first, by scripts that walk only as far as the page.
 */
import { randomUUID } from 'node:crypto';
import { keys } from './keys';
import { evalJson, listOf, type RedisClient } from './redis';

export interface NamePage {
  names: string[];
  total: number;
}

/**
 * Lua: `accountOrderExcept(page, need, skip, excluded, rev)` appends to `page` up to `need` users
 * of KEYS[1] in account order (newest first when `rev`) for whom `excluded(name)` is false, past
 * the first `skip` of them; it reads the set a chunk at a time and stops when the page is full.
 */
const ACCOUNT_ORDER_EXCEPT = `
  local function accountOrderExcept(page, need, skip, excluded, rev)
    local at = 0
    while need > 0 do
      local chunk
      if rev then chunk = redis.call('ZRANGE', KEYS[1], at, at + 255, 'REV')
      else chunk = redis.call('ZRANGE', KEYS[1], at, at + 255) end
      if #chunk == 0 then break end
      at = at + 256
      for _, name in ipairs(chunk) do
        if need == 0 then break end
        if not excluded(name) then
          if skip > 0 then skip = skip - 1 else page[#page + 1] = name; need = need - 1 end
        end
      end
    end
    return page
  end`;

/**
 * Lua, ARGV offset, limit, '1' for latest first; KEYS users, activity, logins. A user's last sign of
 * life is the later of their activity and their sign-in: the two sets are merged as they are walked
 * (in chunks, only as far as the page), and a user is counted where the later of their two times
 * is met. When everyone seen is listed, the never seen follow in account order.
 */
const BY_LAST_SEEN = `${ACCOUNT_ORDER_EXCEPT}
  local offset, limit, desc = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3] == '1'
  local function walker(key) return { key = key, at = 0, buf = {}, i = 1, done = false } end
  local function head(w)
    if w.i > #w.buf then
      if w.done then return nil end
      if desc then w.buf = redis.call('ZRANGE', w.key, w.at, w.at + 255, 'REV', 'WITHSCORES')
      else w.buf = redis.call('ZRANGE', w.key, w.at, w.at + 255, 'WITHSCORES') end
      w.at, w.i, w.done = w.at + 256, 1, #w.buf < 512
      if #w.buf == 0 then return nil end
    end
    return w.buf[w.i], tonumber(w.buf[w.i + 1])
  end
  local activity, logins = walker(KEYS[2]), walker(KEYS[3])
  local page, counted, want = {}, 0, offset + limit
  while counted < want do
    local an, av = head(activity)
    local ln, lv = head(logins)
    if not an and not ln then break end
    local w, other, name, at, winsTie = logins, KEYS[2], ln, lv, false
    if not ln or (an and ((desc and av >= lv) or (not desc and av <= lv))) then
      w, other, name, at, winsTie = activity, KEYS[3], an, av, true
    end
    w.i = w.i + 2
    local o = redis.call('ZSCORE', other, name)
    o = o and tonumber(o)
    if (not o or o < at or (o == at and winsTie)) and redis.call('ZSCORE', KEYS[1], name) then
      counted = counted + 1
      if counted > offset then page[#page + 1] = name end
    end
  end
  if counted < want then
    local seen = function(n) return redis.call('ZSCORE', KEYS[2], n) or redis.call('ZSCORE', KEYS[3], n) end
    accountOrderExcept(page, limit - #page, math.max(0, offset - counted), seen, false)
  end
  return { redis.call('ZCARD', KEYS[1]), page }`;

/** Lua, ARGV offset, limit, then the names to put first; KEYS users: those of them who are users, then everyone else. */
const WITH_FIRST = `${ACCOUNT_ORDER_EXCEPT}
  local offset, limit, first, listed = tonumber(ARGV[1]), tonumber(ARGV[2]), {}, {}
  for i = 3, #ARGV do
    local name = ARGV[i]
    if not listed[name] and redis.call('ZSCORE', KEYS[1], name) then first[#first + 1] = name; listed[name] = true end
  end
  local page = {}
  for i = offset + 1, math.min(#first, offset + limit) do page[#page + 1] = first[i] end
  accountOrderExcept(page, limit - #page, math.max(0, offset - #first), function(n) return listed[n] end, false)
  return { redis.call('ZCARD', KEYS[1]), page }`;

/** Lua, ARGV offset, limit, '1' for newest first; KEYS users, servers: the users without a server record. */
const WITHOUT_SERVERS = `${ACCOUNT_ORDER_EXCEPT}
  local hasServer = function(n) return redis.call('ZSCORE', KEYS[2], n) end
  local page = accountOrderExcept({}, tonumber(ARGV[2]), tonumber(ARGV[1]), hasServer, ARGV[3] == '1')
  local withServers = 0
  for _, n in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if redis.call('ZSCORE', KEYS[1], n) then withServers = withServers + 1 end
  end
  return { redis.call('ZCARD', KEYS[1]) - withServers, page }`;

/** Every username, in account order and in name order (one per line), as of one version of the users. */
interface Everyone {
  version: string;
  byAccount: string;
  byName: string;
}

/** The lines of `text` that contain `part`, in order: one native scan of the text, not a test per name. */
function linesContaining(text: string, part: string): string[] {
  if (part === '') return text === '' ? [] : text.split('\n');
  if (part.includes('\n')) return [];
  const found: string[] = [];
  for (let at = text.indexOf(part); at !== -1; ) {
    const next = text.indexOf('\n', at);
    const end = next === -1 ? text.length : next;
    found.push(text.slice(text.lastIndexOf('\n', at) + 1, end));
    at = text.indexOf(part, end);
  }
  return found;
}

type Page = [number, string[] | Record<string, never>];

/** A new version of the users, set with every change to who they are: the hub reads every name again before it uses them next. */
export function newUsersVersion(): string {
  return randomUUID();
}

export class UserPages {
  private everyone?: Everyone;

  constructor(private readonly redis: RedisClient) {}

  /** Makes the name-ordered set whole again (users made before it existed); cheap when it is. */
  async indexNames(): Promise<void> {
    await this.redis.eval(
      "if redis.call('ZCARD', KEYS[1]) == redis.call('ZCARD', KEYS[2]) then return 0 end " +
        "redis.call('DEL', KEYS[2]) for _, n in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do " +
        "redis.call('ZADD', KEYS[2], 0, n) end redis.call('SET', KEYS[3], ARGV[1]) return 1",
      3,
      keys.users,
      keys.userNames,
      keys.usersVersion,
      newUsersVersion(),
    );
  }

  /** One page of usernames in account or name order (reversed when `descending`), and how many there are. */
  async inOrder(order: 'account' | 'name', offset: number, limit: number, descending: boolean): Promise<NamePage> {
    const [total, names] = await evalJson<Page>(
      this.redis,
      "return { redis.call('ZCARD', KEYS[1]), " +
        `redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2]${descending ? ", 'REV'" : ''}) }`,
      [order === 'account' ? keys.users : keys.userNames],
      [String(offset), String(offset + limit - 1)],
    );
    return { names: listOf(names), total };
  }

  /** One page of the usernames containing `filter`, in name or account order (reversed when `descending`). */
  async filtered(
    filter: string,
    order: 'account' | 'name',
    descending: boolean,
    offset: number,
    limit: number,
  ): Promise<NamePage> {
    const everyone = await this.all();
    const matching = linesContaining(order === 'name' ? everyone.byName : everyone.byAccount, filter);
    if (descending) matching.reverse();
    return { names: matching.slice(offset, offset + limit), total: matching.length };
  }

  /**
   * One page of usernames by their last sign of life (the later of their server's activity and
   * their last sign-in), latest first when `descending`; then those never seen, in account order
   * whichever the direction.
   */
  async byLastSeen(offset: number, limit: number, descending: boolean): Promise<NamePage> {
    return this.page(BY_LAST_SEEN, [keys.users, keys.activity, keys.logins], offset, limit, [descending ? '1' : '0']);
  }

  /** One page of the users without a server (not even a stopping one), in account order or newest first. */
  async withoutServers(offset: number, limit: number, descending: boolean): Promise<NamePage> {
    return this.page(WITHOUT_SERVERS, [keys.users, keys.servers], offset, limit, [descending ? '1' : '0']);
  }

  /**
   * One page of usernames with `first` (users that exist, in that order) before everyone else, who
   * follow in account order: a sort by what only running servers have (their memory, their CPU).
   */
  async withFirst(first: string[], offset: number, limit: number): Promise<NamePage> {
    return this.page(WITH_FIRST, [keys.users], offset, limit, first);
  }

  /** Those of `names` who are users, in account order. */
  async inAccountOrder(names: string[]): Promise<string[]> {
    if (names.length === 0) return [];
    const scores = await this.redis.zmscore(keys.users, ...names);
    return names
      .map((name, i) => ({ name, created: scores[i] === null ? undefined : Number(scores[i]) }))
      .filter((u): u is { name: string; created: number } => u.created !== undefined)
      .sort((a, b) => a.created - b.created)
      .map((u) => u.name);
  }

  private async page(script: string, on: string[], offset: number, limit: number, extra: string[]): Promise<NamePage> {
    const [total, names] = await evalJson<Page>(this.redis, script, on, [String(offset), String(limit), ...extra]);
    return { names: listOf(names), total };
  }

  /** Every name, read again only when the users' version has changed since the last read. */
  private async all(): Promise<Everyone> {
    const version = (await this.redis.get(keys.usersVersion)) ?? '';
    if (this.everyone?.version === version) return this.everyone;
    const [[, now], [, byAccount], [, byName]] = (await this.redis
      .multi()
      .get(keys.usersVersion)
      .zrange(keys.users, '0', '-1')
      .zrange(keys.userNames, '0', '-1')
      .exec()) as [[unknown, string | null], [unknown, string[]], [unknown, string[]]];
    this.everyone = { version: now ?? '', byAccount: byAccount.join('\n'), byName: byName.join('\n') };
    return this.everyone;
  }
}
