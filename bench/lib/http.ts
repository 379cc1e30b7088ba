/**
 * One HTTP request on a fresh connection with a time limit (node:http: fetch can hang on a port
 * whose server is still starting). Resolves the status and body; status 0 when nothing answered.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = 10_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => resolve({ status: 0, body }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(opts.body);
  });
}

/** Polls the user's model until they have no server and nothing pending (two minutes at most). */
async function untilStopped(url: string, name: string, token: string): Promise<void> {
  for (const end = performance.now() + 120_000; performance.now() < end; await sleep(20)) {
    const res = await request(`${url}/hub/api/users/${name}`, { headers: { authorization: `token ${token}` } });
    const model = JSON.parse(res.status === 200 ? res.body : '{}') as { servers?: object; pending?: string | null };
    if (res.status === 200 && Object.keys(model.servers ?? {}).length === 0 && !model.pending) return;
  }
  throw new Error(`${name}'s server did not stop within two minutes`);
}

/**
 * Stops each user's server through the hub's API (each with their own token), all at once, and
 * resolves when every stop has ended: a 202 goes on after the answer (as JupyterHub's API says of
 * a slow stop), so it is waited for.
 */
export async function stopServers(hubUrl: string, users: Array<{ name: string; token: string }>): Promise<void> {
  await Promise.all(
    users.map(async ({ name, token }) => {
      const res = await request(
        `${hubUrl}/hub/api/users/${name}/server`,
        { method: 'DELETE', headers: { authorization: `token ${token}` } },
        120_000,
      );
      if (res.status === 202) await untilStopped(hubUrl, name, token);
      else if (res.status !== 204) throw new Error(`stop ${name}: ${res.status}`);
    }),
  );
}
