/**
 * The Docker engine connection: DOCKER_HOST (unix:// or tcp://) or the local socket.
 */
import Module from 'node:module';
import path from 'node:path';

/**
 * dockerode loads an SSH client (for ssh:// engines) and a gRPC stack (for BuildKit sessions)
 * as it starts; Berth uses neither, and together they cost the hub about 9 MB of memory. They
 * are replaced, before dockerode loads, by stand-ins that fail loudly if ever called.
 */
function standIn(name: string, from: string): void {
  const file = require.resolve(name, { paths: [path.dirname(require.resolve(from))] });
  if (require.cache[file]) return;
  const unused = new Proxy(function unusedModule() {}, {
    get: (_target, prop) =>
      prop === '__esModule'
        ? false
        : () => {
            throw new Error(`${name} is not available in Berth (DOCKER_HOST must be unix:// or tcp://)`);
          },
  });
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = unused;
  require.cache[file] = stub;
}
standIn('ssh2', 'docker-modem');
standIn('@grpc/grpc-js', 'dockerode');
standIn('@grpc/proto-loader', 'dockerode');

import Docker = require('dockerode');

export type { Docker };

export function connectDocker(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
  });
}
