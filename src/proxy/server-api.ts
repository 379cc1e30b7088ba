/**
 * The hub's API as user servers reach it (JUPYTERHUB_API_URL): a listener on the servers' own
 * network that answers /hub/api only, and only to API tokens, since the Cookie header is dropped
 * before the hub sees a request. Nothing else of the hub, and no user's server, is behind it: it
 * is a way in for what jupyterhub-singleuser and tools in a container need, not into anything else.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';

const API = /^\/hub\/api(?:[/?]|$)/;

export function serverApiServer(hub: (req: IncomingMessage, res: ServerResponse) => void): http.Server {
  const server = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
    if (!API.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 404, message: 'Only the hub API is here.' }));
      return;
    }
    // Tokens only; and what a container says of where a request came from counts for nothing.
    for (const name of Object.keys(req.headers))
      if (name === 'cookie' || name.startsWith('x-forwarded-')) delete req.headers[name];
    hub(req, res);
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  return server;
}
