/**
 * The processes a benchmark runs: started detached from the terminal, awaited until they say
 * they are ready, and all stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../src/paths';

/** The `berth` command as people run it (with the settings it picks for each command). */
export const BERTH_BIN = path.join(ROOT, 'src', 'cli', 'berth');

const running = new Set<ChildProcess>();

/** Starts `cmd` and resolves once its output contains `ready` ('': once it runs, for a program that says nothing). */
export function startProcess(
  cmd: string,
  args: string[],
  ready: string | RegExp,
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`${cmd} ${args.join(' ')} did not get ready: ${out.slice(-2000)}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      if (typeof ready === 'string' ? out.includes(ready) : ready.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    if (ready === '')
      child.once('spawn', () => {
        clearTimeout(timer);
        resolve(child);
      });
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}: ${out.slice(-2000)}`));
    });
  });
}

/** Runs `cmd` to the end; resolves its standard output. */
export function runProcess(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  running.delete(child);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map(stop));
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU-seconds a process has used (user + system), from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The machine's CPU time so far, busy and in all (jiffies of every core, from /proc/stat). */
export function machineCpu(): { busy: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th fields.
  return { busy: total - fields[3] - fields[4], total };
}

/** The share of the machine's CPU that was busy since `since` (a `machineCpu()` reading). */
export function busySince(since: { busy: number; total: number }): number {
  const now = machineCpu();
  return (now.busy - since.busy) / Math.max(1, now.total - since.total);
}

/** Waits (up to `maxMs`) until the machine was less than half busy over 5 s: a class's kernels have booted. */
export async function quietMachine(maxMs = 180_000): Promise<void> {
  for (const end = Date.now() + maxMs; Date.now() < end; ) {
    const at = machineCpu();
    await new Promise((r) => setTimeout(r, 5000));
    if (busySince(at) < 0.5) return;
  }
}
