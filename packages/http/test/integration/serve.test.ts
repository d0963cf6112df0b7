import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveDockerSocket, type DockerSocketServer } from '../../src/index.js';
import { socketConnector, startFixture, type DockerFixture } from './fixture.js';

let fixture: DockerFixture;
let server: DockerSocketServer;
let configDir: string;
let channelsOpened = 0;

interface Run {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** Runs the real docker CLI against the proxy, with a clean config and no inherited DOCKER_* settings. */
function cliEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: configDir, DOCKER_CONFIG: configDir, DOCKER_BUILDKIT: '0' };
}

function docker(args: readonly string[], input?: string | Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', ['-H', server.dockerHost, ...args], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input);
  });
}

function text(run: Run): string {
  expect(run.stderr.replace(/DEPRECATED: The legacy builder[\s\S]*?variable\.\s*/, '')).toBe('');
  expect(run.code).toBe(0);
  return run.stdout.toString();
}

beforeAll(async () => {
  fixture = await startFixture();
  configDir = mkdtempSync(join(tmpdir(), 'http-docker-config-'));
  const connect = socketConnector(fixture.dockerSocket);
  server = await serveDockerSocket(() => {
    channelsOpened += 1;
    return connect();
  });
});

afterAll(async () => {
  await server.close({ timeoutMs: 2_000 });
  rmSync(configDir, { recursive: true, force: true });
  await fixture.stop();
});

describe('the docker CLI through serveDockerSocket', () => {
  test('docker version reports the daemon behind the proxy', async () => {
    const out = text(await docker(['version', '--format', '{{.Server.APIVersion}}']));
    expect(out.trim()).toMatch(/^1\.\d+$/);
  });

  test('docker ps lists containers', async () => {
    const out = text(await docker(['ps', '-a', '--format', '{{.ID}}']));
    expect(typeof out).toBe('string');
    expect(out === '' || /^[0-9a-f]{12}(\n[0-9a-f]{12})*\n$/.test(out)).toBe(true);
  });

  test('docker run --rm prints the output of the container and removes it', async () => {
    const out = text(await docker(['run', '--rm', '--network', 'none', fixture.image, 'echo', 'hello from run']));
    expect(out).toBe('hello from run\n');
  });

  test('docker logs -f follows a container until it exits', async () => {
    const id = text(await docker(['run', '-d', '--network', 'none', fixture.image, 'sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.3; done'])).trim();
    try {
      const out = text(await docker(['logs', '-f', id]));
      expect(out).toBe('line1\nline2\nline3\n');
    } finally {
      await docker(['rm', '-f', id]);
    }
  });

  test('docker exec -i sends stdin and gets the whole answer after stdin ends (half-close)', async () => {
    const id = text(await docker(['run', '-d', '--network', 'none', fixture.image, 'sleep', '60'])).trim();
    try {
      const out = text(await docker(['exec', '-i', id, 'sh', '-c', 'tr a-z A-Z; sleep 0.5; echo after-eof'], 'hello through the proxy\n'));
      expect(out).toBe('HELLO THROUGH THE PROXY\nafter-eof\n');
    } finally {
      await docker(['rm', '-f', id]);
    }
  });

  test('docker build builds from a context FROM the test image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-cli-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${fixture.image}\nCOPY msg.txt /msg.txt\nRUN cat /msg.txt > /copy.txt\nCMD ["cat", "/copy.txt"]\n`);
      writeFileSync(join(dir, 'msg.txt'), 'built through the proxy\n');
      text(await docker(['build', '-q', '--network', 'none', '-t', 'http-test/cli-built:1', dir]));
      const out = text(await docker(['run', '--rm', '--network', 'none', 'http-test/cli-built:1']));
      expect(out).toBe('built through the proxy\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('docker save | docker load moves a 256 MiB image through the proxy', async () => {
    const name = await fixture.makeImage('http-test/cli-big:256', { randomMiB: 256 });
    const before = text(await docker(['image', 'inspect', '--format', '{{.Id}}', name])).trim();
    text(await docker(['tag', name, 'http-test/cli-big:copy']));
    text(await docker(['rmi', name]));
    const started = Date.now();
    // docker save NAME | docker load, the two processes piped to each other as a shell would.
    const save = spawn('docker', ['-H', server.dockerHost, 'save', 'http-test/cli-big:copy'], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawn('docker', ['-H', server.dockerHost, 'load', '-q'], { env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let bytes = 0;
    save.stdout.on('data', (c: Buffer) => (bytes += c.length));
    save.stdout.pipe(load.stdin);
    let loaded = '';
    let errors = '';
    load.stdout.on('data', (c: Buffer) => (loaded += c.toString()));
    load.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    save.stderr.on('data', (c: Buffer) => (errors += c.toString()));
    const [saveCode, loadCode] = await Promise.all([
      new Promise((resolve) => save.once('close', resolve)),
      new Promise((resolve) => load.once('close', resolve)),
    ]);
    const ms = Date.now() - started;
    expect(errors).toBe('');
    expect([saveCode, loadCode]).toEqual([0, 0]);
    expect(bytes).toBeGreaterThan(256 * 1024 * 1024);
    expect(loaded).toContain('Loaded image: http-test/cli-big:copy');
    text(await docker(['tag', 'http-test/cli-big:copy', name]));
    const after = text(await docker(['image', 'inspect', '--format', '{{.Id}}', name])).trim();
    expect(after).toBe(before);
    const mib = bytes / 1024 / 1024;
    process.stderr.write(`[http] docker CLI via proxy: save | load of ${mib.toFixed(0)} MiB in ${ms} ms (${(mib / (ms / 1000)).toFixed(0)} MiB/s)\n`);
    await docker(['rmi', '-f', name, 'http-test/cli-big:copy']);
  });

  test('ten docker commands at once all succeed, each on its own channel', async () => {
    const openedBefore = channelsOpened;
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => docker(['run', '--rm', '--network', 'none', fixture.image, 'echo', `concurrent ${i}`])),
    );
    expect(runs.map((r) => text(r))).toEqual(Array.from({ length: 10 }, (_, i) => `concurrent ${i}\n`));
    // Every CLI connection is accepted on its own stream: at least one per command.
    expect(channelsOpened - openedBefore).toBeGreaterThanOrEqual(10);
  });
});
