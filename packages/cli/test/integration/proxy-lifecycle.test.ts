import { execFile } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { assertBuilt, BIN, childEnv, startBin, waitForLine } from '../helpers/bin.js';

// Issue 14, "the proxy as a tool people keep running", and issue 11 item 10 (raw codes from --socket).

const run = promisify(execFile);
let fixture: DockerSshFixture;
let scratch: string;
const EXPORT = /^export DOCKER_HOST=(unix:\/\/(\/\S+))$/;

beforeAll(async () => {
  assertBuilt();
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-life-'));
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

function keyOptions(): string[] {
  return ['-F', 'none', '-i', fixture.identityFile, '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`];
}

async function docker(dockerHost: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', dockerHost, ...args], { env: childEnv(scratch), timeout: 60_000 });
  return stdout;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

describe('ssh-docker proxy kept running: restarts, signals, background', () => {
  test('after kill -9, a restart on the same --socket replaces the stale socket and serves', async () => {
    const socketPath = join(scratch, 'restart', 'docker.sock');
    const first = startBin(['proxy', fixture.url, '--socket', socketPath, ...keyOptions()], childEnv(scratch));
    try {
      await waitForLine(first, EXPORT);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(lstatSync(socketPath).isSocket()).toBe(true);
    } finally {
      first.child.kill('SIGKILL');
    }
    const second = startBin(['proxy', fixture.url, '--socket', socketPath, ...keyOptions()], childEnv(scratch));
    try {
      const [, dockerHost = ''] = await waitForLine(second, EXPORT);
      expect(await docker(dockerHost, 'ps', '--format', '{{.ID}}')).toBe('');
      // A third one while the second serves is refused, and the second keeps serving.
      const third = startBin(['proxy', fixture.url, '--socket', socketPath, ...keyOptions()], childEnv(scratch));
      expect(await third.exited).toEqual({ code: 1, signal: null });
      expect(third.stderr()).toContain(`✗ ERR_HTTP_SOCKET_IN_USE: another process is serving on ${socketPath} (another ssh-docker proxy?); stop it, or choose another path`);
      expect(await docker(dockerHost, 'ps', '--format', '{{.ID}}')).toBe('');
      second.child.kill('SIGHUP');
      expect(await second.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      second.child.kill('SIGKILL');
    }
  });

  test('--socket under a missing directory fails with ERR_HTTP_SOCKET_PATH and the mkdir to run, not a raw lstat error', async () => {
    const missing = join(scratch, 'no', 'such');
    const proxy = startBin(['proxy', fixture.url, '--socket', join(missing, 'docker.sock'), ...keyOptions()], childEnv(scratch));
    expect(await proxy.exited).toEqual({ code: 1, signal: null });
    const stderr = proxy.stderr();
    expect(stderr).toContain(`✗ ERR_HTTP_SOCKET_PATH: the directory ${join(scratch, 'no')} does not exist; create it (mkdir -p -m 700 ${join(scratch, 'no')}) or choose another path`);
    expect(stderr).not.toMatch(/ERR_UNEXPECTED|lstat|ENOENT/);
    expect(existsSync(join(scratch, 'no'))).toBe(false);
  });

  test('--print-env returns at once with lines for eval; the background proxy serves until SIGTERM, which removes its socket', async () => {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'proxy', fixture.url, '--print-env', ...keyOptions()], { env: childEnv(scratch), timeout: 60_000 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const [, dockerHost = '', socketPath = ''] = EXPORT.exec(lines[0] ?? '') ?? [];
    const pid = Number(/^export SSH_DOCKER_PROXY_PID=(\d+)$/.exec(lines[1] ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(stderr).toContain(`ssh-docker proxy serves in the background (pid ${pid}); stop it with: kill $SSH_DOCKER_PROXY_PID`);
    try {
      expect(await docker(dockerHost, 'version', '--format', '{{.Server.Os}}')).toBe('linux\n');
      process.kill(pid, 'SIGTERM');
      expect(await until(() => !existsSync(socketPath), 10_000)).toBe(true);
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });

  test('--print-env passes a start failure through: exit 1, the code on stderr, nothing to eval', async () => {
    const proxy = startBin(['proxy', fixture.url, '--print-env', '--socket', join(scratch, 'x', 'y', 'docker.sock'), ...keyOptions()], childEnv(scratch));
    expect(await proxy.exited).toEqual({ code: 1, signal: null });
    expect(proxy.stdout()).toBe('');
    expect(proxy.stderr()).toContain('✗ ERR_HTTP_SOCKET_PATH: ');
  });
});
