import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `ssh-docker` (pnpm test builds first; alone: pnpm --filter @ssh-docker/cli build). */
export const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @ssh-docker/cli build first`);
}

/** The environment of a child: this one's PATH, a given HOME, and nothing that points docker elsewhere. */
export function childEnv(home: string): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, LANG: 'C.UTF-8' };
}

/** Starts `node dist/bin.js ...args`; output is collected as text. */
export function startBin(args: readonly string[], env: NodeJS.ProcessEnv): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the first stdout line matching `re`, or rejects when the child exits first or after `timeoutMs`. */
export function waitForLine(started: ReturnType<typeof startBin>, re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      for (const line of started.stdout().split('\n')) {
        const m = re.exec(line);
        if (m !== null) {
          cleanup();
          resolve(m);
          return true;
        }
      }
      return false;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no line matching ${String(re)} within ${timeoutMs} ms; stdout:\n${started.stdout()}\nstderr:\n${started.stderr()}`));
    }, timeoutMs);
    const onData = (): void => {
      check();
    };
    const onExit = (): void => {
      if (!check()) {
        cleanup();
        reject(new Error(`exited before a line matching ${String(re)}; stdout:\n${started.stdout()}\nstderr:\n${started.stderr()}`));
      }
    };
    function cleanup(): void {
      clearTimeout(timer);
      started.child.stdout.removeListener('data', onData);
      started.child.removeListener('close', onExit);
    }
    started.child.stdout.on('data', onData);
    started.child.once('close', onExit);
    check();
  });
}
