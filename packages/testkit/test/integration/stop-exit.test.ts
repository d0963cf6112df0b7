import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('lets a script exit as soon as its fixture is stopped (no timer left behind)', async () => {
  const script = fileURLToPath(new URL('./stop-exit.mjs', import.meta.url));
  const { stdout } = await run(process.execPath, [script], { timeout: 60_000 });
  const exited = Date.now();
  const [, stopping] = /^stopping at (\d+)\nstopped\n$/.exec(stdout) ?? [];
  expect(stopping).toBeDefined();
  // Stopping takes a second or two; the 15 s dockerd shutdown limit must not hold the process after it.
  // Timed from the stop, not from the start, so that a slow fixture start cannot fail it.
  expect(exited - Number(stopping)).toBeLessThan(14_000);
});

it('kills the sshd sessions of a fixture never stopped when its process is ended by a signal (the exit hook)', async () => {
  const script = fileURLToPath(new URL('./exit-hook.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('\n') && Date.now() < deadline) await sleep(50);
    // sshd writes its process title over its environment: these carry no marker, only the namespace.
    const pids = JSON.parse(out) as number[];
    expect(pids.length).toBeGreaterThanOrEqual(2);
    child.kill('SIGINT');
    await exited;
    const gone = Date.now() + 5000;
    while (pids.some((pid) => existsSync(`/proc/${String(pid)}`)) && Date.now() < gone) await sleep(50);
    expect(pids.filter((pid) => existsSync(`/proc/${String(pid)}`))).toEqual([]);
  } finally {
    child.kill('SIGKILL');
  }
}, 120_000);
