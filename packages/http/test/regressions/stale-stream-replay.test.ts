// A pooled stream (or the SSH connection under it) that dies as a request is sent: an idempotent
// request is replayed once on a fresh stream, a POST never is, and a response that began is never
// replayed. While a server that answered before refuses new connections (a restart), a GET waits
// for it, within reconnectWaitMs.
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { DockerClient, type HttpError } from '../../src/index.js';
import { startRawServer, type LocalServer } from '../helpers/servers.js';

const servers: LocalServer<Server>[] = [];
const clients: DockerClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK';

/** A server whose n-th request (from 0) is handled by `plan[n]`, the last one for every later request. */
async function planned(plan: ((socket: Socket) => void)[], options: ConstructorParameters<typeof DockerClient>[1] = {}, wrap?: (connect: () => Promise<Duplex>) => () => Promise<Duplex>) {
  let requests = 0;
  const s = await startRawServer((socket) => {
    socket.on('data', () => {
      const step = plan[Math.min(requests, plan.length - 1)];
      requests += 1;
      step?.(socket);
    });
  });
  servers.push(s);
  const client = new DockerClient(wrap === undefined ? s.connect : wrap(s.connect), { apiVersion: '1.41', ...options });
  clients.push(client);
  return { client, requests: () => requests, opened: s.opened };
}

const die = (socket: Socket): void => {
  socket.destroy();
};
const answer = (socket: Socket): void => {
  socket.write(OK);
};
/** Answers and closes the stream, so the next request needs a fresh one from the connector. */
const answerOnce = (socket: Socket): void => {
  socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nOK');
};

async function text(client: DockerClient, method = 'GET'): Promise<string> {
  const res = await client.request({ method, path: '/_ping', versioned: false });
  let out = '';
  for await (const chunk of res.body) out += String(chunk);
  return out;
}

function refused(): Error {
  return Object.assign(new Error('SSH connection refused'), { code: 'ERR_CONNECTION_REFUSED' });
}

describe('a stream that dies before any byte of the response', () => {
  test('a GET is replayed once on a fresh stream and succeeds', async () => {
    const { client, requests, opened } = await planned([die, answer]);
    expect(await text(client)).toBe('OK');
    expect(requests()).toBe(2);
    expect(opened()).toBe(2);
  });

  test('a HEAD is replayed too', async () => {
    const { client, requests } = await planned([die, (s) => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n')]);
    const res = await client.request({ method: 'HEAD', path: '/_ping', versioned: false });
    res.body.resume();
    expect(res.statusCode).toBe(200);
    expect(requests()).toBe(2);
  });

  test('a GET is replayed only once: the second death is reported', async () => {
    const { client, requests } = await planned([die]);
    const err = (await text(client).catch((e: unknown) => e)) as HttpError;
    expect(err).toMatchObject({ code: 'ERR_HTTP_CLOSED', causeCode: 'ECONNRESET' });
    expect(requests()).toBe(2);
  });

  test('a POST is reported, never replayed', async () => {
    const { client, requests } = await planned([die, answer]);
    const err = (await text(client, 'POST').catch((e: unknown) => e)) as HttpError;
    expect(err).toMatchObject({ code: 'ERR_HTTP_CLOSED', method: 'POST' });
    expect(requests()).toBe(1);
  });

  test('a GET with a stream body is not replayed (the body cannot be sent twice)', async () => {
    const { client, requests } = await planned([die, answer]);
    const { Readable } = await import('node:stream');
    const err = (await client.request({ path: '/_ping', versioned: false, body: Readable.from(['x']) }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(requests()).toBe(1);
  });

  test('a response that began is never replayed', async () => {
    const { client, requests } = await planned([(s) => s.end('HTTP/1.1 200 OK\r\nContent-Len'), answer]);
    const err = (await text(client).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(requests()).toBe(1);
  });

  test('retryIdempotent: false reports the first death', async () => {
    const { client, requests } = await planned([die, answer], { retryIdempotent: false });
    const err = (await text(client).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(requests()).toBe(1);
  });

  test('a stale kept-alive stream closed by the server as the next GET goes out is replayed', async () => {
    // The first request is answered and the stream kept; the server then closes it on the next request.
    const { client, requests, opened } = await planned([answer, die, answer]);
    expect(await text(client)).toBe('OK');
    expect(await text(client)).toBe('OK');
    expect(requests()).toBe(3);
    expect(opened()).toBe(2);
  });
});

describe('a server that refuses new connections after it answered (a restart)', () => {
  test('a GET waits for it with backoff and succeeds once it accepts again', async () => {
    let refusals = 0;
    const { client } = await planned([answerOnce], {}, (connect) => () => {
      if (refusals > 0) {
        refusals -= 1;
        return Promise.reject(refused());
      }
      return connect();
    });
    expect(await text(client)).toBe('OK');
    refusals = 4;
    expect(await text(client)).toBe('OK');
    expect(refusals).toBe(0);
  });

  test('a client that never reached the daemon reports a refusal at once: a wrong address is not a restart', async () => {
    const client = new DockerClient(() => Promise.reject(refused()), { apiVersion: '1.41' });
    clients.push(client);
    const started = Date.now();
    expect(await text(client).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_HTTP_CONNECT', causeCode: 'ERR_CONNECTION_REFUSED' });
    expect(Date.now() - started).toBeLessThan(200);
  });

  test('the wait is bounded by reconnectWaitMs, then the refusal is reported', async () => {
    let refuse = false;
    const { client } = await planned([answerOnce], { reconnectWaitMs: 300 }, (connect) => () => (refuse ? Promise.reject(refused()) : connect()));
    expect(await text(client)).toBe('OK');
    refuse = true;
    const started = Date.now();
    expect(await text(client).catch((e: unknown) => e)).toMatchObject({ code: 'ERR_HTTP_CONNECT', causeCode: 'ERR_CONNECTION_REFUSED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  test('the wait ends with the request\'s signal', async () => {
    let refuse = false;
    const { client } = await planned([answerOnce], {}, (connect) => () => (refuse ? Promise.reject(refused()) : connect()));
    expect(await text(client)).toBe('OK');
    refuse = true;
    const started = Date.now();
    const err = await client.request({ path: '/_ping', versioned: false, signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_HTTP_ABORTED' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a POST issued while the server refuses is reported at once', async () => {
    let refuse = false;
    const { client } = await planned([answerOnce], {}, (connect) => () => (refuse ? Promise.reject(refused()) : connect()));
    expect(await text(client)).toBe('OK');
    refuse = true;
    const started = Date.now();
    expect(await text(client, 'POST').catch((e: unknown) => e)).toMatchObject({ code: 'ERR_HTTP_CONNECT', causeCode: 'ERR_CONNECTION_REFUSED' });
    expect(Date.now() - started).toBeLessThan(200);
  });
});
