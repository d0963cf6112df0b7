// Issue 12.4 against the real fixture: sshd is restarted (or killed) while requests run. Idempotent
// requests whose stream or connection died before any byte of their answer are replayed once on a
// fresh stream, waiting for sshd to accept again; a POST is reported with our code, never replayed.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport, type DockerSshTransport } from '@ssh-docker/transport';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DockerClient, type HttpError } from '../../src/index.js';

let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

function transportFor(): DockerSshTransport {
  return createDockerSshTransport({ ...fixture.transportOptions(), connectTimeoutMs: 5000, keepaliveIntervalMs: 2000, keepaliveCountMax: 3 });
}

/** Counts requests sent per `METHOD path`, replays included, from the http package's diagnostics channel. */
function countSends(): { sends: (key: string) => number; stop: () => void } {
  const counts = new Map<string, number>();
  const onMessage = (message: unknown): void => {
    const { method, path } = message as { method: string; path: string };
    counts.set(`${method} ${path}`, (counts.get(`${method} ${path}`) ?? 0) + 1);
  };
  subscribe('ssh-docker:http:request', onMessage);
  return { sends: (key) => counts.get(key) ?? 0, stop: () => unsubscribe('ssh-docker:http:request', onMessage) };
}

async function ping(client: DockerClient): Promise<string> {
  const res = await client.request({ path: '/_ping', versioned: false, timeoutMs: 20_000 });
  let text = '';
  for await (const chunk of res.body) text += String(chunk);
  return text;
}

describe('sshd restarted under load', () => {
  test('every GET of a burst succeeds while sshd is restarted twice mid-burst', async () => {
    const transport = transportFor();
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    const counter = countSends();
    const TOTAL = 400;
    const failures: string[] = [];
    let issued = 0;
    let done = 0;
    let restarting: Promise<void> = Promise.resolve();
    try {
      expect(await ping(client)).toBe('OK');
      const worker = async (): Promise<void> => {
        while (issued < TOTAL) {
          issued += 1;
          try {
            const text = await ping(client);
            if (text !== 'OK') failures.push(`answer ${text}`);
          } catch (err) {
            failures.push(`${(err as HttpError).code}/${(err as HttpError).causeCode ?? ''}`);
          }
          done += 1;
          if (done === 100 || done === 250) restarting = restarting.then(() => fixture.restartSshd());
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      await restarting;
      expect(failures).toEqual([]);
      // The restarts did hit requests in flight: some were sent twice.
      expect(counter.sends('GET /_ping')).toBeGreaterThan(TOTAL + 1);
      expect(transport.stats().connectsStarted).toBeGreaterThanOrEqual(3);
    } finally {
      counter.stop();
      client.close();
      await transport.close({ timeoutMs: 2000 });
    }
  });

  test('a POST the daemon is working on when sshd dies fails with ERR_HTTP_CLOSED and is not replayed; a GET then waits for the restart', async () => {
    const transport = transportFor();
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    const counter = countSends();
    let id = '';
    try {
      // A container that notes each SIGTERM and ignores it: `stop?t=30` then keeps its POST open for 30 s.
      ({ Id: id } = await client.json<{ Id: string }>({
        method: 'POST',
        path: '/containers/create',
        body: { Image: fixture.image, Cmd: ['sh', '-c', "trap 'echo got-term' TERM; while true; do sleep 0.1; done"], HostConfig: { NetworkMode: 'none' } },
      }));
      (await client.request({ method: 'POST', path: `/containers/${id}/start` })).body.resume();
      const logs = async (): Promise<string> => {
        const res = await client.request({ path: `/containers/${id}/logs`, query: { stdout: true } });
        let text = '';
        for await (const chunk of res.body) text += String(chunk);
        return text;
      };
      const stopping = client.request({ method: 'POST', path: `/containers/${id}/stop`, query: { t: 30 } }).then(
        () => undefined,
        (err: unknown) => err as HttpError,
      );
      // The daemon has the POST once the container got its SIGTERM.
      for (const until = Date.now() + 10_000; !(await logs()).includes('got-term') && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      expect(await logs()).toContain('got-term');
      await fixture.killSshd();
      expect(await stopping).toMatchObject({ code: 'ERR_HTTP_CLOSED', causeCode: 'ERR_CONNECTION_LOST', method: 'POST' });
      // A GET issued while sshd is down waits for it (within reconnectWaitMs) instead of failing.
      const waiting = client.json<{ Id: string }>({ path: `/containers/${id}/json` });
      await fixture.restartSshd();
      expect((await waiting).Id).toBe(id);
      expect(counter.sends(`POST /v1.41/containers/${id}/stop`)).toBe(1);
      expect((await logs()).match(/got-term/g)).toHaveLength(1);
    } finally {
      counter.stop();
      await fixture.restartSshd();
      if (id !== '') (await client.request({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } })).body.resume();
      client.close();
      await transport.close({ timeoutMs: 2000 });
    }
  });
});
