import { execFile } from 'node:child_process';
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
