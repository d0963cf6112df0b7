import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { childEnv, startBin, waitForLine } from '../helpers/bin.js';

const run = promisify(execFile);
let fixture: DockerSshFixture;
let scratch: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-proxy-'));
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

function keyOptions(knownHosts = fixture.knownHostsFile): string[] {
  return ['-F', 'none', '-i', fixture.identityFile, '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${knownHosts}`];
}

/** The real docker CLI, with only -H pointing it somewhere. */
async function docker(dockerHost: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker', ['-H', dockerHost, ...args], { env: childEnv(scratch), timeout: 60_000 });
  return stdout;
}

const EXPORT = /^export DOCKER_HOST=(unix:\/\/(\/\S+))$/;

describe('ssh-docker proxy, as a child process, with the real docker CLI', () => {
  test('prints the export line, serves docker version and run through it, and on SIGINT exits 0 and removes its socket and 0700 directory', async () => {
    const proxy = startBin(['proxy', fixture.url, ...keyOptions()], childEnv(scratch));
    try {
      const [, dockerHost = '', socketPath = ''] = await waitForLine(proxy, EXPORT);
      const dir = dirname(socketPath);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await stat(socketPath)).isSocket()).toBe(true);

      const version = await docker(dockerHost, 'version', '--format', '{{.Server.Version}} {{.Server.Os}}');
      const daemon = await docker(`unix://${fixture.dockerSocket}`, 'version', '--format', '{{.Server.Version}} {{.Server.Os}}');
      expect(version).toBe(daemon);
      expect(await docker(dockerHost, 'run', '--rm', '--network', 'none', fixture.image, 'echo', 'through the proxy')).toBe('through the proxy\n');
      expect(proxy.stderr()).toMatch(new RegExp(`^Serving ${fixture.user}@${fixture.host.replace(/\./g, '\\.')}:${fixture.port} \\(Docker `));

      proxy.child.kill('SIGINT');
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(socketPath)).toBe(false);
      expect(existsSync(dir)).toBe(false);
      expect(proxy.stderr()).toContain(`Stopped; removed ${socketPath}.`);
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });

  test('SIGTERM stops it the same way', async () => {
    const proxy = startBin(['proxy', fixture.url, ...keyOptions()], childEnv(scratch));
    try {
      const [, , socketPath = ''] = await waitForLine(proxy, EXPORT);
      proxy.child.kill('SIGTERM');
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(dirname(socketPath))).toBe(false);
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });

  test('--socket puts the socket where asked and removes it on exit', async () => {
    const socketPath = join(scratch, 'own', 'docker.sock');
    const proxy = startBin(['proxy', fixture.url, '--socket', socketPath, ...keyOptions()], childEnv(scratch));
    try {
      const [, dockerHost = ''] = await waitForLine(proxy, EXPORT);
      expect(dockerHost).toBe(`unix://${socketPath}`);
      expect((await stat(dirname(socketPath))).mode & 0o777).toBe(0o700);
      expect(await docker(dockerHost, 'ps', '--format', '{{.ID}}')).toBe('');
      proxy.child.kill('SIGINT');
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
      expect(existsSync(socketPath)).toBe(false);
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });

  test('an unknown host key fails at start with exit 1, the code and the fix, and no socket', async () => {
    const empty = join(scratch, 'empty_known_hosts');
    await writeFile(empty, '');
    const proxy = startBin(['proxy', fixture.url, ...keyOptions(empty)], childEnv(scratch));
    try {
      expect(await proxy.exited).toEqual({ code: 1, signal: null });
      expect(proxy.stdout()).toBe('');
      const lines = proxy.stderr().split('\n');
      expect(lines[0]).toMatch(/^✗ ERR_HOST_KEY_UNKNOWN: No ssh-ed25519 host key is known for /);
      expect(lines.at(-2)).toBe(
        '  fix: verify the fingerprint with the host owner, then add it: ssh-keyscan -H -p PORT HOST >> ~/.ssh/known_hosts, or -o StrictHostKeyChecking=accept-new once',
      );
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });

  test('while it runs, a connection that cannot reach the host is reported on stderr with its code and fix', async () => {
    const proxy = startBin(['proxy', fixture.url, ...keyOptions()], childEnv(scratch));
    try {
      const [, dockerHost = ''] = await waitForLine(proxy, EXPORT);
      await fixture.killSshd();
      try {
        await expect(docker(dockerHost, 'ps')).rejects.toThrow();
      } finally {
        await fixture.restartSshd();
      }
      expect(proxy.stderr()).toContain(
        '✗ a connection could not reach the daemon: ERR_CONNECTION_REFUSED\n  fix: start sshd on the host, or check the port (-p)\n',
      );
      // It keeps serving: the next command reconnects.
      expect(await docker(dockerHost, 'ps', '--format', '{{.ID}}')).toBe('');
      proxy.child.kill('SIGINT');
      expect(await proxy.exited).toEqual({ code: 0, signal: null });
    } finally {
      proxy.child.kill('SIGKILL');
    }
  });
});
