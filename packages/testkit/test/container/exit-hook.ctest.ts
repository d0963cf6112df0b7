import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

// Runs on the built package (dist/): `pnpm run build` first.
it('removes the container, its volume and the temp dir when the process exits without stop()', async () => {
  const volumesBefore = docker('volume', 'ls', '-q');
  const script = fileURLToPath(new URL('./exit-hook.mjs', import.meta.url));
  const { stdout } = await run(process.execPath, [script], { timeout: 600_000 });
  const { container, dir } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { container: string; dir: string };
  expect(container).toMatch(/^sdk-ctr-[0-9a-f]{8}$/);
  expect(docker('ps', '-aq', '--filter', `name=^${container}$`)).toBe('');
  expect(docker('volume', 'ls', '-q')).toBe(volumesBefore);
  expect(existsSync(dir)).toBe(false);
});
