import type { Server as HttpServer } from 'node:http';
import type { Server, Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { DockerClient, type HttpError } from '../../src/index.js';
import { startRawServer, type LocalServer } from '../helpers/servers.js';

// Audit 11.4: `json({ path: '/version', timeoutMs: 5000 })` was still waiting at 20 s because the
// implicit /_ping negotiation ignored timeoutMs. Every implicit request now has a deadline.

const servers: LocalServer<Server | HttpServer>[] = [];
const clients: DockerClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

type Answer = (socket: Socket, requestLine: string) => void;

/** A peer that reads requests and answers each as `answer` says (or not at all). */
async function peer(answer: Answer, options: ConstructorParameters<typeof DockerClient>[1] = {}): Promise<DockerClient> {
  const s = await startRawServer((socket) => {
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end = buffered.indexOf('\r\n\r\n');
      while (end !== -1) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(socket, head.split('\r\n')[0] ?? '');
        end = buffered.indexOf('\r\n\r\n');
      }
    });
  });
  servers.push(s);
  const client = new DockerClient(s.connect, options);
  clients.push(client);
  return client;
}

const PING_OK = 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK';

async function failure(p: Promise<unknown>): Promise<{ err: HttpError; ms: number }> {
  const started = Date.now();
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as HttpError,
  );
  return { err, ms: Date.now() - started };
}

describe('a daemon that never answers cannot hold a request past its deadline', () => {
  test('a request with timeoutMs fails in time when /_ping (the implicit negotiation) is never answered', async () => {
    const client = await peer(() => undefined);
    const { err, ms } = await failure(client.json({ path: '/version', timeoutMs: 300 }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe('the API version negotiation (GET /_ping) did not finish within timeoutMs (300 ms); raise timeoutMs or pin apiVersion');
    expect(ms).toBeLessThan(3000);
  });

  test('a request without timeoutMs still fails when /_ping is never answered, after negotiateTimeoutMs', async () => {
    const client = await peer(() => undefined, { negotiateTimeoutMs: 300 });
    const { err, ms } = await failure(client.json({ path: '/version' }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe(
      'the daemon did not answer GET /_ping (API version negotiation) within 300 ms; check that the stream reaches a running Docker daemon, raise negotiateTimeoutMs, or pin apiVersion',
    );
    expect(ms).toBeLessThan(3000);
  });

  test('headers that stop half-way in /_ping are bounded by negotiateTimeoutMs', async () => {
    const client = await peer((socket) => socket.write('HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n'), { negotiateTimeoutMs: 300 });
    const { err } = await failure(client.json({ path: '/version' }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.path).toBe('/_ping');
  });

  test('headers that stop half-way in the request itself are bounded by timeoutMs', async () => {
    const client = await peer((socket, line) => socket.write(line.includes('/_ping') ? PING_OK : 'HTTP/1.1 200 OK\r\nContent-Type: appl'));
    const { err, ms } = await failure(client.json({ path: '/version', timeoutMs: 300 }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe('no response headers within 300 ms; raise timeoutMs');
    expect(ms).toBeLessThan(3000);
  });

  test('a JSON body that stalls after the headers is bounded by timeoutMs', async () => {
    const client = await peer((socket, line) =>
      socket.write(line.includes('/_ping') ? PING_OK : 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Version":'),
    );
    const { err, ms } = await failure(client.json({ path: '/version', timeoutMs: 300 }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe('the response body did not complete within 300 ms; raise timeoutMs');
    expect(ms).toBeLessThan(3000);
  });

  test('a 101 answer to /_ping fails the negotiation at once as a protocol error', async () => {
    const client = await peer((socket) => socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n'));
    const { err, ms } = await failure(client.json({ path: '/version', timeoutMs: 5000 }));
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe('the daemon switched protocols on a request that did not ask to; check that the stream reaches a Docker daemon');
    expect(ms).toBeLessThan(2000);
  });

  test('a failed negotiation is retried by the next request, which succeeds once the daemon answers', async () => {
    let answer = false;
    const client = await peer((socket, line) => {
      if (!answer) return;
      socket.write(line.includes('/_ping') ? PING_OK : 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    }, { negotiateTimeoutMs: 200 });
    expect((await failure(client.json({ path: '/version' }))).err.code).toBe('ERR_HTTP_TIMEOUT');
    answer = true;
    await expect(client.json({ path: '/version', timeoutMs: 2000 })).resolves.toEqual({});
  });
});
