import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture, SecondSshd } from '@ssh-docker/testkit';
import { dialStdioFailure } from '../../src/internal/failures.js';

// Issue 12 item 5: the hint printed `ssh 127.0.0.1:2222 docker system dial-stdio`, which ssh(1)
// reads as a host named "127.0.0.1:2222". The printed command must be one that OpenSSH runs.

let fixture: DockerSshFixture;
let second: SecondSshd;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  // Its own port (not 22), so the hint must carry `-p`.
  second = await fixture.startSecondSshd();
});

afterAll(async () => {
  await second.stop();
  await fixture.stop();
});

/** The command between backquotes in the message. */
function hintOf(message: string): string {
  const m = /`([^`]+)`/.exec(message);
  if (m?.[1] === undefined) throw new Error(`no command in: ${message}`);
  return m[1];
}

/** Runs argv (no shell) with OpenSSH, sends one HTTP request on stdin, resolves with what came back. */
function runWithPing(argv: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = argv;
    // Only the test adds how to trust and log in to the fixture; the hint's own words follow unchanged.
    const trust = [
      '-F', '/dev/null',
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${second.knownHostsFile}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'IdentityAgent=none',
      '-i', fixture.identityFile,
    ];
    const child = spawn(cmd ?? 'ssh', [...trust, ...rest], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/\r\n\r\nOK/.test(stdout)) child.stdin.end();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    child.stdin.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
  });
}

describe('the ssh command printed when dial-stdio ends early', () => {
  it('is an OpenSSH command line that reaches the daemon through the fixture on its own port', async () => {
    const target = { host: second.host, port: second.port, user: fixture.user };
    const hint = hintOf(dialStdioFailure(1, null, '', target).message);
    expect(hint).toBe(`ssh -p ${second.port} ${fixture.user}@${second.host} docker system dial-stdio`);
    const argv = hint.split(' ');
    expect(argv[0]).toBe('ssh');
    const { stdout, stderr } = await runWithPing(argv);
    expect(stderr).not.toMatch(/Could not resolve|Permission denied|Host key verification failed/);
    expect(stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(stdout).toMatch(/\r\n\r\nOK/);
  });
});
