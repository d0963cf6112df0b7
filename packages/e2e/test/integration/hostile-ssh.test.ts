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
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '@ssh-docker/http';
import { expectNoSecretLeak } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransportOptions } from '@ssh-docker/transport';
import { Secret } from '@ssh-docker/url';
import { collectDiagnostics, OUR_CODES, trackMemoryPeak } from './helpers.js';

const CONNECT_TIMEOUT_MS = 2000;
/** What a hostile peer may make this process hold, over the baseline: far below what it sends. */
const MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

let dir: string;
let identityFile: string;
let encryptedIdentityFile: string;
// Generated per run: every hostile path below gets them, and none may show up anywhere.
const password = `pw-${randomBytes(12).toString('base64url')}`;
const passphrase = `pp-${randomBytes(12).toString('base64url')}`;
const seen: unknown[] = [];
let diagnostics: ReturnType<typeof collectDiagnostics>;

beforeAll(() => {
  diagnostics = collectDiagnostics();
  dir = mkdtempSync(join(tmpdir(), 'e2e-hostile-ssh-'));
  identityFile = join(dir, 'id_ed25519');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(identityFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  encryptedIdentityFile = join(dir, 'id_encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-f', encryptedIdentityFile]);
  writeFileSync(join(dir, 'known_hosts'), '');
});

afterAll(() => {
  diagnostics.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A transport that carries a password and an encrypted key with its passphrase, as Secrets. */
function transportTo(port: number, extra: Partial<DockerSshTransportOptions> = {}): ReturnType<typeof createDockerSshTransport> {
  return createDockerSshTransport({
    url: `ssh://victim@127.0.0.1:${port}`,
    configFile: false,
    identityFiles: [encryptedIdentityFile, identityFile],
    passphrase: Secret.from(passphrase),
    password: Secret.from(password),
    knownHostsFiles: [join(dir, 'known_hosts')],
    agent: false,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    ...extra,
  });
}

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
      const transport = transportTo(peer.port);
      const memory = trackMemoryPeak(['heapUsed', 'external', 'arrayBuffers']);
      const started = Date.now();
      try {
        const err = await transport.openStream().then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string },
        );
        const took = Date.now() - started;
        seen.push(err);
        console.info(`hostile ssh peer, ${name}: ${err?.code ?? 'no error'} after ${took} ms; peer sent ${peer.sent()} bytes; memory peak +${Math.round(memory.peak() / 1024)} KiB`);
        expect(err?.code).toMatch(OUR_CODES);
        expect(codes).toContain(err?.code);
        expect(took).toBeLessThan(CONNECT_TIMEOUT_MS * 2 + 1000);
        expect(memory.peak()).toBeLessThan(MEMORY_LIMIT_BYTES);
      } finally {
        memory.stop();
        await transport.close({ timeoutMs: 0 });
        await peer.close();
      }
    });
  }
});

type Session = (channel: ServerChannel, sent: (n: number) => void) => void;

