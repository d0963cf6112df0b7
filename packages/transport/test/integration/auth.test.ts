import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretLeak, heapContains, startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver } from './helpers.js';

const run = promisify(execFile);
let fixture: DockerSshFixture;
let scratch: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-auth-'));
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

function options(extra: Partial<DockerSshTransportOptions>): DockerSshTransportOptions {
  return { url: fixture.url, configFile: false, knownHostsFiles: [fixture.knownHostsFile], agent: false, ...extra };
}

async function ping(transport: ReturnType<typeof createDockerSshTransport>): Promise<number> {
  const res = await httpOver(await transport.openStream(), '/_ping');
  return res.status;
}

/** Random letters and digits as bytes, never as a JavaScript string: what the heap checks look for. */
function randomAlnum(length: number): Buffer {
  const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789');
  const out = Buffer.alloc(length);
  const random = randomBytes(length);
  for (let i = 0; i < length; i++) out[i] = alphabet[random[i]! % alphabet.length]!;
  return out;
}

/** Records every diagnostics message the transport publishes, and everything written to stderr. */
function capture(): { messages: unknown[]; lines: string[]; stop(): void } {
  const messages: unknown[] = [];
  const lines: string[] = [];
  const names = ['ssh-docker:transport:connect', 'ssh-docker:transport:stream', 'ssh-docker:transport:error'];
  const onMessage = (message: unknown): void => {
    messages.push(message);
  };
  for (const name of names) subscribe(name, onMessage);
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return write(chunk, ...rest);
  });
  return {
    messages,
    lines,
    stop() {
      for (const name of names) unsubscribe(name, onMessage);
      process.stderr.write = write;
    },
  };
}

