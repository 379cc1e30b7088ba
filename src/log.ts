/**
 * Structured logging: one JSON object per line on stderr, `{time, level, msg, ...fields}`.
 * Callers pass detail as fields, never spliced into the message, so logs stay greppable and
 * secrets stay out (nothing here formats tokens or passwords; callers never pass them).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  /** The lowest level written, so that a hot path can skip building what would not be logged. */
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Longest value logged for one string field: a huge username or header is cut, not echoed. */
const MAX_FIELD = 200;

function clean(value: unknown): unknown {
  if (typeof value === 'string')
    return value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD)}…(${value.length} chars)` : value;
  if (value instanceof Error) return { name: value.name, message: clean(value.message), stack: value.stack };
  return value;
}

export function createLogger(
  level: LogLevel = 'info',
  base: LogFields = {},
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[lvl] < min) return;
    const entry: LogFields = { time: new Date().toISOString(), level: lvl, msg };
    for (const [k, v] of Object.entries({ ...base, ...fields })) entry[k] = clean(v);
    write(`${JSON.stringify(entry)}\n`);
  };
  return {
    level,
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLogger: Logger = createLogger('error', {}, () => undefined);
