import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Secret } from '@ssh-docker/url';
import { afterEach, expect, test } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';
import { startHostileServer } from './adv/hostile-server.js';
import type { HostileServer } from './adv/hostile-server.js';

// Attacks (issues 11.5 and 12.5): a verified server whose dial-stdio fails at once and echoes the
// password it was given on stderr, in several encodings. The error must not carry it, in any
// form; and the "run this to see why" hint must be an ssh command that works (`ssh -p PORT user@host`).
const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PASSWORD = 'Echo-Me-p4ss/w0rd';

async function failingStream(stderr: (password: string) => string, form: 'direct' | 'provider') {
  const server = await startHostileServer({
    accept: (ctx) => ctx.method === 'password' && ctx.password === PASSWORD,
    exec: (_command, channel) => {
      channel.stderr.write(stderr(PASSWORD));
      channel.exit(1);
      channel.end();
    },
  });
  servers.push(server);
  const transport = createDockerSshTransport({
    url: `ssh://u@127.0.0.1:${server.port}`,
    configFile: false,
    agent: false,
    homeDir: mkdtempSync(join(tmpdir(), 'adv-home-')),
    env: {},
    knownHostsFiles: [server.knownHostsFile],
    connectTimeoutMs: 3000,
    socketVia: 'dial-stdio',
    password: form === 'direct' ? Secret.from(PASSWORD) : () => Promise.resolve(Secret.from(PASSWORD)),
  });
  // The failure comes either as the open's rejection (the server's exit arrived with the open, so
  // the stream is never handed out) or as the stream's error (it arrived later): timing, not policy.
  const err = await transport.openStream().then(
    (stream) =>
      new Promise<Error & { code?: string }>((resolve) => {
        stream.on('error', resolve);
        stream.resume();
        stream.end('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
      }),
    (error: unknown) => error as Error & { code?: string },
  );
  await transport.close({ timeoutMs: 100 });
  return { err, port: server.port };
}

const forms: [string, (p: string) => string][] = [
  ['raw', (p) => `error: bad password ${p}\n`],
  ['base64 of user:pass', (p) => `auth header ${Buffer.from(`u:${p}`).toString('base64')}\n`],
  ['percent-encoded', (p) => `url ssh://u@h/?p=${encodeURIComponent(p)}\n`],
];

for (const form of ['direct', 'provider'] as const) {
  for (const [name, make] of forms) {
    test(`a ${form} password echoed ${name} on dial-stdio stderr is not in the error`, async () => {
      const { err } = await failingStream(make, form);
      const all = `${err.message}\n${inspect(err, { depth: 5 })}\n${String((err.cause as Error | undefined)?.message)}`;
      expect(err.code).toMatch(/^ERR_/);
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain(Buffer.from(`u:${PASSWORD}`).toString('base64'));
      expect(all).not.toContain(encodeURIComponent(PASSWORD));
    });
  }
}

test('the hint in a dial-stdio failure is an ssh command that works: ssh -p PORT user@host', async () => {
  const { err, port } = await failingStream(() => 'something odd\n', 'provider');
  expect(err.message).not.toContain(`ssh 127.0.0.1:${port} `);
  expect(err.message).toContain(`ssh -p ${port} u@127.0.0.1 docker system dial-stdio`);
});
