/**
 * A hostile HTTP peer behind a real SSH channel: a unix socket on the fixture's side, served by a
 * raw server of ours, reached through the fixture's sshd with `socketVia: 'streamlocal'`. Endless
 * headers, bad chunk sizes, a 101 without a stream, bytes after the end: each ends in one of our
 * codes with bounded memory, never a crash or a hang.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_HEADER_SIZE, demux, DockerClient } from '@ssh-docker/http';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransport } from '@ssh-docker/transport';
import { keyOptions, OUR_CODES, trackMemoryPeak } from './helpers.js';

/** What a hostile daemon may make this process hold, over the baseline (it sends far more). */
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

let fixture: DockerSshFixture;
let server: Server;
let transport: DockerSshTransport;
let behave: (socket: Socket) => void = (socket) => socket.destroy();
let sent = 0;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  const dir = join(fixture.dir, 'hostile');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const path = join(dir, 'docker.sock');
  server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    // Answer once the request has arrived.
    socket.once('data', () => { behave(socket); });
  });
  await new Promise<void>((resolve) => server.listen(path, () => { resolve(); }));
  // The fixture's users reach it through sshd's streamlocal forwarding, as themselves.
  chmodSync(path, 0o666);
  transport = createDockerSshTransport(keyOptions(fixture, { socketPath: path, socketVia: 'streamlocal' }));
});

afterAll(async () => {
  await transport.close({ timeoutMs: 1000 });
  server.close();
  await fixture.stop();
});

function flood(socket: Socket, chunk: Buffer, first?: string): void {
  if (first !== undefined) {
    socket.write(first);
    sent += first.length;
  }
  const pump = (): void => {
    while (!socket.destroyed && socket.writable) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

type Run = (client: DockerClient) => Promise<unknown>;
const plain: Run = async (client) => {
  const res = await client.request({ path: '/info', timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) });
  for await (const _ of res.body) {
    // drain
  }
};
const hijack: Run = async (client) => {
  const stream = await client.hijack({ path: '/exec/x/start', body: { Detach: false }, timeoutMs: 5_000 });
  stream.end();
  const { stdout } = demux(stream);
  for await (const _ of stdout) {
    // drain
  }
};

const cases: { name: string; behave: (socket: Socket) => void; run: Run; codes: string[] }[] = [
  {
    name: 'endless headers',
    behave: (socket) => { flood(socket, Buffer.from('X-More: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(1000)), 'HTTP/1.1 200 OK\r\n'); },
    run: plain,
    codes: ['ERR_HTTP_PROTOCOL'],
  },
  {
    name: 'one endless header line',
    behave: (socket) => { flood(socket, Buffer.alloc(64 * 1024, 'a'), 'HTTP/1.1 200 OK\r\nX-Long: '); },
    run: plain,
    codes: ['ERR_HTTP_PROTOCOL'],
  },
  {
    name: 'an endless status line',
    behave: (socket) => { flood(socket, Buffer.alloc(64 * 1024, '9'), 'HTTP/1.1 2'); },
    run: plain,
    codes: ['ERR_HTTP_PROTOCOL'],
  },
  {
    name: 'a bad chunk size',
    behave: (socket) => { socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n'); },
    run: plain,
    codes: ['ERR_HTTP_PROTOCOL'],
  },
  {
    name: 'a chunk size of 2^64 - 1',
    behave: (socket) => { socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nhello'); },
    run: plain,
    codes: ['ERR_HTTP_PROTOCOL', 'ERR_HTTP_CLOSED'],
  },
  {
    name: 'a body cut short of its Content-Length',
    behave: (socket) => { socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'); },
    run: plain,
    codes: ['ERR_HTTP_CLOSED'],
  },
  {
    name: 'a 101 to an exec start, then no stream at all',
    behave: (socket) => { socket.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n'); },
    run: hijack,
    codes: [],
  },
  {
    name: 'a 101 to an exec start, then a frame cut in half',
    behave: (socket) => { socket.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n\u0001\u0000\u0000\u0000\u0000\u0000\u0010\u0000abc'); },
    run: hijack,
    codes: ['ERR_HTTP_PROTOCOL'],
  },
  {
    name: 'a 200 where an exec start needs a 101',
    behave: (socket) => { socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'); },
    run: hijack,
    codes: ['ERR_HTTP_UPGRADE'],
  },
  {
    name: 'bytes after the end of a response, then endless garbage',
    behave: (socket) => { flood(socket, Buffer.alloc(64 * 1024, 0x00), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE'); },
    run: async (client) => {
      await plain(client);
      // The same keep-alive channel, if the agent kept it, must not serve the garbage as a response.
      await plain(client);
    },
    codes: ['ERR_HTTP_PROTOCOL', 'ERR_HTTP_CLOSED'],
  },
  {
    name: 'a stall after the headers of a streamed body',
    behave: (socket) => { socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'); },
    run: async (client) => {
      const res = await client.request({ path: '/events', timeoutMs: 5_000, signal: AbortSignal.timeout(1_000) });
      for await (const _ of res.body) {
        // drain
      }
    },
    codes: ['ERR_HTTP_ABORTED'],
  },
];

describe('a hostile HTTP peer behind a real SSH channel', () => {
  for (const c of cases) {
    const expected = c.codes.length === 0 ? 'an empty stream' : c.codes.join(' or ');
    it(`ends ${c.name} with ${expected}, memory bounded, no hang`, async () => {
      behave = c.behave;
      sent = 0;
      const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41', maxHeaderSize: DEFAULT_MAX_HEADER_SIZE });
      const memory = trackMemoryPeak(['heapUsed', 'arrayBuffers']);
      const started = Date.now();
      try {
        const err = await c.run(client).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
        console.info(`hostile http peer, ${c.name}: ${err?.code ?? 'completed'} after ${Date.now() - started} ms; peer sent ${sent} bytes; memory peak +${Math.round(memory.peak() / 1024)} KiB`);
        if (c.codes.length === 0) {
          expect(err).toBeUndefined();
        } else {
          expect(err?.code).toMatch(OUR_CODES);
          expect(c.codes).toContain(err?.code);
        }
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(memory.peak()).toBeLessThan(MEMORY_LIMIT_BYTES);
      } finally {
        memory.stop();
        client.close();
      }
    });
  }
});
