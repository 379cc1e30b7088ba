/**
 * Running code in a user's kernel the way the notebook UI does: create a kernel over REST, then
 * speak the Jupyter messaging protocol over the kernel's WebSocket, all through the proxy.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Client } from './client';

export interface KernelOutput {
  stdout: string;
  /** MIME bundles of execute_result and display_data messages. */
  data: Array<Record<string, unknown>>;
  error?: string;
}

function message(session: string, code: string) {
  return {
    header: {
      msg_id: randomUUID(),
      username: 'test',
      session,
      msg_type: 'execute_request',
      version: '5.3',
      date: new Date().toISOString(),
    },
    parent_header: {},
    metadata: {},
    content: {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    },
    channel: 'shell',
    buffers: [],
  };
}

/** Starts a kernel of `kernelName` in `user`'s server; resolves its id. */
export async function startKernel(client: Client, user: string, kernelName = 'python3'): Promise<string> {
  // A server that signs people in with its own cookie (jupyterhub-singleuser) wants its XSRF token too.
  const xsrf = client.cookie('_xsrf', `/user/${user}/`);
  const created = await client.request(`/user/${user}/api/kernels`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(xsrf ? { 'x-xsrftoken': xsrf } : {}) },
    body: JSON.stringify({ name: kernelName }),
  });
  if (created.status !== 201)
    throw new Error(`creating a ${kernelName} kernel answered ${created.status}: ${await created.text()}`);
  return ((await created.json()) as { id: string }).id;
}

/** Runs `code` in kernel `id` over its WebSocket and collects what it printed and displayed. */
export async function execute(
  client: Client,
  user: string,
  id: string,
  code: string,
  timeoutMs = 60_000,
): Promise<KernelOutput> {
  const session = randomUUID();
  const path = `/user/${user}/api/kernels/${id}/channels`;
  const ws = new WebSocket(`${client.base.replace(/^http/, 'ws')}${path}?session_id=${session}`, {
    headers: { cookie: client.cookieHeader(path) },
  });
  const out: KernelOutput = { stdout: '', data: [] };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the kernel in ${timeoutMs} ms`)), timeoutMs);
      const request = message(session, code);
      ws.on('open', () => ws.send(JSON.stringify(request)));
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      ws.on('error', fail);
      ws.on('close', () => fail(new Error('the kernel connection closed before the code finished')));
      ws.on('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as {
          channel: string;
          header: { msg_type: string };
          parent_header: { msg_id?: string };
          content: Record<string, unknown>;
        };
        if (msg.parent_header.msg_id !== request.header.msg_id || msg.channel !== 'iopub') return;
        const type = msg.header.msg_type;
        if (type === 'stream') out.stdout += String(msg.content.text);
        if (type === 'execute_result' || type === 'display_data')
          out.data.push(msg.content.data as Record<string, unknown>);
        if (type === 'error') out.error = `${msg.content.ename}: ${msg.content.evalue}`;
        if (type === 'status' && msg.content.execution_state === 'idle') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return out;
  } finally {
    ws.close();
  }
}

/** Starts a kernel, runs `code`, collects what it printed and displayed, and shuts the kernel down. */
export async function runCode(
  client: Client,
  user: string,
  code: string,
  kernelName = 'python3',
  timeoutMs = 60_000,
): Promise<KernelOutput> {
  const id = await startKernel(client, user, kernelName);
  try {
    return await execute(client, user, id, code, timeoutMs);
  } finally {
    const xsrf = client.cookie('_xsrf', `/user/${user}/`);
    await client.request(`/user/${user}/api/kernels/${id}`, {
      method: 'DELETE',
      headers: xsrf ? { 'x-xsrftoken': xsrf } : {},
    });
  }
}
