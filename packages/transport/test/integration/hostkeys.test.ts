import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownHosts } from '@ssh-docker/hostkeys';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import type { DockerSshFixture, SecondSshd } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver } from './helpers.js';

let fixture: DockerSshFixture;
let second: SecondSshd;
let scratch: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  second = await fixture.startSecondSshd();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-hostkeys-'));
});

afterAll(async () => {
  await second.stop();
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

function name(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** known_hosts lines listing `keys` under the second sshd's name. */
function linesForSecond(keys: readonly { type: string; blob: Buffer }[]): string[] {
  return keys.map((k) => `${name(second.host, second.port)} ${k.type} ${k.blob.toString('base64')}`);
}

async function knownHosts(file: string, lines: string[]): Promise<string> {
  const path = join(scratch, file);
  await writeFile(path, lines.map((l) => `${l}\n`).join(''));
  return path;
}

/** The second sshd, reached with the fixture's key user (same users, its own host keys). */
function toSecond(extra: Partial<DockerSshTransportOptions>): DockerSshTransportOptions {
  return {
    url: `ssh://${fixture.user}@${second.host}:${second.port}`,
    configFile: false,
    identityFiles: [fixture.identityFile],
    agent: false,
    ...extra,
  };
}

describe('host keys against two real sshd with different keys', () => {
  it('refuses an unknown host with ERR_HOST_KEY_UNKNOWN and its fingerprint', async () => {
    const transport = createDockerSshTransport(toSecond({ knownHostsFiles: [await knownHosts('empty', [])] }));
    try {
      const err = await failure(transport.openStream());
      expect(err.code).toBe('ERR_HOST_KEY_UNKNOWN');
      const ed25519 = second.hostKeys.find((k) => k.type === 'ssh-ed25519');
      expect(err.message).toContain(ed25519?.fingerprint);
      expect(err.message).toContain(second.host);
    } finally {
      await transport.close();
    }
  });

  it("refuses a changed key (the first server's keys listed under the second's name) with ERR_HOST_KEY_CHANGED", async () => {
    const lines = linesForSecond(fixture.hostKeys);
    const transport = createDockerSshTransport(toSecond({ knownHostsFiles: [await knownHosts('changed', lines)] }));
    try {
      const err = await failure(transport.openStream());
      expect(err.code).toBe('ERR_HOST_KEY_CHANGED');
      expect(err.message).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    } finally {
      await transport.close();
    }
  });

  it('asks no password or passphrase provider, and decrypts no key, for a refused host key; once it is trusted, asks what the server needs', async () => {
    const asked: string[] = [];
    const providers = {
      identityFiles: [fixture.encryptedIdentityFile],
      passphrase: () => {
        asked.push('passphrase');
        return Promise.resolve(Secret.from(fixture.passphrase));
      },
      password: () => {
        asked.push('password');
        return Promise.resolve(Secret.from(fixture.password));
      },
    };
    const changedLines = linesForSecond(fixture.hostKeys);
    for (const [file, lines, code] of [
      ['refused-unknown', [], 'ERR_HOST_KEY_UNKNOWN'],
      ['refused-changed', changedLines, 'ERR_HOST_KEY_CHANGED'],
    ] as const) {
      const refused = createDockerSshTransport(toSecond({ ...providers, knownHostsFiles: [await knownHosts(file, [...lines])] }));
      try {
        expect((await failure(refused.openStream())).code).toBe(code);
      } finally {
        await refused.close();
      }
    }
    expect(asked).toEqual([]);
    const goodLines = linesForSecond(second.hostKeys);
    const trusted = createDockerSshTransport(toSecond({ ...providers, knownHostsFiles: [await knownHosts('trusted', goodLines)] }));
    try {
      expect((await httpOver(await trusted.openStream(), '/_ping')).status).toBe(200);
      // The key is accepted, so the password is never asked for.
      expect(asked).toEqual(['passphrase']);
    } finally {
      await trusted.close();
    }
  });

  it('refuses a revoked key with ERR_HOST_KEY_REVOKED, even when it is also listed as good', async () => {
    const good = linesForSecond(second.hostKeys);
    const revoked = second.hostKeys.map((k) => `@revoked * ${k.type} ${k.blob.toString('base64')}`);
    const transport = createDockerSshTransport(toSecond({ knownHostsFiles: [await knownHosts('revoked', [...good, ...revoked])] }));
    try {
      const err = await failure(transport.openStream());
      expect(err.code).toBe('ERR_HOST_KEY_REVOKED');
    } finally {
      await transport.close();
    }
  });

  it('accept-new records a hashed entry only after the handshake, then trusts it; a changed key is still refused', async () => {
    const file = await knownHosts('accept-new', []);
    const first = createDockerSshTransport(toSecond({ knownHostsFiles: [file], hostKeyPolicy: 'accept-new' }));
    try {
      expect((await httpOver(await first.openStream(), '/_ping')).status).toBe(200);
    } finally {
      await first.close();
    }
    const text = await readFile(file, 'utf8');
    expect(text).toMatch(/^\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+ ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    const ed25519 = second.hostKeys.find((k) => k.type === 'ssh-ed25519');
    expect(KnownHosts.parse(text).verify({ host: second.host, port: second.port, key: ed25519!.blob }).status).toBe('trusted');

    // The recorded key is now the one that must be presented: the first server under this name is a change.
    const lines = text.trim().split('\n');
    const impostor = await knownHosts('impostor', lines.map((l) => l.replace(/ ssh-ed25519 .*/, ` ssh-ed25519 ${fixture.hostKeys.find((k) => k.type === 'ssh-ed25519')!.blob.toString('base64')}`)));
    const changed = createDockerSshTransport(toSecond({ knownHostsFiles: [impostor], hostKeyPolicy: 'accept-new' }));
    try {
      expect((await failure(changed.openStream())).code).toBe('ERR_HOST_KEY_CHANGED');
      expect(await readFile(impostor, 'utf8')).toBe(lines.map((l) => l.replace(/ ssh-ed25519 .*/, ` ssh-ed25519 ${fixture.hostKeys.find((k) => k.type === 'ssh-ed25519')!.blob.toString('base64')}`)).join('\n') + '\n');
    } finally {
      await changed.close();
    }
  });

  it('accept-new does not record a key when authentication fails after the key exchange', async () => {
    const file = await knownHosts('accept-new-auth-fails', []);
    const transport = createDockerSshTransport(toSecond({ knownHostsFiles: [file], hostKeyPolicy: 'accept-new', user: 'nobody-here', identityFiles: [] }));
    try {
      expect((await failure(transport.openStream())).code).toBe('ERR_AUTH_FAILED');
      expect(await readFile(file, 'utf8')).toBe('');
    } finally {
      await transport.close();
    }
  });

  it('connects with a pinned fingerprint and no known_hosts, and refuses another pin', async () => {
    const ed25519 = second.hostKeys.find((k) => k.type === 'ssh-ed25519')!;
    const empty = await knownHosts('pinned', []);
    const pinned = createDockerSshTransport(toSecond({ knownHostsFiles: [empty], hostKeyPolicy: { pinned: [ed25519.fingerprint] } }));
    try {
      expect((await httpOver(await pinned.openStream(), '/_ping')).status).toBe(200);
    } finally {
      await pinned.close();
    }
    const other = fixture.hostKeys.find((k) => k.type === 'ssh-ed25519')!;
    const wrong = createDockerSshTransport(toSecond({ knownHostsFiles: [empty], hostKeyPolicy: { pinned: [other.fingerprint] } }));
    try {
      expect((await failure(wrong.openStream())).code).toMatch(/^ERR_HOST_KEY_(CHANGED|UNKNOWN)$/);
    } finally {
      await wrong.close();
    }
  });

  it('reaches the fixture through the second sshd as a ProxyJump, verifying both host keys', async () => {
    const both = await knownHosts('jump', [(await readFile(fixture.knownHostsFile, 'utf8')).trim(), (await readFile(second.knownHostsFile, 'utf8')).trim()]);
    const transport = createDockerSshTransport({
      url: fixture.url,
      configFile: false,
      identityFiles: [fixture.identityFile],
      agent: false,
      knownHostsFiles: [both],
      proxyJump: `${fixture.user}@${second.host}:${second.port}`,
      // The target's -i is not the jump host's (as with ssh): the hop's key is given for it.
      jumpCredentials: () => ({ identityFiles: [fixture.identityFile] }),
    });
    try {
      expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
    } finally {
      await transport.close();
    }
    // Without the jump host's key, the hop itself is refused.
    const onlyTarget = createDockerSshTransport({
      url: fixture.url,
      configFile: false,
      identityFiles: [fixture.identityFile],
      agent: false,
      knownHostsFiles: [fixture.knownHostsFile],
      proxyJump: `${fixture.user}@${second.host}:${second.port}`,
      // The target's -i is not the jump host's (as with ssh): the hop's key is given for it.
      jumpCredentials: () => ({ identityFiles: [fixture.identityFile] }),
    });
    try {
      const err = await failure(onlyTarget.openStream());
      expect(err.code).toBe('ERR_HOST_KEY_UNKNOWN');
      expect(err.message).toContain(second.host);
    } finally {
      await onlyTarget.close();
    }
  });

  it("follows the first jump host's own ProxyJump from ssh_config, as ssh does: the target through the fixture's sshd, reached through the second sshd", async () => {
    const both = await knownHosts('chain', [(await readFile(fixture.knownHostsFile, 'utf8')).trim(), (await readFile(second.knownHostsFile, 'utf8')).trim()]);
    const config = join(scratch, 'chain_config');
    await writeFile(
      config,
      [
        'Host target',
        `  HostName ${fixture.host}`,
        `  Port ${String(fixture.port)}`,
        `  User ${fixture.user}`,
        '  ProxyJump inner',
        'Host inner',
        `  HostName ${fixture.host}`,
        `  Port ${String(fixture.port)}`,
        `  User ${fixture.user}`,
        `  ProxyJump ${fixture.user}@${second.host}:${String(second.port)}`,
        '',
      ].join('\n'),
    );
    const connects: { phase: string; host: string; port: number }[] = [];
    const onConnect = (message: unknown): void => {
      connects.push(message as { phase: string; host: string; port: number });
    };
    subscribe('ssh-docker:transport:connect', onConnect);
    const transport = createDockerSshTransport({ url: 'target', configFile: config, identityFiles: [fixture.identityFile], jumpCredentials: () => ({ identityFiles: [fixture.identityFile] }), agent: false, knownHostsFiles: [both] });
    try {
      expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
      // Outermost first: the second sshd (only reachable this way if inner's ProxyJump was followed), then inner, then the target.
      expect(connects.filter((c) => c.phase === 'ready').map((c) => `${c.host}:${String(c.port)}`)).toEqual([
        `${second.host}:${String(second.port)}`,
        `${fixture.host}:${String(fixture.port)}`,
        `${fixture.host}:${String(fixture.port)}`,
      ]);
    } finally {
      unsubscribe('ssh-docker:transport:connect', onConnect);
      await transport.close();
    }
  });
});
