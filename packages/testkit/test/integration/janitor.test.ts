import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { MARKER, register, sweepStale } from '../../src/internal/janitor.js';

const run = promisify(execFile);

test('a later start removes what a fixture of a killed process left: processes, namespace and temp dir', async () => {
  const dead = spawn('true');
  await new Promise((resolve) => dead.once('exit', resolve));
  const deadPid = dead.pid!;
  const id = `${deadPid}-1-abcdef`;
  const dir = mkdtempSync(join(tmpdir(), 'sdk-'));
  const netns = `sdk-${deadPid}-1`;
  await run('ip', ['netns', 'add', netns]);
  const orphan = spawn('sleep', ['600'], { env: { ...process.env, [MARKER]: id }, stdio: 'ignore' });
  const gone = new Promise((resolve) => orphan.once('exit', resolve));
  register({ pid: deadPid, id, dir, netns });

  sweepStale(true);

  await gone;
  expect(orphan.signalCode).toBe('SIGKILL');
  expect(existsSync(dir)).toBe(false);
  expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(netns);
  expect(existsSync(`/run/ssh-docker-testkit/fixtures/${id}.json`)).toBe(false);
});
