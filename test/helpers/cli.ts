/**
 * Running the real `berth` command in a child process, as a person would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../src/paths';
import { SLOW_MACHINE } from './hub';

export const BERTH = path.join(ROOT, 'dist', 'src', 'main.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `berth ...args` with `input` on stdin (not a terminal) and resolves its output. */
export function berth(args: string[], env: Record<string, string>, input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, ...args], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Starts `berth serve` and resolves once it says it is running (or rejects with its output). */
export function serveProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  return berthProcess(['serve'], 'Berth is running at', { ...SLOW_MACHINE, ...env }, timeoutMs);
}

/** Starts `berth <args>` and resolves once its standard output says `ready`. */
export function berthProcess(
  args: string[],
  ready: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BERTH, ...args], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`berth ${args.join(' ')} did not start: ${out}`)), timeoutMs);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(ready)) {
        clearTimeout(timer);
        resolve({ child, output: () => out });
      }
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth ${args.join(' ')} exited with ${code}: ${out}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
