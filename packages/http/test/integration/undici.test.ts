import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, fetch, request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createUndiciConnector } from '../../src/index.js';
import { socketConnector, startFixture, type DockerFixture } from './fixture.js';

let fixture: DockerFixture;
let dispatcher: Agent;

beforeAll(async () => {
  fixture = await startFixture();
  dispatcher = new Agent({ connect: createUndiciConnector(socketConnector(fixture.dockerSocket)) });
});

afterAll(async () => {
  await dispatcher.close();
  await fixture.stop();
});

describe('undici 7 through createUndiciConnector', () => {
  test('fetch pings the daemon and sees its API version', async () => {
    const res = await fetch('http://docker/_ping', { dispatcher });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK');
    expect(res.headers.get('api-version')).toMatch(/^1\.\d+$/);
  });

  test('request streams an image download byte for byte as the direct socket does', async () => {
    const name = await fixture.makeImage('http-test/undici:32', { randomMiB: 32 });
    const path = `/images/${encodeURIComponent(name)}/get`;
    const direct = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest({ socketPath: fixture.dockerSocket, path, method: 'GET' }, resolve).once('error', reject).end();
    });
    const expected = createHash('sha256');
    for await (const chunk of direct) expected.update(chunk as Buffer);

    const started = Date.now();
    const res = await request(`http://docker${path}`, { dispatcher });
    expect(res.statusCode).toBe(200);
    const got = createHash('sha256');
    let bytes = 0;
    for await (const chunk of res.body) {
      got.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    const ms = Date.now() - started;
    process.stderr.write(`[http] undici image save: ${bytes} bytes in ${ms} ms (${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s)\n`);
    expect(bytes).toBeGreaterThan(32 * 1024 * 1024);
    expect(got.digest('hex')).toBe(expected.digest('hex'));
    await request(`http://docker/images/${encodeURIComponent(name)}?force=1`, { dispatcher, method: 'DELETE' }).then((r) => r.body.dump());
  });

  test('fetch reuses one kept-alive stream for five sequential requests', async () => {
    let opened = 0;
    const counting = new Agent({
      connections: 1,
      connect: createUndiciConnector(() => {
        opened += 1;
        return socketConnector(fixture.dockerSocket)();
      }),
    });
    try {
      for (let i = 0; i < 5; i += 1) {
        const res = await fetch('http://docker/_ping', { dispatcher: counting });
        expect(await res.text()).toBe('OK');
      }
      expect(opened).toBe(1);
    } finally {
      await counting.close();
    }
  });
});