/** An in-process ssh2 server that lets anyone in, then plays `session` on every exec. */
async function hostileServer(behave: { session?: Session; dropAfterAuth?: boolean; refuse?: boolean }): Promise<{ port: number; sent: () => number; close: () => Promise<void> }> {
  const keyFile = join(dir, `host_${randomBytes(4).toString('hex')}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  let total = 0;
  const clients = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [readFileSync(keyFile)] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      ctx.accept();
    });
    client.on('ready', () => {
      if (behave.dropAfterAuth === true) {
        client.end();
        return;
      }
      client.on('session', (accept, reject) => {
        if (behave.refuse === true) {
          reject();
          return;
        }
        const session = accept();
        session.on('exec', (acceptExec) => {
          const channel = acceptExec();
          behave.session?.(channel, (n) => (total += n));
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => { resolve(); }));
  const port = (server.address() as AddressInfo).port;
  const publicKey = readFileSync(`${keyFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${publicKey}\n`);
  return {
    port,
    sent: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of clients) c.end();
        server.close(() => { resolve(); });
      }),
  };
}

const serverCases: { name: string; behave: Parameters<typeof hostileServer>[0]; codes: string[] }[] = [
  { name: 'closes the connection right after authentication', behave: { dropAfterAuth: true }, codes: ['ERR_CONNECTION_LOST'] },
  { name: 'refuses every channel', behave: { refuse: true }, codes: ['ERR_CHANNEL_REFUSED'] },
  {
    name: 'exits 127 with "docker: command not found"',
    behave: { session: (channel) => { channel.stderr.write('sh: 1: docker: command not found\n'); channel.exit(127); channel.end(); } },
    codes: ['ERR_REMOTE_DOCKER_MISSING'],
  },
  {
    name: 'dies of a signal before answering',
    behave: { session: (channel) => { channel.exit('KILL'); channel.end(); } },
    codes: ['ERR_DAEMON_UNREACHABLE'],
  },
  {
    name: 'floods stderr and never answers',
    behave: {
      session: (channel, sent) => {
        const chunk = Buffer.alloc(32 * 1024, 'e');
        const pump = (): void => {
          while (channel.writable) {
            sent(chunk.length);
            if (!channel.stderr.write(chunk)) {
              channel.stderr.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
    },
    codes: ['ERR_HTTP_TIMEOUT'],
  },
  {
    name: 'answers garbage instead of HTTP, endlessly',
    behave: {
      session: (channel, sent) => {
        const chunk = Buffer.alloc(32 * 1024, 0x07);
        const pump = (): void => {
          while (channel.writable) {
            sent(chunk.length);
            if (!channel.write(chunk)) {
              channel.once('drain', pump);
              return;
            }
          }
        };
        pump();
      },
    },
    codes: ['ERR_HTTP_PROTOCOL'],
  },
];

describe('a hostile in-process SSH server that lets the client in', () => {
  for (const { name, behave, codes } of serverCases) {
    it(`ends a server that ${name} with ${codes.join(' or ')}, memory bounded`, async () => {
      const peer = await hostileServer(behave);
      const transport = transportTo(peer.port);
      const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
      const memory = trackMemoryPeak(['heapUsed', 'arrayBuffers']);
      const started = Date.now();
      try {
        const err = await client.request({ path: '/_ping', versioned: false, timeoutMs: CONNECT_TIMEOUT_MS }).then(
          () => undefined,
          (e: unknown) => e as Error & { code?: string; causeCode?: string },
        );
        seen.push(err);
        const code = err?.code === 'ERR_HTTP_CONNECT' || err?.code === 'ERR_HTTP_CLOSED' ? (err.causeCode ?? err.code) : err?.code;
        console.info(`hostile ssh server that ${name}: ${err?.code ?? 'no error'}/${err?.causeCode ?? '-'} after ${Date.now() - started} ms; sent ${peer.sent()} bytes; memory peak +${Math.round(memory.peak() / 1024)} KiB`);
        expect(code).toMatch(OUR_CODES);
        expect(codes).toContain(code);
        expect(Date.now() - started).toBeLessThan(CONNECT_TIMEOUT_MS * 2 + 1000);
        expect(memory.peak()).toBeLessThan(MEMORY_LIMIT_BYTES);
      } finally {
        memory.stop();
        client.close();
        await transport.close({ timeoutMs: 0 });
        await peer.close();
      }
    });
  }

  it('leaks neither the generated password nor the passphrase through any of these failures', () => {
    expect(seen.length).toBe(cases.length + serverCases.length);
    expectNoSecretLeak(password, [...seen, ...seen.map((e) => inspect(e, { showHidden: true, depth: null })), ...diagnostics.messages]);
    expectNoSecretLeak(passphrase, [...seen, ...seen.map((e) => inspect(e, { showHidden: true, depth: null })), ...diagnostics.messages]);
  });
});
