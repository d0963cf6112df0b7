import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '../../src/index.js';
import type { DockerSshFixture } from '../../src/index.js';
import { exec, keyAuth, sshConnect } from './helpers.js';

const run = promisify(execFile);

describe('the fixture users', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture({ maxSessions: 3, acceptEnv: ['SDK_TEST_*'] });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('the key user reaches the fixture daemon through the remote docker CLI', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      const { stdout } = await exec(client, `docker image inspect --format ok ${fixture.image}`);
      expect(stdout).toBe('ok\n');
    } finally {
      client.end();
    }
  });

  test('the encrypted identity file works with the passphrase and is refused without it', async () => {
    const privateKey = readFileSync(fixture.encryptedIdentityFile);
    const client = await sshConnect(fixture, { username: fixture.user, privateKey, passphrase: fixture.passphrase });
    client.end();
    await expect(sshConnect(fixture, { username: fixture.user, privateKey })).rejects.toThrow(/passphrase/i);
  });

  test('the password user logs in with its password and runs docker', async () => {
    const client = await sshConnect(fixture, { username: fixture.passwordUser, password: fixture.password });
    try {
      const { stdout } = await exec(client, 'docker version --format "{{.Server.Os}}"');
      expect(stdout).toBe('linux\n');
    } finally {
      client.end();
    }
  });

  test('the password user logs in with keyboard-interactive', async () => {
    const prompts: string[] = [];
    const client = await sshConnect(
      fixture,
      { username: fixture.passwordUser, tryKeyboard: true, authHandler: ['keyboard-interactive'] },
      10_000,
      (c) => {
        c.on('keyboard-interactive', (_name, _instructions, _lang, asked, finish) => {
          prompts.push(...asked.map((p) => p.prompt));
          finish(asked.map(() => fixture.password));
        });
      },
    );
    try {
      expect((await exec(client, 'id -un')).stdout).toBe(`${fixture.passwordUser}\n`);
      expect(prompts).toEqual(['Password: ']);
    } finally {
      client.end();
    }
  });

  test('a wrong password is refused', async () => {
    await expect(sshConnect(fixture, { username: fixture.passwordUser, password: 'not the password' })).rejects.toThrow(
      /authentication methods failed/,
    );
  });

  test('the no-docker user has no docker CLI but reaches the socket by streamlocal forwarding', async () => {
    const client = await sshConnect(fixture, { username: fixture.noDockerUser, privateKey: readFileSync(fixture.identityFile) });
    try {
      const missing = await exec(client, 'docker system dial-stdio');
      expect(missing.code).toBe(127);
      const stream = await new Promise<import('ssh2').ClientChannel>((resolve, reject) => {
        client.openssh_forwardOutStreamLocal(fixture.dockerSocket, (err, ch) => (err ? reject(err) : resolve(ch)));
      });
      const reply = await new Promise<string>((resolve) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\r\n\r\nOK')) resolve(text);
        });
        stream.write('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
      });
      expect(reply.startsWith('HTTP/1.1 200 OK')).toBe(true);
    } finally {
      client.end();
    }
  });

  test('a command as the slow-shell user waits for its rc file; the key user does not', async () => {
    // The fastest of three runs on one warm connection each: a loaded machine only adds time.
    const fastest = async (user: string): Promise<{ ms: number; stdout: string }> => {
      const client = await sshConnect(fixture, { username: user, privateKey: readFileSync(fixture.identityFile) });
      try {
        let best = { ms: Infinity, stdout: '' };
        for (let i = 0; i < 3; i++) {
          const begun = performance.now();
          const { stdout } = await exec(client, 'docker version --format "{{.Server.Os}}"');
          const ms = performance.now() - begun;
          if (ms < best.ms) best = { ms, stdout };
        }
        return best;
      } finally {
        client.end();
      }
    };
    const slow = await fastest(fixture.slowShellUser);
    const normal = await fastest(fixture.user);
    expect(slow.stdout).toBe('linux\n');
    expect(normal.stdout).toBe('linux\n');
    expect(fixture.slowShellSeconds).toBe(0.45);
    expect(slow.ms).toBeGreaterThanOrEqual(400);
    expect(normal.ms).toBeLessThan(400);
  });

  test('the nologin user logs in but every command gets nologin\'s refusal on stdout', async () => {
    const client = await sshConnect(fixture, { username: fixture.nologinUser, privateKey: readFileSync(fixture.identityFile) });
    try {
      const result = await exec(client, 'docker system dial-stdio');
      expect(result).toEqual({ code: 1, stdout: 'This account is currently not available.\n', stderr: '' });
    } finally {
      client.end();
    }
  });

  test('transportOptions() describes the key user, or another user, with the fixture key and known_hosts only', () => {
    const base = { configFile: false, identityFiles: [fixture.identityFile], knownHostsFiles: [fixture.knownHostsFile], agent: false };
    expect(fixture.transportOptions()).toEqual({ url: fixture.url, ...base });
    expect(fixture.transportOptions({ user: fixture.slowShellUser })).toEqual({
      url: `ssh://${fixture.slowShellUser}@${fixture.host}:${fixture.port}`,
      ...base,
    });
    expect(() => fixture.transportOptions({ user: 'root' })).toThrow(new TypeError('user must be one of fixture.users'));
  });

  test('fixture.users names every user by role', () => {
    expect(fixture.users).toEqual({
      docker: fixture.user,
      password: fixture.passwordUser,
      noDocker: fixture.noDockerUser,
      slowShell: fixture.slowShellUser,
      nologin: fixture.nologinUser,
    });
  });

  test('MaxSessions is applied: a fourth session on one connection is refused', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      const open = () =>
        new Promise<string>((resolve) => {
          client.exec('sleep 5', (err) => resolve(err ? 'refused' : 'open'));
        });
      const results = [await open(), await open(), await open(), await open()];
      expect(results).toEqual(['open', 'open', 'open', 'refused']);
    } finally {
      client.end();
    }
  });

  test('AcceptEnv is applied: an accepted variable reaches the session', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      const result = await new Promise<string>((resolve, reject) => {
        client.exec('echo "$SDK_TEST_X"', { env: { SDK_TEST_X: 'sent' } }, (err, ch) => {
          if (err) {
            reject(err);
            return;
          }
          let out = '';
          ch.on('data', (chunk: Buffer) => (out += chunk.toString()));
          ch.on('close', () => resolve(out));
        });
      });
      expect(result).toBe('sent\n');
    } finally {
      client.end();
    }
  });

  test('known_hosts holds the ed25519, ecdsa and rsa host keys under the name OpenSSH looks up', async () => {
    const text = readFileSync(fixture.knownHostsFile, 'utf8');
    const name = fixture.port === 22 ? fixture.host : `[${fixture.host}]:${fixture.port}`;
    expect(text.split('\n').filter(Boolean).map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      `${name} ssh-ed25519`,
      `${name} ecdsa-sha2-nistp256`,
      `${name} ssh-rsa`,
    ]);
    for (const key of fixture.hostKeys) {
      const { stdout } = await run('ssh-keygen', ['-l', '-F', name, '-f', fixture.knownHostsFile]);
      expect(stdout).toContain(key.fingerprint);
    }
  });
});

