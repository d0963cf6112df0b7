import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { debuglog } from 'node:util';
import { FixtureError } from '../errors.js';

export const debug = debuglog('ssh-docker:testkit');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion. Every argument comes from the fixture's own code (paths it created,
 * numbers it validated), never from a test's free text, and no shell is involved.
 */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: options.env ?? process.env,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          if (error.code === 'ENOENT') {
            reject(new FixtureError('ERR_FIXTURE_MISSING_PACKAGE', `${file} is not installed (spawn ENOENT)`));
            return;
          }
          reject(new FixtureError('ERR_FIXTURE_COMMAND', `${file} did not run: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a program and fails with ERR_FIXTURE_COMMAND (and its stderr) when it exits non-zero. */
export async function runOk(
  file: string,
  args: readonly string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await run(file, args, options);
  if (result.code !== 0) {
    throw new FixtureError(
      'ERR_FIXTURE_COMMAND',
      `\`${[file, ...args].join(' ')}\` exited with ${result.code}: ${result.stderr.trim().slice(-2000)}`,
    );
  }
  return result.stdout;
}

/** Synchronous, error-swallowing variant for the process 'exit' cleanup. */
export function runSyncQuiet(file: string, args: readonly string[]): void {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    // best effort at exit
  }
}

export function startDaemon(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  stdio: StdioOptions,
): ChildProcess {
  const child = spawn(file, args, { env, stdio });
  // An 'error' (ENOENT) is reported through waitForExit/readiness; never crash the test process.
  child.on('error', (err) => { debug('%s failed to spawn: %s', file, err.message); });
  return child;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

/** Every live process, read from /proc (Linux). */
export function listProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (stat === undefined) continue;
    // comm is in parentheses and may itself contain spaces or parentheses: split at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    if (rest[0] === 'Z') continue; // a zombie is gone, only not yet reaped
    const ppid = Number(rest[1]);
    const cmdline = (readText(`/proc/${name}/cmdline`) ?? '').replace(/\0+$/, '').replace(/\0/g, ' ');
    out.push({ pid: Number(name), ppid, comm, cmdline });
  }
  return out;
}

/** True when the process's environment holds `NAME=value` exactly. */
export function hasEnv(pid: number, entry: string): boolean {
  const environ = readText(`/proc/${pid}/environ`);
  if (environ === undefined) return false;
  return environ.split('\0').includes(entry);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function killQuiet(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A time limit raced against something else: its timer never keeps the process alive by itself. */
export const deadline = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** Waits until none of the pids is alive (zombies count as gone), up to `timeoutMs`. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = new Set(listProcesses().map((p) => p.pid));
    if (pids.every((pid) => !live.has(pid))) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/**
 * True once a child of this process has exited (by code or by signal). Node reaps its own
 * children, so this is exact where `kill -0` is not: a process nobody reaps stays a zombie.
 */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when `child` has exited (at once if it already has). */
export function exitedPromise(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => { resolve(); }));
}

/** The last 15 lines of a log file, for a start error's message. */
export function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}
