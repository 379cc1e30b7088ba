/**
 * `berth config check`: the settings (environment over ./hub.env) and what they point at, one
 * line per problem: values a setting refuses, variables Berth does not know, a Docker engine
 * that does not answer, a Redis that cannot be reached or started.
 */
import { spawnSync } from 'node:child_process';
import { configProblems, environment, loadConfig } from '../config';
import { connectDocker } from '../spawner/engine';
import { connectRedis } from '../store/redis';

const PROBE_MS = 3000;

/** Resolves true when `probe` resolves within PROBE_MS. */
async function answers(probe: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), PROBE_MS)));
  try {
    return await Promise.race([
      probe().then(
        () => true,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function engineProblems(dockerHost: string | undefined): Promise<string[]> {
  const where = dockerHost ?? 'unix:///var/run/docker.sock';
  const ok = await answers(() => connectDocker(dockerHost).ping());
  return ok ? [] : [`DOCKER_HOST: no Docker engine answers at ${where}; is dockerd running?`];
}

async function redisProblems(redisUrl: string | undefined): Promise<string[]> {
  if (!redisUrl) {
    const installed = spawnSync('redis-server', ['--version']).status === 0;
    return installed
      ? []
      : [
          'REDIS_URL is unset, so the hub runs its own Redis, but redis-server is not installed (apt-get ' +
            'install redis-server)',
        ];
  }
  const client = connectRedis({ url: redisUrl }, 'berth-check');
  client.on('error', () => undefined);
  try {
    return (await answers(() => client.ping())) ? [] : [`REDIS_URL: no Redis answers at ${new URL(redisUrl).host}`];
  } finally {
    client.disconnect();
  }
}

/** The report; sets a failing exit code and writes the problems to stderr when there are any. */
export async function checkEnvironment(): Promise<string> {
  const env = environment();
  const problems = configProblems(env);
  if (problems.length === 0) {
    const config = loadConfig(env);
    problems.push(...(await engineProblems(config.dockerHost)), ...(await redisProblems(config.redisUrl)));
  }
  if (problems.length === 0) return 'The configuration is valid, the Docker engine answers and Redis is ready.';
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exitCode = 1;
  return `${problems.length} problem${problems.length === 1 ? '' : 's'} found.`;
}
