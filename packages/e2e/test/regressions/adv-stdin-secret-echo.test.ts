import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import type { Connection, ServerChannel } from 'ssh2';
import { afterEach, expect, test } from 'vitest';

// Adversarial review (adv2): a hostile SSH server that knows the password sent to it (it is the
// server that checks it) says it back in every place the CLI may print; and the password or
// passphrase read from stdin shows up in the CLI's own words. Nothing of it may reach stdout/stderr.
const BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
const { Server, utils } = ssh2;

interface Echoes {
  /** Accept the password (true) or refuse it (false). */
  readonly accept: boolean;
  readonly banner?: string;
  readonly kbdInstructions?: string;
  readonly versionOut?: string;
  readonly dialStderr?: string;
  readonly pingBody?: string;
}

interface Host {
  readonly port: number;
  readonly knownHostsFile: string;
  readonly home: string;
  close(): Promise<void>;
}
const hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.close()));
});

async function startHost(secret: string, echoes: Echoes): Promise<Host> {
  // ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 pair in
  // 300), and its own parser then refuses the pair: generate until it parses.
  let keys = utils.generateKeyPairSync('ed25519');
  while (utils.parseKey(keys.public) instanceof Error || utils.parseKey(keys.private) instanceof Error) keys = utils.generateKeyPairSync('ed25519');
  const connections: Connection[] = [];
  const say = (text: string | undefined): string | undefined => text?.replaceAll('SECRET', secret);
  const banner = say(echoes.banner);
  const server = new Server({ hostKeys: [keys.private], ...(banner === undefined ? {} : { banner }) }, (client) => {
    connections.push(client);
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        if (echoes.accept && ctx.password === secret) ctx.accept();
        else ctx.reject(['password', 'keyboard-interactive']);
        return;
      }
      if (ctx.method === 'keyboard-interactive' && echoes.kbdInstructions !== undefined) {
        ctx.prompt([{ prompt: `${say(echoes.kbdInstructions) ?? ''} Password: `, echo: false }], say(echoes.kbdInstructions) ?? '', () => {
          ctx.reject(['password', 'keyboard-interactive']);
        });
        return;
      }
      ctx.reject(['password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, info) => {
          const channel: ServerChannel = accept();
          channel.on('error', () => undefined);
          if (info.command === 'docker --version') {
            channel.write(say(echoes.versionOut) ?? 'Docker version 27.0.0, build x\n');
            channel.exit(0);
            channel.end();
            return;
          }
          if (echoes.dialStderr !== undefined) {
            channel.stderr.write(say(echoes.dialStderr) ?? '');
            channel.exit(1);
            channel.end();
            return;
          }
          channel.on('data', () => {
            const body = say(echoes.pingBody) ?? 'OK';
            channel.write(`HTTP/1.1 500 Oops\r\nContent-Type: text/plain\r\nApi-Version: 1.45\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const pub = utils.parseKey(keys.public);
  if (pub instanceof Error) throw pub;
  const parsed = Array.isArray(pub) ? pub[0] : pub;
  const home = mkdtempSync(join(tmpdir(), 'adv2-echo-'));
  const knownHostsFile = join(home, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${parsed?.type ?? ''} ${parsed?.getPublicSSH().toString('base64') ?? ''}\n`);
  const host: Host = {
    port,
    knownHostsFile,
    home,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
  hosts.push(host);
  return host;
}

function cli(args: string[], stdin: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stdin.end(stdin);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', () => {
      clearTimeout(killer);
      resolve(out);
    });
  });
}

async function checkWith(secret: string, echoes: Echoes): Promise<string> {
  const host = await startHost(secret, echoes);
  const target = `ssh://deploy@127.0.0.1:${host.port}`;
  return cli(['check', target, '-F', 'none', '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${host.knownHostsFile}`, '-o', 'ConnectTimeout=3', '--password-stdin'], `${secret}\n`, { HOME: host.home });
}

const SECRET = 'Zq7-hunter2x';
test.each<[string, Echoes]>([
  ['a banner', { accept: true, banner: 'Welcome SECRET\n' }],
  ['keyboard-interactive instructions', { accept: false, kbdInstructions: 'your password is SECRET' }],
  ['docker --version output', { accept: true, versionOut: 'Docker version 27.0.0, build SECRET\n' }],
  ['docker --version output, base64', { accept: true, versionOut: `Docker version 27.0.0, build ${Buffer.from(SECRET).toString('base64')}\n` }],
  ['dial-stdio stderr', { accept: true, dialStderr: 'cannot connect as deploy:SECRET\n' }],
  ['the /_ping body', { accept: true, pingBody: 'bad auth SECRET' }],
])('a server that says the password back in %s: the password is not printed', async (_name, echoes) => {
  const out = await checkWith(SECRET, echoes);
  expect(out).toContain('Checking');
  expect(out).not.toContain(SECRET);
  expect(out).not.toContain(Buffer.from(SECRET).toString('base64'));
});

test.each(['password', 'key', 'SSH', 'authorized'])('a refused password %j that is a word of the CLI`s own message is not told by masks', async (secret) => {
  const out = await checkWith(secret, { accept: false });
  expect(out).toContain('ERR_AUTH_FAILED');
  expect(out).not.toMatch(/\[redacted\]|\*\*\*/);
});

test('DOCKER_HOST whose user is the stdin password: refused before any note names it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'adv2-echo-'));
  const out = await cli(['check', '--password-stdin', '-F', 'none'], `${SECRET}\n`, { HOME: home, DOCKER_HOST: `ssh://${SECRET}@127.0.0.1:1/var/run/docker.sock` });
  expect(out).toContain('is the secret read from stdin');
  expect(out).not.toContain(SECRET);
});

test('an ssh:// target with a path whose user is the stdin password: refused before the path note names it', async () => {
  const home = mkdtempSync(join(tmpdir(), 'adv2-echo-'));
  const out = await cli(['check', `ssh://${SECRET}@127.0.0.1:1/var/run/docker.sock`, '--password-stdin', '-F', 'none'], `${SECRET}\n`, { HOME: home });
  expect(out).toContain('is the secret read from stdin');
  expect(out).not.toContain(SECRET);
});

test('an ssh_config User line that is the stdin password is never printed', async () => {
  const host = await startHost(SECRET, { accept: false });
  const config = join(host.home, 'config');
  writeFileSync(config, `Host tgt\n  HostName 127.0.0.1\n  Port ${host.port}\n  User ${SECRET}\n  UserKnownHostsFile ${host.knownHostsFile}\n  IdentityAgent none\n`);
  const out = await cli(['check', 'tgt', '-F', config, '--password-stdin'], `${SECRET}\n`, { HOME: host.home });
  expect(out).toContain('Checking');
  expect(out).not.toContain(SECRET);
});

test('a user@host target whose user is the stdin password: refused, never printed', async () => {
  const home = mkdtempSync(join(tmpdir(), 'adv2-echo-'));
  const out = await cli(['check', `${SECRET}@127.0.0.1`, '-p', '1', '--password-stdin', '-F', 'none'], `${SECRET}\n`, { HOME: home });
  expect(out).toContain('is the secret read from stdin');
  expect(out).not.toContain(SECRET);
});
