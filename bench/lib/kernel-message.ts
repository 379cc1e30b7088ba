/**
 * The one message the classroom loads send a kernel: a small cell's execute_request, optionally
 * with user expressions the reply carries back (the soak asks whose kernel answered).
 */
import { randomUUID } from 'node:crypto';

export function executeRequest(session: string, userExpressions: Record<string, string> = {}) {
  const msg_id = randomUUID();
  const header = { msg_id, username: 'bench', session, msg_type: 'execute_request', version: '5.3', date: '' };
  const content = {
    code: 'x = sum(range(100))',
    silent: false,
    store_history: false,
    user_expressions: userExpressions,
    allow_stdin: false,
  };
  return {
    msg_id,
    text: JSON.stringify({ header, parent_header: {}, metadata: {}, content, channel: 'shell', buffers: [] }),
  };
}
