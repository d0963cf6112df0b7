import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { DockerClient, FALLBACK_API_VERSION, MAX_API_VERSION, type HttpError } from '../src/index.js';
import { startHttpServer, startRawServer, type LocalServer } from './helpers/servers.js';

const servers: LocalServer<Server | HttpServer>[] = [];
const clients: DockerClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A stand-in daemon: answers /_ping with the given API-Version and echoes every other request as JSON. */
async function daemon(apiVersion: string | undefined, extra?: (req: IncomingMessage, body: Buffer) => [number, string] | undefined) {
  const seen: Seen[] = [];
  const s = await startHttpServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url === '/_ping') {
        if (apiVersion !== undefined) res.setHeader('API-Version', apiVersion);
        res.end('OK');
        return;
      }
      const answer = extra?.(req, body);
      if (answer !== undefined) {
        res.statusCode = answer[0];
        res.end(answer[1]);
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, length: body.length }));
    });
  });
  servers.push(s);
  const client = new DockerClient(s.connect);
  clients.push(client);
  return { s, seen, client };
}

async function rejection(p: Promise<unknown>): Promise<HttpError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as HttpError,
  );
}

async function raw(onConnection: (socket: Socket) => void, options = {}) {
  const s = await startRawServer(onConnection);
  servers.push(s);
  const client = new DockerClient(s.connect, { apiVersion: '1.41', ...options });
  clients.push(client);
  return client;
}

