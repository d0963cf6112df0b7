import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DockerClient, MAX_API_VERSION, demux, type HttpError } from '../../src/index.js';
import { socketConnector, startFixture, type DockerFixture } from './fixture.js';

let fixture: DockerFixture;
let client: DockerClient;
const cleanup: string[] = [];

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

async function createContainer(cmd: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const { Id } = await client.json<{ Id: string }>({
    method: 'POST',
    path: '/containers/create',
    body: { Image: fixture.image, Cmd: cmd, HostConfig: { NetworkMode: 'none' }, ...extra },
  });
  cleanup.push(Id);
  return Id;
}

beforeAll(async () => {
  fixture = await startFixture();
  client = new DockerClient(socketConnector(fixture.dockerSocket));
});

afterAll(async () => {
  for (const id of cleanup) {
    await client.request({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } }).then((r) => r.body.resume(), () => undefined);
  }
  client.close();
  await fixture.stop();
});

describe('DockerClient against a real dockerd', () => {
  test('the API version is negotiated from /_ping and capped at MAX_API_VERSION', async () => {
    const version = await client.apiVersion();
    const [major, minor] = version.split('.').map(Number);
    const [maxMajor, maxMinor] = MAX_API_VERSION.split('.').map(Number);
    expect(major).toBe(1);
    expect(minor!).toBeLessThanOrEqual(maxMinor!);
    expect(maxMajor).toBe(1);
    const capped = new DockerClient(socketConnector(fixture.dockerSocket), { maxApiVersion: '1.30' });
    try {
      expect(await capped.apiVersion()).toBe('1.30');
      const info = await capped.json<{ ApiVersion: string }>({ path: '/version' });
      expect(info.ApiVersion).toBe(version);
    } finally {
      capped.close();
    }
  });

  test('a 404 from the daemon is ERR_HTTP_STATUS with its status and JSON message', async () => {
    const err = (await client.request({ path: '/containers/does-not-exist/json' }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_STATUS');
    expect(err.statusCode).toBe(404);
    expect(err.message).toBe('the daemon answered 404; see err.daemonMessage');
    expect(err.daemonMessage).toBe('No such container: does-not-exist');
    expect(err.path).toMatch(/^\/v1\.\d+\/containers\/does-not-exist\/json$/);
  });

  test('a container runs and its multiplexed logs split into stdout and stderr', async () => {
    const id = await createContainer(['sh', '-c', 'echo out; echo err >&2; echo out2']);
    (await client.request({ method: 'POST', path: `/containers/${id}/start` })).body.resume();
    const logs = await client.request({ path: `/containers/${id}/logs`, query: { follow: true, stdout: true, stderr: true } });
    const { stdout, stderr } = demux(logs.body);
    const [out, err] = await Promise.all([text(stdout), text(stderr)]);
    expect(out).toBe('out\nout2\n');
    expect(err).toBe('err\n');
    const wait = await client.json<{ StatusCode: number }>({ method: 'POST', path: `/containers/${id}/wait` });
    expect(wait.StatusCode).toBe(0);
  });

  test('hijack gives an exec stream whose write side closes on end() while output keeps coming', async () => {
    const id = await createContainer(['sleep', '60']);
    (await client.request({ method: 'POST', path: `/containers/${id}/start` })).body.resume();
    const exec = await client.json<{ Id: string }>({
      method: 'POST',
      path: `/containers/${id}/exec`,
      body: { Cmd: ['sh', '-c', 'wc -c; sleep 0.3; echo late >&2'], AttachStdin: true, AttachStdout: true, AttachStderr: true },
    });
    const stream = await client.hijack({ path: `/exec/${exec.Id}/start`, body: { Detach: false, Tty: false } });
    const { stdout, stderr } = demux(stream);
    const output = Promise.all([text(stdout), text(stderr)]);
    stream.write(Buffer.alloc(100_000, 0x61));
    stream.end(Buffer.alloc(23_456, 0x62));
    const [out, err] = await output;
    expect(out.trim()).toBe('123456');
    expect(err).toBe('late\n');
  });

  test('hijack of an unknown exec is ERR_HTTP_UPGRADE with the daemon status', async () => {
    const err = (await client.hijack({ path: '/exec/does-not-exist/start', body: { Detach: false, Tty: false } }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_UPGRADE');
    expect(err.statusCode).toBe(404);
    expect(err.message).toBe('the daemon answered 404 instead of 101 to an upgrade request; see err.daemonMessage');
    expect(err.daemonMessage).toMatch(/No such exec instance/);
  });

  test('a request body streamed from a Readable builds an image (chunked upload)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-client-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${fixture.image}\nCOPY pad.bin /pad.bin\n`);
      writeFileSync(join(dir, 'pad.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
      // The context comes straight from tar's stdout: the body is never one buffer on our side.
      const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const res = await client.request({
        method: 'POST',
        path: '/build',
        query: { t: 'http-test/client-built:1', networkmode: 'none' },
        headers: { 'Content-Type': 'application/x-tar' },
        body: tar.stdout,
      });
      const progress = await text(res.body);
      expect(progress).toContain('Successfully tagged http-test/client-built:1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a 256 MiB image download is streamed, not buffered, and matches a second download', async () => {
    const name = await fixture.makeImage('http-test/client-big:256', { randomMiB: 256 });
    const hashes: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const started = Date.now();
      const heapBefore = process.memoryUsage().rss;
      const res = await client.request({ path: `/images/${encodeURIComponent(name)}/get` });
      const hash = createHash('sha256');
      let bytes = 0;
      let peakRss = heapBefore;
      for await (const chunk of res.body) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
      }
      const ms = Date.now() - started;
      hashes.push(hash.digest('hex'));
      expect(bytes).toBeGreaterThan(256 * 1024 * 1024);
      // Streaming keeps memory flat: far less growth than the image itself.
      expect(peakRss - heapBefore).toBeLessThan(128 * 1024 * 1024);
      process.stderr.write(`[http] DockerClient image save: ${bytes} bytes in ${ms} ms (${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s)\n`);
    }
    expect(hashes[0]).toBe(hashes[1]);
    (await client.request({ method: 'DELETE', path: `/images/${encodeURIComponent(name)}`, query: { force: true } })).body.resume();
  });

  test('an abort during a followed event stream ends it with ERR_HTTP_ABORTED', async () => {
    const controller = new AbortController();
    const res = await client.request({ path: '/events', signal: controller.signal });
    const failure = new Promise<HttpError>((resolve) => res.body.once('error', (e: HttpError) => resolve(e)));
    res.body.resume();
    controller.abort();
    const err = await failure;
    expect(err.code).toBe('ERR_HTTP_ABORTED');
    expect(err.message).toBe('the request was aborted by its signal');
  });
});
