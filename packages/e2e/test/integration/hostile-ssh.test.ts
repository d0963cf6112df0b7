/**
 * Hostile SSH peers: a raw TCP server that sends an oversized banner, endless pre-banner lines,
 * garbage or nothing at all. The transport must end each with one of our codes within its
 * timeouts, with bounded memory, never a crash or a hang.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { OUR_CODES } from './helpers.js';

const CONNECT_TIMEOUT_MS = 2000;
/** What a hostile peer may make this process hold, over the baseline: far below what it sends. */
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

let dir: string;
let identityFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-hostile-ssh-'));
  identityFile = join(dir, 'id_ed25519');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(identityFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(dir, 'known_hosts'), '');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A TCP server that plays `behave` on every connection; counts the bytes it sent. */
async function hostile(behave: (socket: Socket, sent: (n: number) => void) => void): Promise<{ port: number; sent: () => number; close: () => Promise<void> }> {
  let total = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    behave(socket, (n) => (total += n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  return {
    port: (server.address() as AddressInfo).port,
    sent: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => { resolve(); });
      }),
  };
}

/** Writes `chunk` as fast as the client reads, until the socket closes. */
function flood(socket: Socket, chunk: Buffer, sent: (n: number) => void, first?: Buffer): void {
  if (first !== undefined) {
    socket.write(first);
    sent(first.length);
  }
  const pump = (): void => {
    while (!socket.destroyed && socket.writable) {
      sent(chunk.length);
      if (!socket.write(chunk)) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
}

const cases: { name: string; behave: (socket: Socket, sent: (n: number) => void) => void; codes: string[] }[] = [
  {
    name: 'an oversized banner (one endless line, no CR LF)',
    behave: (socket, sent) => { flood(socket, Buffer.alloc(64 * 1024, 'A'), sent, Buffer.from('SSH-2.0-')); },
    codes: ['ERR_HANDSHAKE_FAILED', 'ERR_CONNECTION_LOST', 'ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'endless lines before the banner',
    behave: (socket, sent) => { flood(socket, Buffer.from('hello there, this is not ssh\r\n'.repeat(2048)), sent); },
    codes: ['ERR_HANDSHAKE_FAILED', 'ERR_CONNECTION_LOST', 'ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'a valid banner then endless garbage packets',
    behave: (socket, sent) => { flood(socket, Buffer.alloc(64 * 1024, 0xff), sent, Buffer.from('SSH-2.0-OpenSSH_9.9\r\n')); },
    codes: ['ERR_HANDSHAKE_FAILED', 'ERR_CONNECTION_LOST', 'ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'a valid banner then a packet claiming 4 GiB',
    behave: (socket, sent) => {
      const packet = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0x04, 0x14]);
      socket.write('SSH-2.0-OpenSSH_9.9\r\n');
      socket.write(packet);
      sent(packet.length + 21);
    },
    codes: ['ERR_HANDSHAKE_FAILED', 'ERR_CONNECTION_LOST', 'ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'silence after accepting the connection',
    behave: () => undefined,
    codes: ['ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'a banner, then silence',
    behave: (socket, sent) => {
      socket.write('SSH-2.0-OpenSSH_9.9\r\n');
      sent(21);
    },
    codes: ['ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'an immediate close',
    behave: (socket) => socket.destroy(),
    // Read as sshd's MaxStartups dropping the connection: retried with backoff until the connect timeout.
    codes: ['ERR_CONNECTION_LOST', 'ERR_CONNECT_TIMEOUT'],
  },
  {
    name: 'an HTTP server where SSH was expected',
    behave: (socket, sent) => {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      sent(45);
    },
    codes: ['ERR_HANDSHAKE_FAILED', 'ERR_CONNECTION_LOST'],
  },
];

describe('a hostile SSH peer', () => {
  for (const { name, behave, codes } of cases) {
    it(`ends ${name} with ${codes.join(' or ')} within the connect timeout, memory bounded`, async () => {
      const peer = await hostile(behave);
      const transport = createDockerSshTransport({
        url: `ssh://victim@127.0.0.1:${peer.port}`,
        configFile: false,
        identityFiles: [identityFile],
        knownHostsFiles: [join(dir, 'known_hosts')],
        agent: false,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
      });
      global.gc?.();
      const before = process.memoryUsage();
      let peak = 0;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.heapUsed + now.external + now.arrayBuffers - (before.heapUsed + before.external + before.arrayBuffers));
      }, 10);
      const started = Date.now();
      try {
        const err = await transport.openStream().then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
        const took = Date.now() - started;
        console.info(`hostile ssh peer, ${name}: ${err?.code ?? 'no error'} after ${took} ms; peer sent ${peer.sent()} bytes; memory peak +${Math.round(peak / 1024)} KiB`);
        expect(err?.code).toMatch(OUR_CODES);
        expect(codes).toContain(err?.code);
        expect(took).toBeLessThan(CONNECT_TIMEOUT_MS * 2 + 1000);
        expect(peak).toBeLessThan(MEMORY_LIMIT_BYTES);
      } finally {
        clearInterval(sampler);
        await transport.close({ timeoutMs: 0 });
        await peer.close();
      }
    });
  }
});
