/**
 * A server with tight limits: `MaxSessions 2` (channels per connection) and a `MaxStartups` that
 * drops concurrent unauthenticated connections. The transport must hold every request anyway.
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerAgent, DockerClient } from '@ssh-docker/http';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { keyOptions, waitFor } from './helpers.js';

const REQUESTS = 500;
let fixture: DockerSshFixture;

beforeAll(async () => {
  // MaxStartups 2:50:3: past 2 unauthenticated connections sshd drops half the new ones, past 3 all.
  fixture = await startDockerSshFixture({ maxSessions: 2, maxStartups: '2:50:3' });
});

afterAll(async () => {
  await fixture.stop();
});

describe('tight server limits', () => {
  it(`holds ${REQUESTS} concurrent dockerode requests against MaxSessions 2 and MaxStartups 2:50:3`, async () => {
    const transport = createDockerSshTransport(keyOptions(fixture));
    // maxSockets at the transport's capacity (4 connections × 2 sessions): with the default 64, idle
    // kept-alive streams hold every SSH session while new requests wait for one (see the report).
    const agent = createDockerAgent(() => transport.openStream(), { maxSockets: 8 });
    const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
    const started = Date.now();
    try {
      const results = await Promise.allSettled(Array.from({ length: REQUESTS }, async () => String(await docker.ping())));
      const failed = results.filter((r) => r.status === 'rejected').map((r) => String((r).reason));
      expect(failed.slice(0, 3)).toEqual([]);
      expect(results.filter((r) => r.status === 'fulfilled' && r.value === 'OK')).toHaveLength(REQUESTS);
      const stats = transport.stats();
      console.info(`limits: ${REQUESTS} requests in ${Date.now() - started} ms; stats ${JSON.stringify(stats)}`);
      // The server's limit was met and learned, not surfaced.
      expect(stats.channelRefusals).toBeGreaterThan(0);
      expect(stats.connectsStarted).toBeLessThanOrEqual(4 + stats.connectsFailed);
    } finally {
      agent.destroy();
      await transport.close({ timeoutMs: 2000 });
    }
    expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
  });
  it(`holds ${REQUESTS} concurrent dockerode requests with the default agent against the same limits`, async () => {
    const transport = createDockerSshTransport(keyOptions(fixture));
    const agent = createDockerAgent(() => transport.openStream());
    const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
    try {
      const results = await Promise.allSettled(Array.from({ length: REQUESTS }, async () => String(await docker.ping())));
      expect(results.filter((r) => r.status === 'fulfilled' && r.value === 'OK')).toHaveLength(REQUESTS);
    } finally {
      agent.destroy();
      await transport.close({ timeoutMs: 2000 });
    }
  });

  it(`holds ${REQUESTS} concurrent DockerClient requests, each on its own channel, against the same limits`, async () => {
    const transport = createDockerSshTransport(keyOptions(fixture));
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41', maxFreeSockets: 1 });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: REQUESTS }, async () => {
          const res = await client.request({ path: '/_ping', versioned: false, headers: { Connection: 'close' } });
          let text = '';
          for await (const chunk of res.body) text += String(chunk);
          return text;
        }),
      );
      expect(results.filter((r) => r.status === 'fulfilled' && r.value === 'OK')).toHaveLength(REQUESTS);
    } finally {
      client.close();
      await transport.close({ timeoutMs: 2000 });
    }
  });
});
