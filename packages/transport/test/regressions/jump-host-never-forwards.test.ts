import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import { startHostileServer } from './adv/hostile-server.js';
import type { HostileServer } from './adv/hostile-server.js';

// Attack (issue 11.4, waits without a limit): a ProxyJump bastion that authenticates the client,
// then never answers the direct-tcpip channel open to the target. The target's TCP connect timeout
// does not cover a forward through a jump host, so nothing ends the wait.
const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup() {
  const bastion = await startHostileServer({ tcpip: 'silent', accept: (ctx) => ctx.method === 'password' && ctx.password === 'bastion-pw' });
  const target = await startHostileServer();
  servers.push(bastion, target);
  const home = mkdtempSync(join(tmpdir(), 'adv-home-'));
  const kh = join(home, 'known_hosts');
  writeFileSync(kh, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`);
  const transport = createDockerSshTransport({
    url: `ssh://t@127.0.0.1:${target.port}`,
    proxyJump: `b@127.0.0.1:${bastion.port}`,
    configFile: false,
    agent: false,
    homeDir: home,
    env: {},
    knownHostsFiles: [kh],
    connectTimeoutMs: 1000,
    socketVia: 'dial-stdio',
    jumpCredentials: () => ({ password: () => Promise.resolve(Secret.from('bastion-pw')) }),
  });
  return { transport };
}

test('check() through a bastion that never forwards ends with a named error within its deadline', async () => {
  const { transport } = await setup();
  const started = Date.now();
  const report = await Promise.race([
    transport.check({ stepTimeoutMs: 1000 }),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 8000).unref()),
  ]);
  expect(report).not.toBe('hung');
  if (report === 'hung') return;
  const failed = report.steps.find((s) => s.status === 'failed');
  expect(failed?.code).toMatch(/^ERR_[A-Z_]+$/);
  expect(Date.now() - started).toBeLessThan(8000);
  await transport.close({ timeoutMs: 100 });
});

test('openStream() through a bastion that never forwards rejects with a named error within the connect timeout', async () => {
  const { transport } = await setup();
  const outcome = await Promise.race([
    transport.openStream().then(
      (s) => {
        s.destroy();
        return 'opened';
      },
      (err: unknown) => (err as { code?: string }).code ?? 'no code',
    ),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 8000).unref()),
  ]);
  expect(outcome).toMatch(/^ERR_[A-Z_]+$/);
  await transport.close({ timeoutMs: 100 });
});
