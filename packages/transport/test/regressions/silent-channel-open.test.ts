import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@ssh-docker/url';
import { afterEach, expect, test } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';
import { startHostileServer } from './adv/hostile-server.js';
import type { HostileServer } from './adv/hostile-server.js';

// Attack (issue 11.4): a server that authenticates, then never answers a session channel open.
// openStream() (the connector every HTTP client waits on) must end with a named error.
const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

test('openStream() on a server that never answers the channel open rejects with a named error', async () => {
  const server = await startHostileServer({ session: 'silent', accept: (ctx) => ctx.method === 'password' && ctx.password === 'pw' });
  servers.push(server);
  const transport = createDockerSshTransport({
    url: `ssh://u@127.0.0.1:${server.port}`,
    configFile: false,
    agent: false,
    homeDir: mkdtempSync(join(tmpdir(), 'adv-home-')),
    env: {},
    knownHostsFiles: [server.knownHostsFile],
    connectTimeoutMs: 1000,
    socketVia: 'dial-stdio',
    password: () => Promise.resolve(Secret.from('pw')),
  });
  const outcome = await Promise.race([
    transport.openStream().then(
      (s) => {
        s.destroy();
        return 'opened';
      },
      (err: unknown) => (err as { code?: string }).code ?? 'no code',
    ),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref()),
  ]);
  expect(outcome).toMatch(/^ERR_[A-Z_]+$/);
  await transport.close({ timeoutMs: 100 });
});
