/**
 * The client's algorithms, audited from outside: `ssh-audit -c` (Debian's ssh-audit) reads the
 * KEXINIT the transport sends and grades each algorithm; and against the fixture's real OpenSSH,
 * both sides' KEXINITs (plaintext on the wire) advertise strict KEX, so it is negotiated.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { keyOptions } from './helpers.js';

let fixture: DockerSshFixture;
let dir: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture({ isolation: 'loopback' });
  dir = mkdtempSync(join(tmpdir(), 'e2e-algorithms-'));
  writeFileSync(join(dir, 'known_hosts'), '');
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await fixture.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Runs `ssh-audit -c` on a free port, lets `client` connect to it once, and returns the report. */
async function auditClient(client: (port: number) => Promise<unknown>): Promise<{ text: string; fails: string[] }> {
  const port = await freePort();
  const audit = spawn('ssh-audit', ['-c', '-n', '-p', String(port), '-t', '15'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  audit.stdout.on('data', (c: Buffer) => (text += c.toString()));
  audit.stderr.on('data', (c: Buffer) => (text += c.toString()));
  const exited = new Promise<void>((resolve) => audit.once('exit', () => { resolve(); }));
  // Wait until it listens, without connecting to it (it audits the first client and exits).
  for (let i = 0; i < 100; i++) {
    const listening = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => { resolve(true); });
      probe.listen(port, '127.0.0.1', () => probe.close(() => { resolve(false); }));
    });
    if (listening) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await client(port).catch(() => undefined);
  await exited;
  // A grade may sit on a continuation line under its algorithm: each [fail] line counts, named by its algorithm.
  const fails: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const named = /^\((\w+)\) (\S+)/.exec(line);
    if (named !== null) current = `(${named[1] ?? ''}) ${named[2] ?? ''}`;
    if (line.includes('[fail]')) fails.push(`${current}: ${line.slice(line.indexOf('[fail]'))}`);
  }
  return { text, fails };
}

describe('the client algorithms', () => {
  it('pass `ssh-audit -c` with no failure, where ssh2 defaults show failures', async () => {
    const ours = await auditClient(async (port) => {
      const transport = createDockerSshTransport({ url: `ssh://audit@127.0.0.1:${port}`, configFile: false, identityFiles: [fixture.identityFile], knownHostsFiles: [join(dir, 'known_hosts')], agent: false, connectTimeoutMs: 5000 });
      try {
        await transport.openStream();
      } finally {
        await transport.close({ timeoutMs: 0 });
      }
    });
    const defaults = await auditClient(
      (port) =>
        new Promise<void>((resolve) => {
          const client = new ssh2.Client();
          client.on('error', () => { resolve(); });
          client.on('close', () => { resolve(); });
          client.connect({ host: '127.0.0.1', port, username: 'audit', readyTimeout: 5000 });
        }),
    );
    console.info(`ssh-audit -c: ours ${ours.fails.length} failures; ssh2 defaults ${defaults.fails.length} failures:\n  ${defaults.fails.join('\n  ')}`);
    expect(ours.text).toContain('(kex) curve25519-sha256');
    expect(ours.text).toContain('kex-strict-c-v00@openssh.com');
    expect(ours.fails).toEqual([]);
    expect(defaults.fails.length).toBeGreaterThan(0);
  });

  it('negotiates strict KEX with OpenSSH: both KEXINITs on the wire advertise it, and the connection works', async () => {
    // A relay that records the plaintext start of each direction.
    let fromClient = Buffer.alloc(0);
    let fromServer = Buffer.alloc(0);
    const relay: Server = createServer((socket) => {
      const upstream = netConnect({ host: fixture.host, port: fixture.port });
      socket.on('data', (c: Buffer) => {
        if (fromClient.length < 65536) fromClient = Buffer.concat([fromClient, c]);
      });
      upstream.on('data', (c: Buffer) => {
        if (fromServer.length < 65536) fromServer = Buffer.concat([fromServer, c]);
      });
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => { resolve(); }));
    const { port } = relay.address() as AddressInfo;
    // The relay's address is not in the fixture's known_hosts: accept-new records the key in a scratch file.
    const known = join(dir, 'relay_known_hosts');
    const transport = createDockerSshTransport(keyOptions(fixture, { url: `ssh://${fixture.user}@127.0.0.1:${port}`, knownHostsFiles: [known], hostKeyPolicy: 'accept-new' }));
    try {
      const stream = await transport.openStream();
      stream.end('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
      let answer = '';
      for await (const c of stream) answer += String(c);
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
      expect(fromServer.toString('latin1')).toMatch(/^SSH-2\.0-OpenSSH_/);
      expect(fromClient.includes('kex-strict-c-v00@openssh.com')).toBe(true);
      expect(fromServer.includes('kex-strict-s-v00@openssh.com')).toBe(true);
    } finally {
      await transport.close({ timeoutMs: 1000 });
      relay.close();
    }
  });
});
