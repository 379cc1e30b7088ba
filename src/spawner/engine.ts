/**
 * The Docker engine connection: DOCKER_HOST (unix:// or tcp://) or the local socket.
 */
import Docker from 'dockerode';

export type { Docker };

export function connectDocker(dockerHost: string | undefined): Docker {
  if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
}
