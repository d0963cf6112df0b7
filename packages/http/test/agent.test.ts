import { request, type Agent, type IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createDockerAgent, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_SOCKETS, type HttpError } from '../src/index.js';
import { startHttpServer, type LocalServer } from './helpers/servers.js';
import type { Server } from 'node:http';

const servers: LocalServer<Server>[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) a.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function okServer(): Promise<LocalServer<Server>> {
  const s = await startHttpServer((req, res) => {
    res.setHeader('Content-Type', 'text/plain');
    res.end(`${req.method} ${req.url}`);
  });
  servers.push(s);
  return s;
}

function get(agent: Agent, path = '/_ping'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ agent, host: 'docker', path }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .once('error', reject)
      .end();
  });
}

/** Polls `check` until it holds or `ms` pass; a fixed sleep would race a loaded machine's timers. */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return check();
}

function failure(agent: Agent): Promise<HttpError> {
  return get(agent).then(
    () => {
      throw new Error('the request should have failed');
    },
    (err: unknown) => err as HttpError,
  );
}

describe('createDockerAgent', () => {
  test('sequential requests reuse one kept-alive stream', async () => {
    const s = await okServer();
    const agent = createDockerAgent(s.connect);
    agents.push(agent);
    for (let i = 0; i < 5; i += 1) expect(await get(agent, `/v1.41/n${i}`)).toEqual({ status: 200, body: `GET /v1.41/n${i}` });
    expect(s.opened()).toBe(1);
  });

  test('a kept-alive stream the other side closed is dropped, and the next request opens a fresh one', async () => {
    const s = await startHttpServer((req, res) => {
      const { socket } = req;
      res.end('ok', () => setTimeout(() => socket.end(), 10));
    });
    servers.push(s);
    const agent = createDockerAgent(s.connect);
    agents.push(agent);
    expect(await get(agent)).toEqual({ status: 200, body: 'ok' });
    expect(await until(() => Object.values(agent.freeSockets).flat().length === 0, 2000)).toBe(true);
    expect(await get(agent)).toEqual({ status: 200, body: 'ok' });
    expect(s.opened()).toBe(2);
  });

  test('concurrent requests open one stream each, up to maxSockets', async () => {
    const s = await okServer();
    const agent = createDockerAgent(s.connect, { maxSockets: 3 });
    agents.push(agent);
    await Promise.all(Array.from({ length: 9 }, () => get(agent)));
    expect(s.opened()).toBe(3);
  });

  test('an idle kept-alive stream is closed after idleTimeoutMs', async () => {
    const s = await okServer();
    const agent = createDockerAgent(s.connect, { idleTimeoutMs: 50 });
    agents.push(agent);
    await get(agent);
    expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
    // Well under the default idle timeout, so only the 50 ms given can have closed it.
    expect(await until(() => Object.values(agent.freeSockets).flat().length === 0, 1000)).toBe(true);
    await get(agent);
    expect(s.opened()).toBe(2);
  });

  test('a plain Duplex without socket methods works as a connection', async () => {
    const s = await okServer();
    const agent = createDockerAgent(() => {
      const sock = netConnect(s.path);
      // Duplex.from gives a stream with no setTimeout/setKeepAlive/ref/unref, as a generic channel may be.
      return Promise.resolve(Duplex.from({ readable: sock, writable: sock }));
    });
    agents.push(agent);
    expect(await get(agent)).toEqual({ status: 200, body: 'GET /_ping' });
    expect(await get(agent)).toEqual({ status: 200, body: 'GET /_ping' });
  });

  test('a plain Duplex kept alive is closed after idleTimeoutMs too', async () => {
    const s = await okServer();
    const streams: Duplex[] = [];
    const agent = createDockerAgent(
      () => {
        const sock = netConnect(s.path);
        const plain = Duplex.from({ readable: sock, writable: sock });
        streams.push(plain);
        return Promise.resolve(plain);
      },
      { idleTimeoutMs: 50 },
    );
    agents.push(agent);
    await get(agent);
    await get(agent);
    expect(streams).toHaveLength(1);
    expect(await until(() => streams[0]!.destroyed, 1000)).toBe(true);
  });

  test('a connector that rejects fails the request with ERR_HTTP_CONNECT, keeping its error and code', async () => {
    const cause = Object.assign(new Error('lost'), { code: 'ERR_CONNECTION_LOST' });
    const agent = createDockerAgent(() => Promise.reject(cause));
    agents.push(agent);
    const err = await failure(agent);
    expect(err.code).toBe('ERR_HTTP_CONNECT');
    expect(err.message).toBe('the connector failed to open a stream to the daemon (ERR_CONNECTION_LOST); see err.cause for what the transport reported');
    expect(err.cause).toBe(cause);
    expect(err.causeCode).toBe('ERR_CONNECTION_LOST');
  });

  test('a connector that throws synchronously fails the request with ERR_HTTP_CONNECT', async () => {
    const agent = createDockerAgent(() => {
      throw new Error('boom');
    });
    agents.push(agent);
    const err = await failure(agent);
    expect(err.code).toBe('ERR_HTTP_CONNECT');
    expect(err.message).toBe('the connector failed to open a stream to the daemon; see err.cause for what the transport reported');
    expect(err.causeCode).toBeUndefined();
  });

  test('a connector slower than connectTimeoutMs fails with ERR_HTTP_TIMEOUT and its late stream is destroyed', async () => {
    const late = new PassThrough();
    const agent = createDockerAgent(() => new Promise((resolve) => setTimeout(() => resolve(late), 100)), { connectTimeoutMs: 20 });
    agents.push(agent);
    const err = await failure(agent);
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe('the connector did not open a stream within 20 ms; raise connectTimeoutMs or check the transport');
    await new Promise((r) => setTimeout(r, 150));
    expect(late.destroyed).toBe(true);
  });

  test('a connector that resolves with something else than a Duplex fails with ERR_HTTP_CONNECT', async () => {
    const agent = createDockerAgent(() => Promise.resolve(JSON.parse('{}') as Duplex));
    agents.push(agent);
    const err = await failure(agent);
    expect(err.code).toBe('ERR_HTTP_CONNECT');
    expect(err.message).toBe('the connector resolved with something that is not a Duplex stream; resolve with the stream it opened');
  });

  test('a stream destroyed before it is used fails with ERR_HTTP_CONNECT: the transport\'s error as cause, or a hint when there is none', async () => {
    const lost = Object.assign(new Error('SSH connection to h was lost; the request can be retried'), { code: 'ERR_CONNECTION_LOST' });
    // As the transport's DockerStream does, the stream has a listener, so its error is not uncaught.
    const dropped = createDockerAgent(() => Promise.resolve(new PassThrough().on('error', () => undefined).destroy(lost)));
    const closed = createDockerAgent(() => Promise.resolve(new PassThrough().destroy()));
    agents.push(dropped, closed);
    const err = await failure(dropped);
    expect(err).toMatchObject({ code: 'ERR_HTTP_CONNECT', causeCode: 'ERR_CONNECTION_LOST', cause: lost });
    expect(err.message).toBe('the connector failed to open a stream to the daemon (ERR_CONNECTION_LOST); see err.cause for what the transport reported');
    const err2 = await failure(closed);
    expect(err2.code).toBe('ERR_HTTP_CONNECT');
    expect(err2.message).toBe('the connector resolved with a stream that is already destroyed; open a fresh stream per call');
  });

  test('a stream that fails mid-response fails the response with ERR_HTTP_CLOSED carrying the stream\'s error, not Node\'s bare `aborted`', async () => {
    const s = await startHttpServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first line\n');
    });
    servers.push(s);
    let opened: Duplex | undefined;
    const agent = createDockerAgent(async () => (opened = await s.connect()));
    agents.push(agent);
    const failed = new Promise<{ err: Error; res: IncomingMessage }>((resolve, reject) => {
      request({ agent, host: 'docker', method: 'GET', path: '/containers/c1/logs?follow=1&buildargs=s3cr3t' }, (res: IncomingMessage) => {
        res.once('data', () => {
          // What the transport does when the SSH connection drops under a channel.
          opened?.destroy(Object.assign(new Error('SSH connection to h was lost; the next request reconnects'), { code: 'ERR_CONNECTION_LOST' }));
        });
        res.once('error', (err: Error) => {
          resolve({ err, res });
        });
        res.once('end', () => {
          reject(new Error('the response should not end cleanly'));
        });
      })
        .once('error', () => undefined)
        .end();
    });
    const { err, res } = await failed;
    expect(err).toMatchObject({ name: 'HttpError', code: 'ERR_HTTP_CLOSED', causeCode: 'ERR_CONNECTION_LOST', method: 'GET', path: '/containers/c1/logs' });
    expect(JSON.stringify(err)).not.toContain('s3cr3t');
    expect(err.message).toBe('the connection closed before the response was complete; see err.cause');
    expect(res.complete).toBe(false);
  });

  test('a response that completed is left alone when its stream fails afterwards', async () => {
    const s = await okServer();
    let opened: Duplex | undefined;
    const agent = createDockerAgent(async () => (opened = await s.connect()));
    agents.push(agent);
    expect(await get(agent)).toEqual({ status: 200, body: 'GET /_ping' });
    opened?.destroy(Object.assign(new Error('lost'), { code: 'ERR_CONNECTION_LOST' }));
    // The idle stream is dropped from the pool; the next request opens a fresh one and succeeds.
    await new Promise((r) => setTimeout(r, 10));
    expect(await get(agent)).toEqual({ status: 200, body: 'GET /_ping' });
    expect(s.opened()).toBe(2);
  });

  test('a connector that returns no promise fails with ERR_HTTP_CONNECT', async () => {
    const agent = createDockerAgent((() => new PassThrough()) as unknown as () => Promise<Duplex>);
    agents.push(agent);
    const err = await failure(agent);
    expect(err.code).toBe('ERR_HTTP_CONNECT');
    expect(err.message).toBe('the connector must return a Promise of a Duplex; make it an async function');
  });

  test('createConnection calls back exactly once whatever the connector does', async () => {
    const cases: (() => Promise<Duplex>)[] = [
      () => Promise.reject(new Error('no')),
      () => {
        throw new Error('sync');
      },
      () => new Promise((resolve) => setTimeout(() => resolve(new PassThrough()), 40)),
      () => Promise.resolve(new PassThrough()),
    ];
    for (const connect of cases) {
      const agent = createDockerAgent(connect, { connectTimeoutMs: 10 });
      agents.push(agent);
      const calls: unknown[] = [];
      agent.createConnection({}, (err) => calls.push(err));
      await new Promise((r) => setTimeout(r, 80));
      expect(calls).toHaveLength(1);
    }
  });

  test('an aborted request leaks no stream its connector opens later: closed (Node 20) or pooled for reuse (Node 24), and closed with the agent', async () => {
    const late = new PassThrough();
    const agent = createDockerAgent(() => new Promise((resolve) => setTimeout(() => resolve(late), 50)));
    agents.push(agent);
    const controller = new AbortController();
    const done = new Promise<Error>((resolve) => {
      request({ agent, host: 'docker', path: '/', signal: controller.signal }).once('error', resolve).end();
    });
    controller.abort();
    expect((await done).name).toBe('AbortError');
    await new Promise((r) => setTimeout(r, 100));
    // Node 20's Agent destroys a socket that arrives for an aborted request; Node 24's keeps it free.
    const pooled = Object.values(agent.freeSockets).some((list) => list?.includes(late as never) === true);
    expect(late.destroyed || pooled).toBe(true);
    agent.destroy();
    expect(late.destroyed).toBe(true);
  });

  test('destroying the agent fails requests still waiting for a stream with ERR_HTTP_CLOSED', async () => {
    const s = await startHttpServer((_req, res) => {
      res.write('never ends');
    });
    servers.push(s);
    const agent = createDockerAgent(s.connect, { maxSockets: 1 });
    // The first request holds the only stream (its response never ends); destroy() cuts it.
    void get(agent).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    const waiting = failure(agent);
    await new Promise((r) => setTimeout(r, 20));
    agent.destroy();
    const err = await waiting;
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(err.message).toBe('the agent was destroyed; create a new one for new requests');
    const after = await failure(agent);
    expect(after.code).toBe('ERR_HTTP_CLOSED');
  });

  test('limits are checked when the agent is made', () => {
    const connect = (): Promise<Duplex> => Promise.resolve(new PassThrough());
    expect(() => createDockerAgent('nope' as unknown as () => Promise<Duplex>)).toThrow(
      new TypeError('connect must be a function returning a Promise of a Duplex, e.g. () => transport.openStream()'),
    );
    expect(() => createDockerAgent(connect, { maxSockets: 0 })).toThrow(new RangeError('maxSockets must be a positive integer or Infinity'));
    expect(() => createDockerAgent(connect, { idleTimeoutMs: -1 })).toThrow(new RangeError('idleTimeoutMs must be a positive integer number of milliseconds'));
    expect(() => createDockerAgent(connect, { connectTimeoutMs: 1.5 })).toThrow(
      new RangeError('connectTimeoutMs must be a positive integer number of milliseconds'),
    );
    const agent = createDockerAgent(connect);
    agents.push(agent);
    expect(agent.maxSockets).toBe(DEFAULT_MAX_SOCKETS);
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(30_000);
  });
});