describe('a fixture with password login and streamlocal forwarding turned off', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture({
      passwordAuthentication: false,
      keyboardInteractive: false,
      allowStreamLocalForwarding: false,
    });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('the password user cannot log in when password and keyboard-interactive are off', async () => {
    await expect(
      sshConnect(fixture, { username: fixture.passwordUser, password: fixture.password, tryKeyboard: true }),
    ).rejects.toThrow(/authentication methods failed/);
  });

  test('a direct-streamlocal channel to the docker socket is refused', async () => {
    const client = await sshConnect(fixture, { username: fixture.noDockerUser, privateKey: readFileSync(fixture.identityFile) });
    try {
      await expect(
        new Promise((resolve, reject) => {
          client.openssh_forwardOutStreamLocal(fixture.dockerSocket, (err, ch) => (err ? reject(err) : resolve(ch)));
        }),
      ).rejects.toThrow(/open fail/i);
    } finally {
      client.end();
    }
  });
});

describe('a fixture with MaxStartups 1:100:1', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture({ maxStartups: '1:100:1' });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('a second connection is dropped while one is still unauthenticated', async () => {
    const { connect } = await import('node:net');
    const pending = connect({ host: fixture.host, port: fixture.port });
    await new Promise((resolve) => pending.once('data', resolve)); // sshd sent its banner: a startup is open
    const second = connect({ host: fixture.host, port: fixture.port });
    let banner = '';
    second.on('data', (chunk: Buffer) => (banner += chunk.toString()));
    second.on('error', () => undefined);
    await new Promise((resolve) => second.once('close', resolve));
    pending.destroy();
    expect(banner.startsWith('SSH-2.0-')).toBe(false);
  });
});
