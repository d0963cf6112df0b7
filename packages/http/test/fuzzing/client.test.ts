import type { Server, Socket } from 'node:net';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { DockerClient, type HttpError } from '../../src/index.js';
import { startRawServer, type LocalServer } from '../helpers/servers.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const OUR_CODES = ['ERR_HTTP_STATUS', 'ERR_HTTP_PROTOCOL', 'ERR_HTTP_CLOSED', 'ERR_HTTP_TIMEOUT', 'ERR_REMOTE_NOT_HTTP'];

let server: LocalServer<Server>;
let next: Buffer = Buffer.alloc(0);
let client: DockerClient;

beforeAll(async () => {
  // Each connection gets the bytes of the current run once a request arrives, then is closed.
  server = await startRawServer((socket: Socket) => {
    const answer = next;
    socket.once('data', () => socket.end(answer));
    socket.on('error', () => undefined);
  });
  client = new DockerClient(server.connect, { apiVersion: '1.41', maxHeaderSize: 4096 });
});

afterAll(async () => {
  client.close();
  await server.close();
});

const statusLine = fc.constantFrom('HTTP/1.1 200 OK\r\n', 'HTTP/1.1 404 Not Found\r\n', 'HTTP/1.1 500 x\r\n', 'HTTP/1.0 200 OK\r\n', 'HTTP/1.1 101 UPGRADED\r\n');
const headerLine = fc.constantFrom('Content-Length: 5\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Type: application/json\r\n', 'Connection: close\r\n', `X-Big: ${'a'.repeat(5000)}\r\n`);
const tail = fc.constantFrom('\r\n', '\r\nhello', '\r\n5\r\nhello\r\n0\r\n\r\n', '\r\nZZ\r\n', '\r\n{"message":"no"}', '');
const structured = fc.tuple(statusLine, fc.array(headerLine, { maxLength: 4 }), tail).map(([s, h, t]) => Buffer.from(s + h.join('') + t));
const anyBytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

describe('DockerClient against hostile responses', () => {
  test.prop([fc.oneof(structured, anyBytes)], { numRuns })('for any bytes from the server, a request succeeds or fails with one of our codes', async (bytes) => {
    next = bytes;
    const outcome = await client
      .request({ path: '/x', timeoutMs: 2_000 })
      .then(async (res) => {
        for await (const _ of res.body) {
          // drain
        }
        return 'ok';
      })
      .catch((err: unknown) => (err as HttpError).code);
    expect(['ok', ...OUR_CODES]).toContain(outcome);
  });
});
