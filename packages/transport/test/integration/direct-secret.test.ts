import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransport, DockerSshTransportOptions } from '../../src/index.js';
import { httpOver } from './helpers.js';

// Issue 12 item 3: a passphrase given as a Secret was cleared by the first handshake, and a second
// connection the pool opened under load found it gone: 6 of 15 requests failed, depending on timing.

let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

function options(extra: Partial<DockerSshTransportOptions>): DockerSshTransportOptions {
  return {
    url: fixture.url,
    configFile: false,
    knownHostsFiles: [fixture.knownHostsFile],
    agent: false,
    identityFiles: [fixture.encryptedIdentityFile],
    ...extra,
  };
}

async function ping(transport: DockerSshTransport): Promise<number> {
  return (await httpOver(await transport.openStream(), '/_ping')).status;
}

/** One request, then `count` at once: every outcome, by status or error code. */
async function burst(transport: DockerSshTransport, count: number): Promise<Record<string, number>> {
  expect(await ping(transport)).toBe(200);
  const outcomes = await Promise.allSettled(Array.from({ length: count }, () => ping(transport)));
  const tally: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = outcome.status === 'fulfilled' ? String(outcome.value) : String((outcome.reason as { code?: string }).code ?? outcome.reason);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

describe('a passphrase given directly as a Secret, under concurrency', () => {
  it('serves 1,000 concurrent requests on the one connection it opened, and the Secret is cleared', async () => {
    const passphrase = Secret.from(fixture.passphrase);
    const transport = createDockerSshTransport(options({ passphrase }));
    try {
      expect(await burst(transport, 1000)).toEqual({ '200': 1000 });
      expect(passphrase.cleared).toBe(true);
      expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 0 });
    } finally {
      await transport.close();
    }
  });

  it('serves 1,000 concurrent requests with maxChannelsPerConnection 1', { timeout: 300_000 }, async () => {
    const passphrase = Secret.from(fixture.passphrase);
    const transport = createDockerSshTransport(options({ passphrase, maxChannelsPerConnection: 1 }));
    try {
      expect(await burst(transport, 1000)).toEqual({ '200': 1000 });
      expect(passphrase.cleared).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('serves concurrent requests with a password Secret from the first request on', async () => {
    const password = Secret.from(fixture.password);
    const transport = createDockerSshTransport(options({ user: fixture.passwordUser, password, identityFiles: [] }));
    try {
      const outcomes = await Promise.all(Array.from({ length: 50 }, () => ping(transport)));
      expect(outcomes.every((status) => status === 200)).toBe(true);
      expect(password.cleared).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('refuses at creation more than one connection with a direct Secret, and says to use a provider', () => {
    expect(() => createDockerSshTransport(options({ passphrase: Secret.from('x'), maxConnections: 4 }))).toThrow(
      new RangeError('maxConnections above 1 needs the password and passphrase as provider functions (() => Promise<Secret>): a Secret given directly is cleared after the one connection that uses it'),
    );
    expect(() => createDockerSshTransport(options({ passphrase: () => Promise.resolve(Secret.from('x')), maxConnections: 4 }))).not.toThrow();
  });
});
