import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';

// serveDockerSocket's removeOnExit (issue 14): a process that ends without close() — a signal, or
// process.exit() — leaves no socket and no directory behind, and still ends the way it would have
// (killed by that signal); an application with its own handler decides itself; `false` turns it off.
// Each case is a real child process running the built package.
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Ended {
  readonly path: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
}

/** Starts a child serving a socket (never connected to), then ends it by `how`. */
function run(options: { path?: string; removeOnExit?: boolean; ownHandler?: NodeJS.Signals }, how: NodeJS.Signals | 'exit'): Promise<Ended> {
  const script = `
    import fs from 'node:fs';
    import { serveDockerSocket } from ${JSON.stringify(DIST)};
    const server = await serveDockerSocket(() => Promise.reject(new Error('unused')), ${JSON.stringify({ ...(options.path === undefined ? {} : { path: options.path }), ...(options.removeOnExit === undefined ? {} : { removeOnExit: options.removeOnExit }) })});
    ${options.ownHandler === undefined ? '' : `process.on(${JSON.stringify(options.ownHandler)}, () => { setTimeout(() => { console.log('own handler sees the socket: ' + fs.existsSync(server.path)); process.exit(7); }, 50); });`}
    process.stdin.on('data', () => process.exit(3));
    console.log('PATH ' + server.path);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let path: string | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not end: ${out}`));
    }, 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /PATH (\S+)/.exec(out);
      if (path === undefined && match?.[1] !== undefined) {
        path = match[1];
        expect(existsSync(path)).toBe(true);
        if (how === 'exit') child.stdin.write('x');
        else child.kill(how);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (path === undefined) reject(new Error(`child ended before serving: ${out}`));
      else resolve({ path, code, signal, out });
    });
  });
}

describe('serveDockerSocket removeOnExit', () => {
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    test(`${signal} without a handler of the application: socket and its directory removed, the process still dies of ${signal}`, async () => {
      const ended = await run({}, signal);
      expect(ended.signal).toBe(signal);
      expect(existsSync(ended.path)).toBe(false);
      expect(existsSync(dirname(ended.path))).toBe(false);
    });
  }

  test('process.exit() without close(): socket and its directory removed', async () => {
    const ended = await run({}, 'exit');
    expect(ended.code).toBe(3);
    expect(existsSync(ended.path)).toBe(false);
    expect(existsSync(dirname(ended.path))).toBe(false);
  });

  test('a socket at a given path in the caller\'s directory: the socket is removed, the directory kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serve-exit-'));
    dirs.push(dir);
    const ended = await run({ path: join(dir, 'docker.sock') }, 'SIGTERM');
    expect(ended.signal).toBe('SIGTERM');
    expect(existsSync(ended.path)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  test('an application with its own SIGTERM handler decides: the socket is not removed behind its back', async () => {
    const ended = await run({ ownHandler: 'SIGTERM' }, 'SIGTERM');
    // The application's handler ran with the socket still there (exit 7); its process.exit() then
    // removed the socket, as any exit does.
    expect(ended.out).toContain('own handler sees the socket: true');
    expect(ended.code).toBe(7);
    expect(existsSync(ended.path)).toBe(false);
  });

  test('removeOnExit: false leaves the socket after a signal (the caller cleans up)', async () => {
    const ended = await run({ removeOnExit: false }, 'SIGTERM');
    dirs.push(dirname(ended.path));
    expect(ended.signal).toBe('SIGTERM');
    expect(existsSync(ended.path)).toBe(true);
  });
});
