import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Secret } from '@ssh-docker/url';
import { afterEach, expect, test } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';

// Attack (issue 11.8, adversarial pass adv2): the password pasted as the user name — a `User` line in
// ssh_config, a ProxyJump hop's user, options.user — would be sent before any password (into the
// server's auth log) and printed by every message naming the target. It is refused before any byte
// is sent, with a message that does not repeat it.
const SECRET = 'Pasted-As-User-7q';
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A listener that counts TCP connections: the transport must make none. */
async function counter(): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

function configWith(lines: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'user-secret-'));
  const file = join(dir, 'config');
  writeFileSync(file, lines);
  return file;
}

const forms = [
  ['password', (s: Secret) => ({ password: s })],
  ['passphrase', (s: Secret) => ({ passphrase: s })],
] as const;

for (const [kind, give] of forms) {
  test(`an ssh_config User line that is the ${kind} given: refused with ERR_SSH_CONFIG, nothing sent, not repeated`, async () => {
    const { port, connections } = await counter();
    const configFile = configWith(`Host tgt\n  HostName 127.0.0.1\n  Port ${port}\n  User ${SECRET}\n`);
    const transport = createDockerSshTransport({ url: 'tgt', configFile, agent: false, env: {}, homeDir: tmpdir(), ...give(Secret.from(SECRET)) });
    const err = (await transport.openStream().catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('ERR_SSH_CONFIG');
    expect(err.message).toContain('tgt');
    expect(`${err.message}\n${inspect(err, { depth: 6 })}\n${JSON.stringify(err)}`).not.toContain(SECRET);
    const report = await transport.check();
    expect(report.steps[0]).toMatchObject({ name: 'resolve', status: 'failed', code: 'ERR_SSH_CONFIG' });
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(connections()).toBe(0);
    await transport.close();
  });
}

test('an ssh_config User line that is a Secret behind a provider, named in refuseAsUser (as the CLI does): refused, nothing sent', async () => {
  const { port, connections } = await counter();
  const configFile = configWith(`Host tgt\n  HostName 127.0.0.1\n  Port ${port}\n  User ${SECRET}\n`);
  const vault = Secret.from(SECRET);
  const transport = createDockerSshTransport({
    url: 'tgt',
    configFile,
    agent: false,
    env: {},
    homeDir: tmpdir(),
    password: () => Promise.resolve(vault.use((b) => Secret.from(b))),
    refuseAsUser: [vault],
  });
  const err = (await transport.openStream().catch((e: unknown) => e)) as Error & { code?: string };
  expect(err.code).toBe('ERR_SSH_CONFIG');
  expect(`${err.message}\n${inspect(err, { depth: 6 })}`).not.toContain(SECRET);
  expect(connections()).toBe(0);
  await transport.close();
});

test('a ProxyJump hop whose user is the password given: refused before any hop is reached', async () => {
  const { port, connections } = await counter();
  const configFile = configWith(`Host tgt\n  HostName 127.0.0.1\n  Port ${port}\n  User deploy\n  ProxyJump ${SECRET}@127.0.0.1:${port}\n`);
  const transport = createDockerSshTransport({ url: 'tgt', configFile, agent: false, env: {}, homeDir: tmpdir(), password: Secret.from(SECRET) });
  const err = (await transport.openStream().catch((e: unknown) => e)) as Error & { code?: string };
  expect(err.code).toBe('ERR_SSH_CONFIG');
  expect(`${err.message}\n${inspect(err, { depth: 6 })}`).not.toContain(SECRET);
  expect(connections()).toBe(0);
  await transport.close();
});

test('options.user or the URL user that is the password given: a TypeError at creation, not repeated', () => {
  for (const make of [
    () => createDockerSshTransport({ url: 'ssh://127.0.0.1:1', user: SECRET, configFile: false, password: Secret.from(SECRET) }),
    () => createDockerSshTransport({ url: `ssh://${SECRET}@127.0.0.1:1`, configFile: false, passphrase: Secret.from(SECRET) }),
  ]) {
    let thrown: unknown;
    try {
      make();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).message).not.toContain(SECRET);
  }
});

test('a user that merely contains the password is a coincidence, not refused (equality only)', async () => {
  const { port } = await counter();
  const transport = createDockerSshTransport({ url: `ssh://x${SECRET}@127.0.0.1:${port}`, configFile: false, agent: false, env: {}, homeDir: tmpdir(), password: Secret.from(SECRET), connectTimeoutMs: 2000 });
  const err = (await transport.openStream().catch((e: unknown) => e)) as Error & { code?: string };
  expect(err.code).not.toBe('ERR_SSH_CONFIG');
  await transport.close();
});
