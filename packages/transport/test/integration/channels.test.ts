import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver, waitFor } from './helpers.js';

const run = promisify(execFile);
let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture({ maxSessions: 10 });
});

afterAll(async () => {
  await fixture.stop();
});

function options(extra: Partial<DockerSshTransportOptions> = {}): DockerSshTransportOptions {
  return { ...fixture.transportOptions(), ...extra };
}

describe('channels on shared connections', () => {
  it('serves 200 concurrent streams, each pinging, with MaxSessions 10 on the server', async () => {
    const transport = createDockerSshTransport(options());
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, async () => {
          const stream = await transport.openStream();
          return (await httpOver(stream, '/_ping')).status;
        }),
      );
      expect(results.filter((s) => s === 200)).toHaveLength(200);
      const stats = transport.stats();
      expect(stats.connectsStarted).toBeLessThanOrEqual(4);
      expect(stats.streamsOpened).toBe(200);
      expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('learns a lower session limit from refused channel opens and still serves every stream', async () => {
    // 12 channels per connection against MaxSessions 10: the server refuses the 11th, the pool adapts.
    const transport = createDockerSshTransport(options({ maxChannelsPerConnection: 12, maxConnections: 2 }));
    try {
      // Each stream ends after its ping (Connection: close), freeing its slot for a waiting one.
      const statuses = await Promise.all(Array.from({ length: 24 }, async () => (await httpOver(await transport.openStream(), '/_ping')).status));
      expect(statuses.every((s) => s === 200)).toBe(true);
      expect(transport.stats().channelRefusals).toBeGreaterThan(0);
    } finally {
      await transport.close();
    }
  });

  it('keeps half-close: the request side ends and the whole response still arrives', async () => {
    const transport = createDockerSshTransport(options());
    try {
      const stream = await transport.openStream();
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise((resolve) => stream.once('end', resolve));
      stream.end('GET /version HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
      await ended;
      const text = Buffer.concat(chunks).toString('utf8');
      expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text).toContain('"ApiVersion"');
    } finally {
      await transport.close();
    }
  });

  it('closing one stream does not disturb another on the same connection', async () => {
    const transport = createDockerSshTransport(options({ maxConnections: 1 }));
    try {
      const [a, b] = await Promise.all([transport.openStream(), transport.openStream()]);
      a.destroy();
      expect((await httpOver(b, '/_ping')).status).toBe(200);
      expect(transport.stats().connectsStarted).toBe(1);
    } finally {
      await transport.close();
    }
  });

  it('fails open streams with ERR_CONNECTION_LOST when sshd is killed, then reconnects on the next request', async () => {
    const transport = createDockerSshTransport(options());
    try {
      const stream = await transport.openStream();
      // Follow events: a response that never ends on its own.
      stream.write('GET /events HTTP/1.1\r\nHost: docker\r\n\r\n');
      await new Promise((resolve) => stream.once('data', resolve));
      const failed = new Promise<{ err: Error & { code?: string }; at: number }>((resolve) => stream.once('error', (err) => resolve({ err, at: Date.now() })));
      await fixture.killSshd();
      // From when sshd is gone (killSshd() waits for that), not from when the kill began: the reset
      // is seen at once, where a missed one would wait for the keepalive (45 s by default).
      const killed = Date.now();
      const { err, at } = await failed;
      expect(err.code).toBe('ERR_CONNECTION_LOST');
      expect(at - killed).toBeLessThan(1000);
      await fixture.restartSshd();
      expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
      expect(transport.stats().connectsStarted).toBe(2);
    } finally {
      await transport.close();
    }
  });

  it('notices a cut link within (keepalive count + 2) intervals + 1 s, and works again after restore', async () => {
    const interval = 1000;
    const count = 2;
    const transport = createDockerSshTransport(options({ keepaliveIntervalMs: interval, keepaliveCountMax: count, connectTimeoutMs: 3000 }));
    try {
      const stream = await transport.openStream();
      expect((await httpOver(stream, '/_ping', { keepAlive: true })).status).toBe(200);
      const failed = new Promise<Error & { code?: string }>((resolve) => stream.once('error', resolve));
      await fixture.cut();
      const started = Date.now();
      const err = await failed;
      const noticed = Date.now() - started;
      expect(err.code).toBe('ERR_CONNECTION_LOST');
      // From the last byte: up to one interval until the check ticks, then `count` unanswered pings and the
      // tick that gives up, so (count + 2) intervals at worst; a second more for timers on a loaded machine.
      expect(noticed).toBeLessThanOrEqual(interval * (count + 2) + 1000);
      await fixture.restore();
      expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
    } finally {
      await fixture.restore();
      await transport.close();
    }
  });

  it('refuses new streams after close() with ERR_TRANSPORT_CLOSED, and ends the ones still open at the deadline', async () => {
    const transport = createDockerSshTransport(options());
    const stream = await transport.openStream();
    const ended = new Promise<Error | undefined>((resolve) => {
      stream.once('error', resolve);
      stream.once('close', () => resolve(undefined));
    });
    await transport.close({ timeoutMs: 100 });
    const err = await ended;
    expect((err as { code?: string } | undefined)?.code).toBe('ERR_TRANSPORT_CLOSED');
    const refused = await failure(transport.openStream());
    expect(refused.code).toBe('ERR_TRANSPORT_CLOSED');
    expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
  });

  it('keeps the process alive through every step of check(), then lets it exit', async () => {
    const script = fileURLToPath(new URL('./check-exit.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, [script, JSON.stringify(options())], { timeout: 20_000 });
    expect(stdout.trim()).toBe('resolve:ok,tcp:ok,host key:ok,auth:ok,docker CLI:ok,daemon ping:ok,API version:ok,round trip:ok');
  });

  it('closes a stream nobody listens to for errors without an uncaught exception', async () => {
    const transport = createDockerSshTransport(options());
    const stream = await transport.openStream();
    await transport.close({ timeoutMs: 50 });
    await new Promise((r) => setTimeout(r, 100));
    expect(stream.destroyed).toBe(true);
  });

  it('lets the process exit while the transport is idle (unref), without close()', async () => {
    const script = fileURLToPath(new URL('./idle-exit.mjs', import.meta.url));
    const started = Date.now();
    const { stdout } = await run(process.execPath, [script, JSON.stringify(options())], { timeout: 20_000 });
    expect(stdout.trim()).toBe('200');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
