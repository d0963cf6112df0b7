import type { Server } from 'node:http';
import { PassThrough, type Duplex } from 'node:stream';
import { Agent, fetch } from 'undici';
import { afterEach, describe, expect, test } from 'vitest';
import { createUndiciConnector, type HttpError } from '../src/index.js';
import { startHttpServer, type LocalServer } from './helpers/servers.js';

const servers: LocalServer<Server>[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('createUndiciConnector', () => {
  test('fetch with the connector reaches the server behind it', async () => {
    const s = await startHttpServer((req, res) => res.end(`hello ${req.url}`));
    servers.push(s);
    const dispatcher = new Agent({ connect: createUndiciConnector(s.connect) });
    agents.push(dispatcher);
    const res = await fetch('http://docker/_ping', { dispatcher });
    expect(await res.text()).toBe('hello /_ping');
  });

  test('a failing connector fails fetch with ERR_HTTP_CONNECT as its cause', async () => {
    const dispatcher = new Agent({ connect: createUndiciConnector(() => Promise.reject(Object.assign(new Error('gone'), { code: 'ERR_TRANSPORT_CLOSED' }))) });
    agents.push(dispatcher);
    const err = (await fetch('http://docker/_ping', { dispatcher }).catch((e: unknown) => e)) as Error & { cause: HttpError };
    expect(err.cause.code).toBe('ERR_HTTP_CONNECT');
    expect(err.cause.causeCode).toBe('ERR_TRANSPORT_CLOSED');
    expect(err.cause.message).toBe('the connector failed to open a stream to the daemon (ERR_TRANSPORT_CLOSED); see err.cause for what the transport reported');
  });

  test('the callback is called exactly once: rejection, synchronous throw, late stream, stream', async () => {
    const cases: (() => Promise<Duplex>)[] = [
      () => Promise.reject(new Error('no')),
      () => {
        throw new Error('sync');
      },
      () => new Promise((resolve) => setTimeout(() => resolve(new PassThrough()), 40)),
      () => Promise.resolve(new PassThrough()),
    ];
    const outcomes: string[] = [];
    for (const connect of cases) {
      const connector = createUndiciConnector(connect, { connectTimeoutMs: 10 });
      const calls: (Error | null)[] = [];
      connector({ hostname: 'docker', protocol: 'http:', port: '' }, (...args) => {
        calls.push(args[0]);
      });
      await new Promise((r) => setTimeout(r, 80));
      expect(calls).toHaveLength(1);
      outcomes.push(calls[0] === null ? 'stream' : (calls[0] as HttpError).code);
    }
    expect(outcomes).toEqual(['ERR_HTTP_CONNECT', 'ERR_HTTP_CONNECT', 'ERR_HTTP_TIMEOUT', 'stream']);
  });

  test('options are checked when the connector is made', () => {
    expect(() => createUndiciConnector(() => Promise.resolve(new PassThrough()), { connectTimeoutMs: 0 })).toThrow(
      new RangeError('connectTimeoutMs must be a positive integer number of milliseconds'),
    );
  });
});
