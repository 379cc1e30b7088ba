/**
 * Restarting the Docker engine, as an upgrade or a crash would: the running dockerd (from its pid
 * file) gets SIGTERM, which stops every container, and is started again with the same command
 * line, detached, its output in a log file, as CI starts it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';

const PID_FILE = '/var/run/docker.pid';

async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} within ${ms / 1000} s`);
    await sleep(100);
  }
}

/** Resolves once the new engine answers; throws when there is no dockerd of this machine's to restart. */
export async function restartEngine(docker: Docker, logFile: string): Promise<void> {
  const pid = Number(fs.readFileSync(PID_FILE, 'utf8').trim());
  const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  if (!argv[0]?.endsWith('dockerd')) throw new Error(`${PID_FILE} names pid ${pid}, which is not dockerd`);
  process.kill(pid, 'SIGTERM');
  await until(() => !fs.existsSync(`/proc/${pid}`), 120_000, 'dockerd did not stop');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.closeSync(out);
  await until(
    () =>
      docker.ping().then(
        () => true,
        () => false,
      ),
    120_000,
    'dockerd did not answer again',
  );
}