describe('DockerClient', () => {
  test('the API version comes from /_ping and prefixes every path', async () => {
    const { client, seen } = await daemon('1.41');
    await client.json({ path: '/containers/json', query: { all: true, filters: { label: ['a=b'] }, limit: 3, skip: undefined } });
    expect(seen.map((r) => r.url)).toEqual(['/_ping', `/v1.41/containers/json?all=true&filters=${encodeURIComponent('{"label":["a=b"]}')}&limit=3`]);
    expect(await client.apiVersion()).toBe('1.41');
  });

  test('a daemon newer than MAX_API_VERSION is spoken to at MAX_API_VERSION', async () => {
    const { client } = await daemon('1.99');
    expect(await client.apiVersion()).toBe(MAX_API_VERSION);
  });

  test('a /_ping without API-Version falls back to FALLBACK_API_VERSION', async () => {
    const { client } = await daemon(undefined);
    expect(await client.apiVersion()).toBe(FALLBACK_API_VERSION);
  });

  test('a path that already has a version, or versioned: false, is sent as is', async () => {
    const { client, seen } = await daemon('1.41');
    await client.json({ path: '/v1.30/info' });
    await client.json({ path: '/info', versioned: false });
    expect(seen.map((r) => r.url)).toEqual(['/v1.30/info', '/info']);
  });

  test('bodies: Buffer and string with a length, objects as JSON, Readables chunked', async () => {
    const { client, seen } = await daemon('1.41');
    await client.json({ method: 'POST', path: '/a', body: Buffer.from('xyz') });
    await client.json({ method: 'POST', path: '/b', body: 'héllo' });
    await client.json({ method: 'POST', path: '/c', body: { Image: 'busybox' } });
    await client.json({ method: 'POST', path: '/d', body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]), headers: { 'Content-Type': 'application/x-tar' } });
    const [, a, b, c, d] = seen;
    expect([a!.headers['content-length'], a!.body.toString()]).toEqual(['3', 'xyz']);
    expect([b!.headers['content-length'], b!.body.toString()]).toEqual(['6', 'héllo']);
    expect([c!.headers['content-type'], c!.body.toString()]).toEqual(['application/json', '{"Image":"busybox"}']);
    expect([d!.headers['transfer-encoding'], d!.headers['content-type'], d!.body.toString()]).toEqual(['chunked', 'application/x-tar', 'abcd']);
  });

  test('a status of 400 or more is ERR_HTTP_STATUS with the JSON message of the daemon', async () => {
    const { client } = await daemon('1.41', () => [409, '{"message":"Conflict. The container name is already in use"}']);
    const err = await rejection(client.request({ method: 'POST', path: '/containers/create' }));
    expect(err.code).toBe('ERR_HTTP_STATUS');
    expect(err.message).toBe('the daemon answered 409; see err.daemonMessage');
    expect(err.statusCode).toBe(409);
    expect(err.daemonMessage).toBe('Conflict. The container name is already in use');
    expect([err.method, err.path]).toEqual(['POST', '/v1.41/containers/create']);
  });

  test('a plain-text error body is the daemon message as it is', async () => {
    const { client } = await daemon('1.41', () => [404, 'page not found\n']);
    const err = await rejection(client.request({ path: '/nope' }));
    expect(err.daemonMessage).toBe('page not found');
  });

  test('a daemon message that echoes a credential header has it removed', async () => {
    const auth = Buffer.from(JSON.stringify({ username: 'bob', password: 'hunter2-is-long' })).toString('base64url');
    const { client } = await daemon('1.41', (req) => [
      500,
      JSON.stringify({ message: `bad auth\n${String(req.headers['x-registry-auth'])}\npw=hunter2-is-long\ntoken=${String(req.headers['x-service-token'])}\nretry later` }),
    ]);
    const err = await rejection(client.request({ method: 'POST', path: '/images/create', headers: { 'X-Registry-Auth': auth, 'X-Service-Token': 'tok-123456' } }));
    const withheld = '[withheld: it held a credential of the request]';
    expect(err.daemonMessage).toBe(`bad auth\n${withheld}\n${withheld}\n${withheld}\nretry later`);
  });

  test('a header value with a control character is a TypeError that does not quote the value', async () => {
    const { client } = await daemon('1.41');
    const err = await rejection(client.request({ path: '/x', headers: { 'X-Registry-Auth': 'secret\r\nvalue' } }));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('header X-Registry-Auth has a character that is not allowed in a field value (CR, LF, NUL or another control); remove it');
  });

  test('caller mistakes are TypeErrors and RangeErrors naming the rule', async () => {
    const { client } = await daemon('1.41');
    expect((await rejection(client.request({ path: 'containers/json' }))).message).toBe(
      'path must start with "/" and have no spaces, "?" or "#"; put query parameters in query',
    );
    expect((await rejection(client.request({ path: '/x', method: 'get' }))).message).toBe('method must be an upper-case HTTP method such as "GET"');
    expect((await rejection(client.request({ path: '/x', timeoutMs: 0 }))).message).toBe('timeoutMs must be a positive integer');
    expect((await rejection(client.request({ path: '/x', headers: { 'Bad Name': 'v' } }))).message).toBe(
      'a header name must be an RFC 9110 token; remove spaces, colons and control characters from it',
    );
    expect(() => new DockerClient(() => Promise.resolve(new PassThrough()), { apiVersion: 'v1' })).toThrow(new RangeError('apiVersion must look like "1.41"'));
    expect(() => new DockerClient(() => Promise.resolve(new PassThrough()), { maxHeaderSize: 0 })).toThrow(new RangeError('maxHeaderSize must be a positive integer'));
  });

  test('a chunked response split into odd pieces arrives whole', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => {
        const wire = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\nA\r\nworld!!!!!\r\n0\r\n\r\n';
        let i = 0;
        const step = (): void => {
          if (i >= wire.length) return;
          socket.write(wire.slice(i, i + 3));
          i += 3;
          setImmediate(step);
        };
        step();
      });
    });
    const res = await client.request({ path: '/x' });
    let text = '';
    for await (const c of res.body) text += (c as Buffer).toString();
    expect(text).toBe('hello world!!!!!');
  });

  test('a bad chunk size is ERR_HTTP_PROTOCOL on the body stream', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\nnope\r\n'));
    });
    const res = await client.request({ path: '/x' });
    const err = await rejection((async () => {
      for await (const _ of res.body) {
        // drain
      }
    })());
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe('the response is not valid HTTP/1.1 (HPE_INVALID_CHUNK_SIZE); check that the stream reaches a Docker daemon');
  });

  test('response headers larger than maxHeaderSize are ERR_HTTP_PROTOCOL naming the limit', async () => {
    const client = await raw(
      (socket) => {
        socket.once('data', () => socket.write(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(4096)}\r\nContent-Length: 0\r\n\r\n`));
      },
      { maxHeaderSize: 1024 },
    );
    const err = await rejection(client.request({ path: '/x' }));
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe('the response headers are larger than maxHeaderSize (1024 bytes); raise maxHeaderSize if the daemon is trusted');
  });

  test('text instead of HTTP is ERR_REMOTE_NOT_HTTP quoting its first line, made printable', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => socket.end('This account is \x1b]0;pwned\x07currently not available.\r\nsecond line\n'));
    });
    const err = await rejection(client.request({ path: '/x' }));
    expect(err).toMatchObject({ code: 'ERR_REMOTE_NOT_HTTP', method: 'GET', path: '/v1.41/x' });
    expect(err.message).toBe(
      'the stream to the Docker daemon began with "This account is \\x1b]0;pwned\\x07currently not available.", not an HTTP answer: the remote account prints text of its own before the daemon answers — likely its login shell (nologin, a menu), a banner, or an rc file (~/.bashrc, ~/.profile) that prints in non-interactive sessions; `ssh USER@HOST true` must print nothing',
    );
  });

  test('a first line that is long or holds a URL password is cut and masked', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => socket.end(`see ssh://me:hunter2@example ${'x'.repeat(300)}\n`));
    });
    const err = await rejection(client.request({ path: '/x' }));
    expect(err.code).toBe('ERR_REMOTE_NOT_HTTP');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain(`"see ssh://me:[redacted]@example ${'x'.repeat(120 - 'see ssh://me:[redacted]@example '.length)}…"`);
  });

  test('bytes that begin like HTTP and then are not are still ERR_HTTP_PROTOCOL', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => socket.end('HTTP/9 what\r\n\r\n'));
    });
    const err = await rejection(client.request({ path: '/x' }));
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toMatch(/^the response is not valid HTTP\/1\.1 \(HPE_[A-Z_]+\); check that the stream reaches a Docker daemon$/);
  });

  test('a connection cut before the response is ERR_HTTP_CLOSED', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => socket.destroy());
    });
    const err = await rejection(client.request({ path: '/x' }));
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(err.message).toBe('the connection closed before the response was complete; see err.cause');
  });

  test('a connection cut in the middle of a body fails the body with ERR_HTTP_CLOSED', async () => {
    const client = await raw((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b');
        setTimeout(() => socket.destroy(), 20);
      });
    });
    const res = await client.request({ path: '/x' });
    const err = await new Promise<HttpError>((resolve) => {
      res.body.once('error', resolve);
      res.body.resume();
    });
    expect(err.code).toBe('ERR_HTTP_CLOSED');
  });

  test('a stream that fails in the middle of a body fails the body with ERR_HTTP_CLOSED whose cause is the stream\'s error', async () => {
    const s = await startRawServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b'));
    });
    servers.push(s);
    let opened: Duplex | undefined;
    const client = new DockerClient(async () => (opened = await s.connect()), { apiVersion: '1.41' });
    clients.push(client);
    const res = await client.request({ path: '/containers/c1/logs' });
    const lost = Object.assign(new Error('SSH connection to h was lost; the next request reconnects'), { code: 'ERR_CONNECTION_LOST' });
    const err = await new Promise<HttpError>((resolve) => {
      res.body.once('error', resolve);
      res.body.once('data', () => opened?.destroy(lost));
    });
    expect(err).toMatchObject({ code: 'ERR_HTTP_CLOSED', causeCode: 'ERR_CONNECTION_LOST', cause: lost, path: '/v1.41/containers/c1/logs' });
  });

  test('no response headers within timeoutMs is ERR_HTTP_TIMEOUT', async () => {
    const client = await raw(() => undefined);
    const err = await rejection(client.request({ path: '/x', timeoutMs: 30 }));
    expect(err.code).toBe('ERR_HTTP_TIMEOUT');
    expect(err.message).toBe('no response headers within 30 ms; raise timeoutMs');
  });

  test('an already aborted signal fails with ERR_HTTP_ABORTED before anything is sent', async () => {
    const { client, seen } = await daemon('1.41');
    const err = await rejection(client.request({ path: '/x', signal: AbortSignal.abort() }));
    expect(err.code).toBe('ERR_HTTP_ABORTED');
    expect(err.message).toBe('the request was aborted by its signal');
    // It does not even wait for the version negotiation it started.
    await client.apiVersion();
    expect(seen.map((r) => r.url)).toEqual(['/_ping']);
  });

  test('hijack resolves with the raw stream after 101, and end() only closes our write side', async () => {
    const client = await raw((socket) => {
      let head = '';
      const onData = (c: Buffer): void => {
        head += c.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        socket.off('data', onData);
        expect(head).toMatch(/^POST \/v1\.41\/exec\/abc\/start HTTP\/1\.1\r\n/);
        expect(head).toMatch(/\r\nUpgrade: tcp\r\n/i);
        socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nearly');
        let got = '';
        socket.on('data', (d: Buffer) => (got += d.toString()));
        // Our client half-closes: we still answer, then close our side.
        socket.once('end', () => socket.end(` after-eof:${got}`));
      };
      socket.on('data', onData);
    });
    const stream: Duplex = await client.hijack({ path: '/exec/abc/start', body: { Detach: false, Tty: false } });
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.end('stdin-bytes');
    await new Promise((r) => stream.once('end', r));
    expect(text).toBe('early after-eof:stdin-bytes');
  });

  test('hijack answered without 101 is ERR_HTTP_UPGRADE', async () => {
    const { client } = await daemon('1.41');
    const err = await rejection(client.hijack({ path: '/containers/x/attach' }));
    expect(err.code).toBe('ERR_HTTP_UPGRADE');
    expect(err.statusCode).toBe(200);
    expect(err.message).toBe('the daemon answered 200 instead of 101 to an upgrade request; does this endpoint support hijacking?');
  });

  test('json() beyond maxJsonBytes is ERR_HTTP_PROTOCOL naming the limit', async () => {
    const s = await startHttpServer((_req, res) => res.end(JSON.stringify({ pad: 'x'.repeat(2000) })));
    servers.push(s);
    const client = new DockerClient(s.connect, { apiVersion: '1.41', maxJsonBytes: 1000 });
    clients.push(client);
    const err = await rejection(client.json({ path: '/x' }));
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe('the response body is larger than maxJsonBytes (1000 bytes); stream it with request() or raise maxJsonBytes');
  });

  test('a closed client refuses new requests with ERR_HTTP_CLOSED', async () => {
    const { client } = await daemon('1.41');
    client.close();
    const err = await rejection(client.request({ path: '/x' }));
    expect(err.code).toBe('ERR_HTTP_CLOSED');
    expect(err.message).toBe('this DockerClient was closed; create a new one');
  });

  test('a failed version negotiation is retried by the next request', async () => {
    let fail = true;
    const s = await startHttpServer((req, res) => {
      if (req.url === '/_ping' && fail) {
        fail = false;
        res.statusCode = 500;
        res.end('{"message":"starting"}');
        return;
      }
      res.setHeader('API-Version', '1.40');
      res.end('{}');
    });
    servers.push(s);
    const client = new DockerClient(s.connect);
    clients.push(client);
    expect((await rejection(client.apiVersion())).daemonMessage).toBe('starting');
    expect(await client.apiVersion()).toBe('1.40');
  });

  test('diagnostics_channel messages carry the path without its query, and no header or body', async () => {
    const { client } = await daemon('1.41', () => [401, '{"message":"unauthorized"}']);
    await client.apiVersion();
    const names = ['request', 'response', 'error'].map((n) => `ssh-docker:http:${n}`);
    const messages: unknown[] = [];
    const onMessage = (m: unknown): void => {
      messages.push(m);
    };
    for (const n of names) subscribe(n, onMessage);
    try {
      await rejection(
        client.request({
          method: 'POST',
          path: '/auth',
          query: { token: 'query-secret-1234' },
          headers: { Authorization: 'Bearer header-secret-5678' },
          body: { password: 'body-secret-9012' },
        }),
      );
    } finally {
      for (const n of names) unsubscribe(n, onMessage);
    }
    expect(messages).toEqual([
      { method: 'POST', path: '/v1.41/auth' },
      { method: 'POST', path: '/v1.41/auth', statusCode: 401, durationMs: expect.any(Number) },
      { method: 'POST', path: '/v1.41/auth', code: 'ERR_HTTP_STATUS', statusCode: 401 },
    ]);
  });

  test('a request body stream that fails aborts the request with ERR_HTTP_ABORTED, keeping its error', async () => {
    const { client } = await daemon('1.41');
    await client.apiVersion();
    const broken = new Readable({
      read() {
        this.push('partial');
        this.destroy(new Error('disk read failed'));
      },
    });
    const err = await rejection(client.request({ method: 'POST', path: '/build', body: broken }));
    expect(err.code).toBe('ERR_HTTP_ABORTED');
    expect(err.message).toBe('the request body stream failed; see err.cause');
    expect((err.cause as Error).message).toBe('disk read failed');
  });
});
