/**
 * One HTTP request on a fresh connection with a time limit (node:http: fetch can hang on a port
 * whose server is still starting). Resolves the status and body; status 0 when nothing answered.
 */
import http from 'node:http';

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

/** Stops each user's server through the hub's API (each with their own token), all at once. */
export async function stopServers(hubUrl: string, users: Array<{ name: string; token: string }>): Promise<void> {
  await Promise.all(
    users.map(({ name, token }) =>
      request(
        `${hubUrl}/hub/api/users/${name}/server`,
        { method: 'DELETE', headers: { authorization: `token ${token}` } },
        120_000,
      ),
    ),
  );
}
