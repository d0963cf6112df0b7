/**
 * Credentials are prepared only once the server has proved it holds a trusted host key: no provider
 * is asked and no key is decrypted for a server that is refused, and a server that drops the
 * connection while a provider is still answering gets nothing, with everything wiped.
 * The server is ssh2's own, in this process, so that each step can be timed and counted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../src/index.js';
import type { DockerSshTransportOptions } from '../src/index.js';

const PASSPHRASE = 'order-passphrase';

let dir: string;
let hostKey: Buffer;
/** `ssh-ed25519 AAAA…` of the server's host key. */
let hostPublic: string;
let otherPublic: string;
let encryptedKey: string;

function keygen(name: string, passphrase = ''): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', '', '-f', path]);
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-auth-order-'));
  const host = keygen('host');
  hostKey = readFileSync(host);
  hostPublic = readFileSync(`${host}.pub`, 'utf8').trim();
  otherPublic = readFileSync(`${keygen('other')}.pub`, 'utf8').trim();
  encryptedKey = keygen('id_encrypted', PASSPHRASE);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Server {
  port: number;
  /** Auth methods the server was offered, in order. */
  offered: string[];
  close(): Promise<void>;
}

/**
 * An ssh2 server that rejects every auth method, drops each connection right after the key
 * exchange, or lets everyone in and accepts every exec (the channel stays open, silent).
 */
async function server(behave: 'reject-auth' | 'drop-after-kex' | 'accept'): Promise<Server> {
  const offered: string[] = [];
  const clients = new Set<Connection>();
  const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('handshake', () => {
      if (behave === 'drop-after-kex') setTimeout(() => client.end(), 20);
    });
    client.on('authentication', (ctx) => {
      offered.push(ctx.method);
      if (behave === 'accept') ctx.accept();
      else ctx.reject(['publickey', 'password', 'keyboard-interactive']);
    });
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        acceptExec();
      });
    });
  });
  await new Promise<void>((resolve) => ssh.listen(0, '127.0.0.1', resolve));
  const { port } = ssh.address() as AddressInfo;
  return {
    port,
    offered,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        ssh.close(() => resolve());
      }),
  };
}

function knownHosts(name: string, port: number, publicKey: string | undefined): string {
  const path = join(dir, name);
  writeFileSync(path, publicKey === undefined ? '' : `[127.0.0.1]:${String(port)} ${publicKey}\n`);
  return path;
}

/** Options carrying an encrypted key, a passphrase provider and a password provider, each counting its calls. */
function counted(port: number, knownHostsFile: string, passphraseDelayMs = 0): { options: DockerSshTransportOptions; asked: string[]; given: Secret[] } {
  const asked: string[] = [];
  const given: Secret[] = [];
  const provide = (what: string, value: string, delayMs = 0) => async (): Promise<Secret> => {
    asked.push(what);
    if (delayMs > 0) await sleep(delayMs);
    const secret = Secret.from(value);
    given.push(secret);
    return secret;
  };
  return {
    asked,
    given,
    options: {
      url: `ssh://u@127.0.0.1:${String(port)}`,
      configFile: false,
      agent: false,
      knownHostsFiles: [knownHostsFile],
      identityFiles: [encryptedKey],
      passphrase: provide('passphrase', PASSPHRASE, passphraseDelayMs),
      password: provide('password', 'order-password'),
      connectTimeoutMs: 3000,
    },
  };
}

describe('credentials prepared only after the host key is trusted', () => {
  it.each<[string, boolean, string]>([
    ['an unknown host key', false, 'ERR_HOST_KEY_UNKNOWN'],
    ['a changed host key', true, 'ERR_HOST_KEY_CHANGED'],
  ])('asks no provider and decrypts no key for %s', async (_name, listOther, code) => {
    const peer = await server('reject-auth');
    const { options, asked } = counted(peer.port, knownHosts(`kh-${code}`, peer.port, listOther ? otherPublic : undefined));
    const transport = createDockerSshTransport(options);
    try {
      await expect(transport.openStream()).rejects.toMatchObject({ code });
      expect(asked).toEqual([]);
      expect(peer.offered).toEqual([]);
    } finally {
      await transport.close();
      await peer.close();
    }
  });

  it('asks the providers once the host key is trusted, and offers the server what they gave', async () => {
    const peer = await server('reject-auth');
    const { options, asked, given } = counted(peer.port, knownHosts('kh-trusted', peer.port, hostPublic));
    const transport = createDockerSshTransport(options);
    try {
      await expect(transport.openStream()).rejects.toMatchObject({ code: 'ERR_AUTH_FAILED' });
      expect(asked).toEqual(['passphrase', 'password']);
      expect(peer.offered).toEqual(expect.arrayContaining(['publickey', 'password']));
      expect(given.every((secret) => secret.cleared)).toBe(true);
    } finally {
      await transport.close();
      await peer.close();
    }
  });

  it('does not count the time a provider takes against connectTimeoutMs, and asks for no password once the key is accepted', async () => {
    const peer = await server('accept');
    const { options, asked } = counted(peer.port, knownHosts('kh-slow', peer.port, hostPublic), 900);
    const transport = createDockerSshTransport({ ...options, connectTimeoutMs: 400 });
    try {
      const stream = await transport.openStream();
      // As ssh: the password is asked for only if the server still wants one after the key.
      expect(asked).toEqual(['passphrase']);
      expect(peer.offered).toContain('publickey');
      stream.destroy();
    } finally {
      await transport.close();
      await peer.close();
    }
  });

  it('fails with ERR_CONNECTION_LOST when the server drops while a provider is answering, then asks and decrypts nothing more', async () => {
    const peer = await server('drop-after-kex');
    // The passphrase provider answers after the server has dropped the connection.
    const { options, asked, given } = counted(peer.port, knownHosts('kh-drop', peer.port, hostPublic), 200);
    const uncaught: Error[] = [];
    const onUncaught = (err: Error): void => {
      uncaught.push(err);
    };
    process.prependListener('uncaughtException', onUncaught);
    const transport = createDockerSshTransport(options);
    try {
      await expect(transport.openStream()).rejects.toMatchObject({ code: 'ERR_CONNECTION_LOST' });
      // The pool retries a connection lost before authentication: each try asked for the passphrase,
      // and none went on to the password once its connection was gone.
      expect(asked.length).toBeGreaterThan(1);
      expect(new Set(asked)).toEqual(new Set(['passphrase']));
      expect(peer.offered).toEqual([]);
      // The last passphrase arrives after the request failed: it is cleared all the same.
      const deadline = Date.now() + 3000;
      while (given.length < asked.length && Date.now() < deadline) await sleep(20);
      expect(given.length).toBe(asked.length);
      expect(given.every((secret) => secret.cleared)).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await transport.close();
      await peer.close();
    }
  });
});
