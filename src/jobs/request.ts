/**
 * A job request as people send it (`POST /hub/api/users/<name>/jobs`, the jobs page, `berth job
 * run`): every field checked before anything is queued, a wrong one a 400 that names it. A
 * notebook is a plain relative path in the home ending in .ipynb (what is behind it, a link out
 * of the home say, is checked in a container with the home mounted); parameters are JSON values
 * under Python names; a schedule is a cron expression (cron-parser), at most one run per 10 s.
 */
import { CronExpressionParser } from 'cron-parser';
import { badRequest } from '../errors';

export interface JobRequest {
  notebook: string;
  /** A catalogue id, checked against the user's offer later; undefined: their last one. */
  image?: unknown;
  parameters: Record<string, unknown>;
  /** Seconds. */
  timeout: number;
  schedule?: string;
}

export interface RequestLimits {
  /** Seconds: the default time limit, and the most one may ask for. */
  defaultTimeout: number;
  maxTimeout: number;
}

const KEYS = ['notebook', 'image', 'parameters', 'timeout', 'schedule'];
const PYTHON_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);
const MIN_SCHEDULE_GAP_MS = 10_000;

function fail(field: string, problem: string): never {
  throw badRequest(`${field}: ${problem}`, { field });
}

/** A path in the home: relative, plain segments (no . or ..), no control characters, ending in .ipynb. */
export function checkNotebookPath(raw: unknown, field = 'notebook'): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 255)
    fail(field, 'must be a path of 1 to 255 characters');
  if (raw.startsWith('/')) fail(field, 'must be relative to your home, not absolute');
  if ([...raw].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127)) fail(field, 'has control characters');
  if (raw.split('/').some((s) => s === '' || s === '.' || s === '..'))
    fail(field, 'must not have empty, . or .. parts');
  if (!raw.endsWith('.ipynb')) fail(field, 'must be a notebook (.ipynb)');
  return raw;
}

/** The next run of `cron` after `from`; a 400 for one that does not parse or runs too often. */
export function nextRun(cron: string, from: Date): Date {
  try {
    const times = CronExpressionParser.parse(cron, { currentDate: from });
    const next = times.next().toDate();
    // Over a good stretch of runs, not just the next two: "0,5 * * * * *" is twice a minute 5 s apart.
    let previous = next.getTime();
    for (let i = 0; i < 120; i++) {
      const at = times.next().toDate().getTime();
      if (at - previous < MIN_SCHEDULE_GAP_MS) fail('schedule', 'runs more often than every 10 seconds');
      previous = at;
    }
    return next;
  } catch (err) {
    if ((err as { status?: number }).status === 400) throw err;
    fail('schedule', `is not a cron expression (${(err as Error).message.slice(0, 120)}), e.g. "0 6 * * *"`);
  }
}

export function parseJobRequest(raw: unknown, limits: RequestLimits): JobRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw badRequest('The body must be a JSON object.');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!KEYS.includes(key)) fail(key, `unknown field; known: ${KEYS.join(', ')}`);
  const notebook = checkNotebookPath(body.notebook);
  const parameters = body.parameters ?? {};
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    fail('parameters', 'must be an object of names to JSON values');
  for (const name of Object.keys(parameters))
    if (!PYTHON_NAME.test(name) || KEYWORDS.has(name)) fail(`parameters.${name.slice(0, 64)}`, 'is not a Python name');
  if (JSON.stringify(parameters).length > 64 * 1024) fail('parameters', 'are larger than 64 KiB');
  let timeout = limits.defaultTimeout;
  if (body.timeout !== undefined) {
    if (typeof body.timeout !== 'number' || !Number.isInteger(body.timeout) || body.timeout < 1)
      fail('timeout', 'must be a whole number of seconds above 0');
    if (body.timeout > limits.maxTimeout) fail('timeout', `is beyond the hub's most, ${limits.maxTimeout} s`);
    timeout = body.timeout;
  }
  let schedule: string | undefined;
  if (body.schedule !== undefined && body.schedule !== null && body.schedule !== '') {
    if (typeof body.schedule !== 'string' || body.schedule.length > 120) fail('schedule', 'must be a cron expression');
    nextRun(body.schedule, new Date());
    schedule = body.schedule;
  }
  return { notebook, image: body.image, parameters: parameters as Record<string, unknown>, timeout, schedule };
}
