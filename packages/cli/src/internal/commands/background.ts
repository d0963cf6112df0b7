import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Printer } from '../output.js';

/** How long the background proxy may take to serve before we give up on it. */
const START_LIMIT_MS = 120_000;

interface BackgroundContext {
  readonly out: Printer;
  readonly err: Printer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The argv without `--print-env` (options come before a `--`; after it everything is positional). */
function withoutPrintEnv(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  return argv.filter((arg, i) => !(arg === '--print-env' && (end === -1 || i < end)));
}

/**
 * `ssh-docker proxy … --print-env`: starts the same proxy as a detached process (its own session,
 * so closing the terminal does not stop it), relays its stderr until it serves, then prints
 * `export DOCKER_HOST=…` and `export SSH_DOCKER_PROXY_PID=…` for `eval "$(…)"` and returns 0. A
 * proxy that fails to start passes its messages and exit code through. Like `ssh-agent`'s output,
 * the lines are meant for a POSIX shell.
 */
export function background(self: readonly string[], argv: readonly string[], context: BackgroundContext): Promise<number> {
  const [command, ...prefix] = self;
  if (command === undefined) return Promise.resolve(70);
  const child = spawn(command, [...prefix, ...withoutPrintEnv(argv)], {
    cwd: context.cwd,
    env: { ...context.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise<number>((resolve) => {
    let settled = false;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(code);
    };
    const timer = setTimeout(() => {
      context.err.line(`ssh-docker: the background proxy did not start serving within ${START_LIMIT_MS / 1000} s; stopped it`);
      child.kill('SIGTERM');
      finish(1);
    }, START_LIMIT_MS);
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (!settled) context.err.line(line);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (settled || !line.startsWith('export DOCKER_HOST=')) return;
      context.out.line(line);
      context.out.line(`export SSH_DOCKER_PROXY_PID=${String(child.pid)}`);
      context.err.line(`ssh-docker proxy serves in the background (pid ${String(child.pid)}); stop it with: kill $SSH_DOCKER_PROXY_PID`);
      // From now on the proxy's output goes nowhere: it must not hold our pipes (or our exit) open.
      child.stdout.destroy();
      child.stderr.destroy();
      child.unref();
      finish(0);
    });
    child.once('error', () => {
      context.err.line('ssh-docker: could not start the background proxy');
      finish(1);
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      finish(code ?? (signal === null ? 1 : 128));
    });
  });
}
