import { request } from 'node:http';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransportOptions } from '@ssh-docker/transport';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerAgent } from '../../src/index.js';

// Issue 12.6: each dial-stdio channel is a full remote session; for a user whose ~/.bashrc is slow
// (nvm, conda) a new channel costs the rc file's time. A burst through the default agent must reuse
// warm channels before opening new ones and never stall: measured here with the fixture's
// slow-shell user (rc file sleeps fixture.slowShellSeconds), the real sshd and dockerd.
let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

function ping(agent: ReturnType<typeof createDockerAgent>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: 'docker', path: '/_ping' }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function burst(options: DockerSshTransportOptions, n: number): Promise<{ ms: number; statuses: number[]; streamsOpened: number; capacity: number }> {
  const transport = createDockerSshTransport(options);
  const agent = createDockerAgent(() => transport.openStream());
  try {
    const started = performance.now();
    const statuses = await Promise.all(Array.from({ length: n }, () => ping(agent)));
    const ms = performance.now() - started;
    const stats = transport.stats();
    return { ms, statuses, streamsOpened: stats.streamsOpened, capacity: stats.channelCapacity };
  } finally {
    agent.destroy();
    await transport.close({ timeoutMs: 2_000 });
  }
}

describe('a burst for a user with a slow login shell, default agent and transport options', () => {
  for (const socketVia of ['auto', 'dial-stdio'] as const) {
    test(`${socketVia}: 200 concurrent pings all succeed, on a bounded number of channels, without a stall`, async () => {
      const options = { ...fixture.transportOptions({ user: fixture.slowShellUser }), socketVia };
      const { ms, statuses, streamsOpened, capacity } = await burst(options, 200);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);
      // Channels are reused: never one per request. Each new one costs the rc file's sleep.
      expect(streamsOpened).toBeLessThanOrEqual(2 * capacity);
      // No stall: every channel opens in parallel with the others, so the burst takes a few rc-file
      // sleeps, not one per request (200 × 0.45 s = 90 s, the failure the issue saw).
      expect(ms).toBeLessThan(15_000 + 10 * fixture.slowShellSeconds * 1000);
      console.log(`slow shell ${socketVia}: 200 pings in ${Math.round(ms)} ms on ${streamsOpened} streams (capacity ${capacity})`);
    }, 120_000);
  }
});
