import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('lets a script exit as soon as its fixture is stopped (no timer left behind)', async () => {
  const script = fileURLToPath(new URL('./stop-exit.mjs', import.meta.url));
  const started = Date.now();
  const { stdout } = await run(process.execPath, [script], { timeout: 60_000 });
  expect(stdout).toBe('stopped\n');
  // Start and stop take a few seconds; the 15 s dockerd shutdown limit must not hold the process.
  expect(Date.now() - started).toBeLessThan(14_000);
});
