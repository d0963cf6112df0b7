import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childEnv, startBin, waitForLine } from '../helpers/bin.js';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-demo-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The directory of the socket the demo served the docker CLI on, from its progress line. */
function proxyDir(stdout: string): string {
  const m = /— export DOCKER_HOST=unix:\/\/(\/\S+)\/docker\.sock —/.exec(stdout);
  if (m === null) throw new Error(`no proxy line in:\n${stdout}`);
  return m[1] ?? '';
}

describe('ssh-docker demo, as a child process', () => {
  test('runs every step to the end, streams the container logs, cleans up and exits 0', async () => {
    const demo = startBin(['demo'], childEnv(scratch));
    const { code, signal } = await demo.exited;
    const stdout = demo.stdout();
    expect({ code, signal, stderr: demo.stderr() }).toEqual({ code: 0, signal: null, stderr: '' });

    const steps = stdout.split('\n').filter((l) => /^[✓✗-] /.test(l)).map((l) => l.split(' — ')[0]);
    expect(steps).toEqual([
      '✓ Started a throwaway remote host',
      '✓ Diagnosed the connection (ssh-docker check)',
      '✓ Host key verified',
      '✓ Connected',
      '✓ Daemon answered',
      '✓ Ran a container from ssh-docker-test/busybox:latest (DockerClient), logs streamed',
      '✓ The same through dockerode (createDockerAgent)',
      '✓ Local socket for the docker CLI (ssh-docker proxy)',
      '✓ docker run through the proxy',
      '✓ docker ps through the proxy',
      '✓ Cleaned up',
    ]);
    // Every progress line says what and how long.
    for (const line of stdout.split('\n').filter((l) => l.startsWith('✓ '))) expect(line).toMatch(/ — .+ — [0-9.]+ (ms|s)$/);
    expect(stdout).toMatch(/^✓ Host key verified — ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} matches the fixture's known_hosts \(strict policy\) — /m);
    expect(stdout).toMatch(/^✓ Daemon answered — Docker \S+, API [0-9.]+ /m);
    // The logs came line by line, as the container wrote them, 500 ms apart (1 s from first to last).
    for (const client of ['DockerClient', 'dockerode']) {
      const times = [1, 2, 3].map((i) => {
        const m = new RegExp(`^ {4}│ line ${i} from ${client} +\\+([0-9.]+) (ms|s)$`, 'm').exec(stdout);
        expect(m, `line ${i} from ${client}`).not.toBeNull();
        return Number(m?.[1]) * (m?.[2] === 's' ? 1000 : 1);
      });
      expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(500);
    }
    expect(stdout).toMatch(/^ {4}│ hello from the docker CLI, over SSH +\+/m);
    expect(stdout).toMatch(/^ {4}│ CONTAINER ID +IMAGE +COMMAND/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toMatch(/^Demo finished in [0-9.]+ (ms|s): every step above went through SSH\.$/);
    expect(existsSync(proxyDir(demo.stdout()))).toBe(false);
  });

  test('a failing step stops the demo, prints the code and the fix, still cleans up, and exits 1', async () => {
    // A PATH with everything but the docker CLI: the fixture starts, the docker CLI step fails.
    const bin = join(scratch, 'bin-without-docker');
    await mkdir(bin);
    const seen = new Set<string>(['docker']);
    for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        await symlink(join(dir, name), join(bin, name));
      }
    }
    const demo = startBin(['demo'], { ...childEnv(scratch), PATH: bin });
    expect(await demo.exited).toEqual({ code: 1, signal: null });
    const lines = demo.stdout().split('\n');
    const failed = lines.findIndex((l) => l.startsWith('✗ '));
    expect(lines[failed]).toMatch(/^✗ docker run through the proxy — ERR_DOCKER_CLI_MISSING: the docker CLI is not on PATH — [0-9.]+ (ms|s)$/);
    expect(lines[failed + 1]).toBe('    fix: install the docker CLI (docker-ce-cli or docker.io) to see this step');
    expect(lines.slice(failed + 2).filter((l) => /^[✓✗-] /.test(l)).map((l) => l.split(' — ')[0])).toEqual(['✓ Cleaned up']);
    expect(demo.stdout().trimEnd().split('\n').at(-1)).toMatch(/^Demo failed after [0-9.]+ (ms|s)\.$/);
    expect(existsSync(proxyDir(demo.stdout()))).toBe(false);
  });

  test('Ctrl-C in the middle ends it at once and leaves no proxy socket directory behind', async () => {
    const demo = startBin(['demo'], childEnv(scratch));
    await waitForLine(demo, /^✓ Local socket for the docker CLI/);
    const dir = proxyDir(demo.stdout());
    demo.child.kill('SIGINT');
    expect(await demo.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(existsSync(dir)).toBe(false);
  });
});