describe('authentication against a real sshd', () => {
  it('logs in with an unencrypted key', async () => {
    const transport = createDockerSshTransport(options({ identityFiles: [fixture.identityFile] }));
    try {
      expect(await ping(transport)).toBe(200);
    } finally {
      await transport.close();
    }
  });

  it('logs in with an encrypted key and its passphrase, and clears a passphrase given as a Secret', async () => {
    const passphrase = Secret.from(fixture.passphrase);
    const transport = createDockerSshTransport(options({ identityFiles: [fixture.encryptedIdentityFile], passphrase }));
    try {
      expect(await ping(transport)).toBe(200);
      expect(passphrase.cleared).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('refuses an encrypted key without a passphrase with ERR_AUTH_FAILED that says why', async () => {
    const transport = createDockerSshTransport(options({ identityFiles: [fixture.encryptedIdentityFile] }));
    try {
      const err = await failure(transport.openStream());
      expect(err.code).toBe('ERR_AUTH_FAILED');
      expect(err.message).toContain(`(encrypted, no passphrase given)`);
    } finally {
      await transport.close();
    }
  });

  it('logs in through a real ssh-agent holding the key', async () => {
    const socket = join(scratch, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50; i++) {
        try {
          await run('ssh-add', [fixture.identityFile], { env: { SSH_AUTH_SOCK: socket } });
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const transport = createDockerSshTransport(options({ agent: socket }));
      try {
        expect(await ping(transport)).toBe(200);
      } finally {
        await transport.close();
      }
    } finally {
      agent.kill();
    }
  });

  it('logs in with a password and clears the Secret after the handshake', async () => {
    const password = Secret.from(fixture.password);
    const transport = createDockerSshTransport(options({ user: fixture.passwordUser, password }));
    try {
      expect(await ping(transport)).toBe(200);
      expect(password.cleared).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('asks a password provider again when it reconnects', async () => {
    let asked = 0;
    const transport = createDockerSshTransport(
      options({
        user: fixture.passwordUser,
        maxConnections: 1,
        password: () => {
          asked += 1;
          return Promise.resolve(Secret.from(fixture.password));
        },
      }),
    );
    try {
      expect(await ping(transport)).toBe(200);
      await fixture.restartSshd();
      await new Promise((r) => setTimeout(r, 200));
      expect(await ping(transport)).toBe(200);
      expect(asked).toBe(2);
    } finally {
      await transport.close();
    }
  });

  it('logs in when a password provider takes longer than connectTimeoutMs: the time it takes is not counted', async () => {
    const connectTimeoutMs = 1000;
    const transport = createDockerSshTransport(
      options({
        user: fixture.passwordUser,
        connectTimeoutMs,
        password: async () => {
          await new Promise((r) => setTimeout(r, connectTimeoutMs * 2));
          return Secret.from(fixture.password);
        },
      }),
    );
    try {
      const started = Date.now();
      expect(await ping(transport)).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(connectTimeoutMs * 2);
    } finally {
      await transport.close();
    }
  });

  it('says that a password given as a Secret was spent when a reconnect needs it', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.passwordUser, password: Secret.from(fixture.password), maxConnections: 1 }));
    try {
      expect(await ping(transport)).toBe(200);
      await fixture.restartSshd();
      await new Promise((r) => setTimeout(r, 200));
      const err = await failure(ping(transport));
      expect(err.code).toBe('ERR_SECRET_SPENT');
      const at = fixture.port === 22 ? fixture.host : `${fixture.host}:${fixture.port}`;
      expect(err.message).toBe(
        `SSH authentication as ${fixture.passwordUser} on ${at} failed on a new connection: the password or passphrase given as a Secret was cleared after the first connection and cannot be used again. Pass a provider function (() => Promise<Secret>) to reconnect with it`,
      );
    } finally {
      await transport.close();
    }
  });

  it('reports ERR_AUTH_FAILED for a wrong password, without the password anywhere', async () => {
    const wrong = 'Wr0ng-Passw0rd-%40-#-é';
    const seen = capture();
    const transport = createDockerSshTransport(options({ user: fixture.passwordUser, password: Secret.from(wrong) }));
    let err: Error & { code?: string };
    try {
      err = await failure(transport.openStream());
    } finally {
      seen.stop();
      await transport.close();
    }
    expect(err.code).toBe('ERR_AUTH_FAILED');
    const at = fixture.port === 22 ? fixture.host : `${fixture.host}:${fixture.port}`;
    expect(err.message).toBe(
      `SSH authentication as ${fixture.passwordUser} on ${at} failed: tried password, keyboard-interactive. Check the user name and that the public key is in ~/.ssh/authorized_keys there`,
    );
    expect(seen.messages.length).toBeGreaterThan(0);
    expectNoSecretLeak(wrong, [err, transport.stats(), transport, ...seen.messages, ...seen.lines]);
  });

  it('leaves no trace of the password or passphrase in errors, diagnostics, stats or the heap after connecting', async () => {
    const passwordBytes = randomAlnum(28);
    const passphraseBytes = randomAlnum(28);
    // The password user gets a password that exists only as bytes here (chpasswd reads it from stdin).
    execFileSync('chpasswd', { input: Buffer.concat([Buffer.from(`${fixture.passwordUser}:`), passwordBytes, Buffer.from('\n')]) });
    // A new encrypted key whose passphrase goes from a file to ssh-keygen through the shell.
    const passFile = join(scratch, 'pass');
    const keyFile = join(scratch, 'heap_key');
    await writeFile(passFile, passphraseBytes, { mode: 0o600 });
    await run('sh', ['-c', 'ssh-keygen -q -t ed25519 -N "$(cat "$1")" -C heap -f "$2"', 'sh', passFile, keyFile]);
    await rm(passFile);
    await appendFile(join(fixture.dir, 'authorized_keys', fixture.user), await readFile(`${keyFile}.pub`));

    const seen = capture();
    const password = Secret.from(passwordBytes);
    const passphrase = Secret.from(passphraseBytes);
    const byPassword = createDockerSshTransport(options({ user: fixture.passwordUser, password }));
    const byKey = createDockerSshTransport(options({ identityFiles: [keyFile], passphrase }));
    try {
      expect(await ping(byPassword)).toBe(200);
      expect(await ping(byKey)).toBe(200);
      expect(password.cleared).toBe(true);
      expect(passphrase.cleared).toBe(true);
      for (const secret of [passwordBytes, passphraseBytes]) {
        expectNoSecretLeak(secret, [byPassword, byKey, byPassword.stats(), byKey.stats(), ...seen.messages, ...seen.lines]);
        expect(await heapContains(secret)).toBe(false);
      }
      // The check can fail: a copy kept as a string is found.
      const kept = randomAlnum(28);
      const held = kept.toString('latin1');
      expect(await heapContains(kept)).toBe(true);
      expect(held.length).toBe(28);
    } finally {
      seen.stop();
      await byPassword.close();
      await byKey.close();
      execFileSync('chpasswd', { input: `${fixture.passwordUser}:${fixture.password}\n` });
    }
  });
});

describe('keyboard-interactive against a real sshd', () => {
  let kbd: DockerSshFixture;

  beforeAll(async () => {
    kbd = await startDockerSshFixture({ passwordAuthentication: false, keyboardInteractive: true });
  });

  afterAll(async () => {
    await kbd.stop();
  });

  it('answers the password prompt when password authentication is off', async () => {
    const password = Secret.from(kbd.password);
    const transport = createDockerSshTransport({
      url: kbd.url,
      user: kbd.passwordUser,
      configFile: false,
      knownHostsFiles: [kbd.knownHostsFile],
      agent: false,
      password,
    });
    try {
      const res = await httpOver(await transport.openStream(), '/_ping');
      expect(res.status).toBe(200);
      expect(password.cleared).toBe(true);
      const checking = createDockerSshTransport({
        url: kbd.url,
        user: kbd.passwordUser,
        configFile: false,
        knownHostsFiles: [kbd.knownHostsFile],
        agent: false,
        password: () => Promise.resolve(Secret.from(kbd.password)),
      });
      try {
        const report = await checking.check();
        expect(report.steps.find((s) => s.name === 'auth')?.detail).toBe(`${kbd.passwordUser} by keyboard-interactive`);
      } finally {
        await checking.close();
      }
    } finally {
      await transport.close();
    }
  });
});
