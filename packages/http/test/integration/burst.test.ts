import { request, type Agent, type IncomingMessage } from 'node:http';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport, type DockerSshTransport } from '@ssh-docker/transport';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerAgent } from '../../src/index.js';

// Issue 17: under a burst, the default agent opened a new dial-stdio channel for nearly every
// request (992 of 1,000, 51 s, where Node http on the daemon's socket takes 0.3 s), because it
// allowed more sockets than the transport has channels and then refused to keep any warm stream.
// These bursts run against the fixture's sshd, which has sshd's stock limits (MaxSessions 10,
// MaxStartups 10:30:100: the fixture writes neither unless asked), with every option at its default.
let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

/** GET `path` through `agent`; resolves with the response once its headers are in. */
function get(agent: Agent, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: 'docker', path, method: 'GET' }, resolve);
    req.once('error', reject);
    req.end();
  });
}

/** One short request: GET /_ping, its whole body read. */
async function ping(agent: Agent): Promise<string> {
  const res = await get(agent, '/_ping');
  let body = '';
  res.setEncoding('utf8');
  for await (const chunk of res) body += chunk as string;
  if (res.statusCode !== 200) throw new Error(`/_ping answered ${res.statusCode}`);
  return body;
}

interface Burst {
  readonly errors: number;
  readonly firstError: unknown;
  readonly ms: number;
}

/** `n` pings started at once; counts the failures instead of stopping at the first. */
async function burst(agent: Agent, n: number): Promise<Burst> {
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: n }, () => ping(agent)));
  const ms = performance.now() - started;
  const failed = settled.filter((s) => s.status === 'rejected' || s.value !== 'OK');
  const first = failed[0];
  return { errors: failed.length, firstError: first?.status === 'rejected' ? first.reason : first?.value, ms };
}

async function withTransport<T>(options: { maxConnections?: number }, run: (transport: DockerSshTransport) => Promise<T>): Promise<T> {
  const transport = createDockerSshTransport({ ...fixture.transportOptions(), ...options });
  try {
    return await run(transport);
  } finally {
    await transport.close({ timeoutMs: 2_000 });
  }
}

describe('a burst of short requests through the default agent over real SSH channels (issue 17)', () => {
  test('the streams opened for a burst of N pings stay within twice the channel capacity as N grows from 200 to 1,000, with no error', async () => {
    const seen: { n: number; streamsOpened: number; channelCapacity: number; ms: number }[] = [];
    for (const n of [200, 1_000]) {
      // A fresh transport and agent per size: streamsOpened counts this burst's channels only.
      await withTransport({}, async (transport) => {
        const agent = createDockerAgent(() => transport.openStream());
        try {
          const result = await burst(agent, n);
          expect(result.firstError).toBeUndefined();
          expect(result.errors).toBe(0);
          const stats = transport.stats();
          seen.push({ n, streamsOpened: stats.streamsOpened, channelCapacity: stats.channelCapacity, ms: Math.round(result.ms) });
        } finally {
          agent.destroy();
        }
      });
    }
    console.log('burst of pings, default options:', JSON.stringify(seen));
    for (const { streamsOpened, channelCapacity } of seen) {
      expect(channelCapacity).toBeGreaterThan(0);
      expect(streamsOpened).toBeGreaterThan(0);
      expect(streamsOpened).toBeLessThanOrEqual(2 * channelCapacity);
    }
    // Bounded, not proportional: five times the requests do not take more channels than the
    // capacity adds on top of the smaller burst's (the old agent opened one per request).
    const [small, large] = seen as [(typeof seen)[number], (typeof seen)[number]];
    expect(large.streamsOpened).toBeLessThanOrEqual(small.streamsOpened + small.channelCapacity);
  }, 90_000);

  test('60 open GET /events streams in the same agent do not block a burst of 1,000 pings, and stay open', async () => {
    // 60 held streams need 60 channels: the transport's default (4 connections × 9) has 36, so
    // this transport may make 8 connections (72 channels); the agent keeps its defaults.
    await withTransport({ maxConnections: 8 }, async (transport) => {
      const agent = createDockerAgent(() => transport.openStream());
      const events: IncomingMessage[] = [];
      try {
        const held = await Promise.all(Array.from({ length: 60 }, () => get(agent, '/events')));
        events.push(...held);
        for (const res of held) {
          expect(res.statusCode).toBe(200);
          res.resume();
        }
        const before = transport.stats().streamsOpened;
        const result = await burst(agent, 1_000);
        const stats = transport.stats();
        const opened = stats.streamsOpened - before;
        console.log('1,000 pings beside 60 /events streams:', JSON.stringify({ ms: Math.round(result.ms), opened, channelCapacity: stats.channelCapacity }));
        expect(result.firstError).toBeUndefined();
        expect(result.errors).toBe(0);
        // The pings have the channels the held streams leave (72 - 60 = 12): they reuse warm streams
        // on those instead of opening one per request (the old agent opened 59–91 here).
        expect(opened).toBeLessThanOrEqual(2 * (stats.channelCapacity - held.length));
        // The long-lived streams were neither closed for the burst nor starved of their channels.
        for (const res of held) {
          expect(res.destroyed).toBe(false);
          expect(res.complete).toBe(false);
        }
      } finally {
        for (const res of events) res.destroy();
        agent.destroy();
      }
    });
  }, 90_000);
});
