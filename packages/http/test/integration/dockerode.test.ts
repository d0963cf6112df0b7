import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Agent, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerAgent } from '../../src/index.js';
import { socketConnector, startFixture, type DockerFixture } from './fixture.js';

let fixture: DockerFixture;
let agent: Agent;
let docker: Docker;
const cleanup: string[] = [];

function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}

/** sha256 and size of a stream, written to `file` too when given. */
async function digest(stream: Readable, file?: string): Promise<{ sha256: string; bytes: number; ms: number }> {
  const started = Date.now();
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new PassThrough();
  tap.on('data', (c: Buffer) => {
    hash.update(c);
    bytes += c.length;
  });
  if (file === undefined) {
    await pipeline(stream, tap);
  } else {
    await pipeline(stream, tap, createWriteStream(file));
  }
  return { sha256: hash.digest('hex'), bytes, ms: Date.now() - started };
}

beforeAll(async () => {
  fixture = await startFixture();
  agent = createDockerAgent(socketConnector(fixture.dockerSocket));
  docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
});

afterAll(async () => {
  for (const id of cleanup) await docker.getContainer(id).remove({ force: true }).catch(() => undefined);
  agent.destroy();
  await fixture.stop();
});

describe('dockerode 4.0.8 through createDockerAgent', () => {
  test('dockerode pings the daemon', async () => {
    const answer: unknown = await docker.ping();
    expect(String(answer)).toBe('OK');
  });

  test('dockerode uses the agent even when DOCKER_HOST and DOCKER_TLS_VERIFY point elsewhere', async () => {
    const saved = { host: process.env.DOCKER_HOST, tls: process.env.DOCKER_TLS_VERIFY };
    process.env.DOCKER_HOST = 'ssh://nobody@192.0.2.1:1';
    process.env.DOCKER_TLS_VERIFY = '1';
    try {
      const other = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
      expect(String(await other.ping())).toBe('OK');
    } finally {
      if (saved.host === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved.host;
      if (saved.tls === undefined) delete process.env.DOCKER_TLS_VERIFY;
      else process.env.DOCKER_TLS_VERIFY = saved.tls;
    }
  });

  test('dockerode lists images and containers', async () => {
    const images = await docker.listImages();
    expect(images.some((i) => (i.RepoTags ?? []).includes(fixture.image))).toBe(true);
    const containers = await docker.listContainers({ all: true });
    expect(Array.isArray(containers)).toBe(true);
  });

  test('dockerode creates, starts, follows the logs of and waits for a container', async () => {
    const container = await docker.createContainer({
      Image: fixture.image,
      Cmd: ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done; exit 3'],
      HostConfig: { NetworkMode: 'none' },
    });
    cleanup.push(container.id);
    await container.start();
    const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(logs, stdout, stderr);
    const outText = collect(stdout);
    const errText = collect(stderr);
    await new Promise<void>((resolve, reject) => {
      logs.once('end', resolve);
      logs.once('error', reject);
    });
    stdout.end();
    stderr.end();
    expect((await outText).toString()).toBe('out1\nout2\nout3\n');
    expect((await errText).toString()).toBe('err1\nerr2\nerr3\n');
    const result = (await container.wait()) as { StatusCode: number };
    expect(result.StatusCode).toBe(3);
  });

  test('dockerode runs an exec whose stdin goes through the hijacked stream', async () => {
    const container = await docker.createContainer({ Image: fixture.image, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
    cleanup.push(container.id);
    await container.start();
    const exec = await container.exec({ Cmd: ['sh', '-c', 'tr a-z A-Z; echo done >&2'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream & Readable;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    const outText = collect(stdout);
    const errText = collect(stderr);
    stream.write('hello ');
    stream.end('through ssh\n');
    await new Promise<void>((resolve) => stream.once('end', resolve));
    stdout.end();
    stderr.end();
    expect((await outText).toString()).toBe('HELLO THROUGH SSH\n');
    expect((await errText).toString()).toBe('done\n');
    const info = await exec.inspect();
    expect(info.ExitCode).toBe(0);
  });

  test('dockerode builds an image from a tar context FROM the test image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${fixture.image}\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /copy.txt\nCMD ["cat", "/copy.txt"]\n`);
      writeFileSync(join(dir, 'hello.txt'), 'built through the agent\n');
      const tar = execFileSync('tar', ['-C', dir, '-c', '.']);
      const stream = await docker.buildImage(Readable.from([tar]), { t: 'http-test/built:1', networkmode: 'none' });
      const events = await new Promise<{ error?: string; stream?: string }[]>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err === null ? resolve(output) : reject(err)));
      });
      expect(events.filter((e) => e.error !== undefined)).toEqual([]);
      const container = await docker.createContainer({ Image: 'http-test/built:1', HostConfig: { NetworkMode: 'none' } });
      cleanup.push(container.id);
      await container.start();
      await container.wait();
      const out = await container.logs({ stdout: true, follow: false });
      // Non-TTY logs are multiplexed: 8-byte header, then the payload.
      expect(out.subarray(8).toString()).toBe('built through the agent\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dockerode saves a 256 MiB image byte for byte as the direct socket does, and loads it back', async () => {
    const name = await fixture.makeImage('http-test/big:256', { randomMiB: 256 });
    const dir = mkdtempSync(join(tmpdir(), 'http-save-'));
    try {
      const direct = await new Promise<IncomingMessage>((resolve, reject) => {
        httpRequest({ socketPath: fixture.dockerSocket, path: `/images/${encodeURIComponent(name)}/get`, method: 'GET' }, resolve).once('error', reject).end();
      });
      expect(direct.statusCode).toBe(200);
      const expected = await digest(direct);
      // Hash-only, as the direct download: the throughput figure compares like with like.
      const viaAgent = await digest((await docker.getImage(name).get()) as unknown as Readable);
      expect(viaAgent.bytes).toBe(expected.bytes);
      expect(viaAgent.sha256).toBe(expected.sha256);
      expect(viaAgent.bytes).toBeGreaterThan(256 * 1024 * 1024);
      const mib = viaAgent.bytes / 1024 / 1024;
      process.stderr.write(
        `[http] dockerode image save: ${mib.toFixed(0)} MiB in ${viaAgent.ms} ms (${(mib / (viaAgent.ms / 1000)).toFixed(0)} MiB/s); direct socket ${expected.ms} ms (${(mib / (expected.ms / 1000)).toFixed(0)} MiB/s)\n`,
      );
      const saved = await digest((await docker.getImage(name).get()) as unknown as Readable, join(dir, 'image.tar'));
      expect(saved.sha256).toBe(expected.sha256);

      const before = await docker.getImage(name).inspect();
      await docker.getImage(name).remove({ force: true });
      const load = (await docker.loadImage(createReadStream(join(dir, 'image.tar')), { quiet: true })) as unknown as Readable;
      const loadText = (await collect(load)).toString();
      expect(loadText).toContain('Loaded image');
      const after = await docker.getImage(name).inspect();
      expect(after.Id).toBe(before.Id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await docker.getImage('http-test/big:256').remove({ force: true }).catch(() => undefined);
    }
  });

  test('dockerode follows events as they happen', async () => {
    const events = (await docker.getEvents({ filters: { type: ['container'] } })) as unknown as Readable;
    const seen = new Promise<{ status?: string; Action?: string; id?: string }>((resolve, reject) => {
      let text = '';
      events.on('data', (c: Buffer) => {
        text += c.toString();
        for (const line of text.split('\n').filter(Boolean)) {
          try {
            const event = JSON.parse(line) as { Action?: string; id?: string };
            if (event.Action === 'create') resolve(event);
          } catch {
            // an incomplete line: wait for the rest
          }
        }
      });
      events.once('error', reject);
    });
    const container = await docker.createContainer({ Image: fixture.image, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
    cleanup.push(container.id);
    const event = await seen;
    expect(event.id).toBe(container.id);
    events.destroy();
  });
});
