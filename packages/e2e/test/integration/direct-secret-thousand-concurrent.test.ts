import { request } from 'node:http';
import type { Agent } from 'node:http';
import { createDockerAgent } from '@ssh-docker/http';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransportOptions } from '@ssh-docker/transport';
import { Secret } from '@ssh-docker/url';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Attack (issue 12.3): a direct Secret (passphrase of an encrypted key, or a password) with the
// default limits, then 1,000 requests at once — after one request, and from cold. Each must
// succeed (or the transport must refuse the combination when it is created, with a documented error).
let fixture: DockerSshFixture;
let small: DockerSshFixture;
beforeAll(async () => {
  fixture = await startDockerSshFixture();
  small = await startDockerSshFixture({ maxSessions: 2 });
});
afterAll(async () => {
  await fixture?.stop();
  await small?.stop();
});

function ping(agent: Agent): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({ agent, host: 'docker', path: '/_ping' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message));
    });
    req.on('error', (e: Error & { code?: string }) => resolve(`${e.code ?? e.message}/${String((e.cause as { code?: string } | undefined)?.code)}`));
    req.end();
  });
}

function tally(results: (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[String(r)] = (counts[String(r)] ?? 0) + 1;
  return counts;
}

const cases: [string, () => DockerSshFixture, (f: DockerSshFixture) => Partial<DockerSshTransportOptions>, boolean][] = [
  ['a direct passphrase, warm', () => fixture, (f) => ({ identityFiles: [f.encryptedIdentityFile], passphrase: Secret.from(f.passphrase) }), true],
  ['a direct passphrase, cold', () => fixture, (f) => ({ identityFiles: [f.encryptedIdentityFile], passphrase: Secret.from(f.passphrase) }), false],
  ['a direct password, cold', () => fixture, (f) => ({ ...f.transportOptions({ user: f.passwordUser }), identityFiles: [], password: Secret.from(f.password) }), false],
  ['a direct passphrase, MaxSessions 2, cold', () => small, (f) => ({ identityFiles: [f.encryptedIdentityFile], passphrase: Secret.from(f.passphrase) }), false],
];

for (const [name, which, extra, warm] of cases) {
  test(`1,000 concurrent requests with ${name} all succeed`, async () => {
    const f = which();
    const transport = createDockerSshTransport({ ...f.transportOptions(), ...extra(f) });
    const agent = createDockerAgent(() => transport.openStream());
    try {
      if (warm) expect(await ping(agent)).toBe(200);
      const results = await Promise.all(Array.from({ length: 1000 }, () => ping(agent)));
      expect(tally(results)).toEqual({ '200': 1000 });
    } finally {
      agent.destroy();
      await transport.close({ timeoutMs: 1000 });
    }
  });
}
