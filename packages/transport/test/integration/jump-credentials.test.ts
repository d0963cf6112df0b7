import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import type { CredentialContext } from '../../src/index.js';
import { httpOver } from './helpers.js';

// Issue 11 item 3: with `-J bastion@jump --password-stdin`, a logging bastion received the target's
// password. This bastion records every password and keyboard-interactive answer it is given, accepts
// only its own password, and forwards direct-tcpip to the real fixture sshd.

const JUMP_PASSWORD = 'bastion-only-pass';
let fixture: DockerSshFixture;
let dir: string;
let bastion: InstanceType<typeof ssh2.Server>;
let bastionPort: number;
let knownHosts: string;
const answers: string[] = [];

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  dir = await mkdtemp(join(tmpdir(), 'jump-creds-'));
  // ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 pair in
  // 300), and its own parser then refuses the pair: generate until it parses.
  let hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  while (ssh2.utils.parseKey(hostKey.public) instanceof Error || ssh2.utils.parseKey(hostKey.private) instanceof Error) hostKey = ssh2.utils.generateKeyPairSync('ed25519');
  bastion = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        answers.push(ctx.password);
        if (ctx.password === JUMP_PASSWORD) ctx.accept();
        else ctx.reject(['password', 'keyboard-interactive']);
        return;
      }
      if (ctx.method === 'keyboard-interactive') {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (replies) => {
          answers.push(...replies);
          if (replies[0] === JUMP_PASSWORD) ctx.accept();
          else ctx.reject(['password', 'keyboard-interactive']);
        });
        return;
      }
      ctx.reject(['password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('tcpip', (accept) => {
        const channel = accept();
        const upstream = connect(fixture.port, fixture.host);
        channel.pipe(upstream).pipe(channel);
        upstream.on('error', () => channel.destroy());
        channel.on('close', () => upstream.destroy());
      });
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => bastion.listen(0, '127.0.0.1', resolve));
  bastionPort = (bastion.address() as AddressInfo).port;
  knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `[127.0.0.1]:${bastionPort} ${hostKey.public.trim().split(' ').slice(0, 2).join(' ')}\n${await readFile(fixture.knownHostsFile, 'utf8')}`);
});

afterAll(async () => {
  bastion.close();
  await rm(dir, { recursive: true, force: true });
  await fixture.stop();
});

describe('credentials given for the target never reach a jump host', () => {
  it('offers the target password (a provider and a Secret) only to the target, and the jump password only to the bastion', async () => {
    const asked: CredentialContext[] = [];
    for (const password of [(context: CredentialContext) => (asked.push(context), Promise.resolve(Secret.from(fixture.password))), Secret.from(fixture.password)]) {
      answers.length = 0;
      const transport = createDockerSshTransport({
        url: fixture.url,
        user: fixture.passwordUser,
        configFile: false,
        agent: false,
        knownHostsFiles: [knownHosts],
        proxyJump: `bastion@127.0.0.1:${bastionPort}`,
        password,
        jumpCredentials: (hop) => (hop.port === bastionPort ? { password: Secret.from(JUMP_PASSWORD) } : undefined),
      });
      let status: number | Error;
      try {
        status = (await httpOver(await transport.openStream(), '/_ping')).status;
      } catch (err) {
        status = err as Error;
      } finally {
        await transport.close();
      }
      // First what the bastion saw, then whether the request worked.
      expect(answers.join('\n')).not.toContain(fixture.password);
      expect(status).toBe(200);
      expect(answers.length).toBeGreaterThan(0);
      expect(answers.every((answer) => answer === JUMP_PASSWORD)).toBe(true);
      expect(answers.join('\n')).not.toContain(fixture.password);
    }
    const at = { host: fixture.host, port: fixture.port, user: fixture.passwordUser, role: 'target', kind: 'password' };
    expect(asked).toEqual([at]);
  });
});
