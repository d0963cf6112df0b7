import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { failingRequests, forbidden } from './helpers/credentials.js';
import { socketConnector, startFixture, type DockerFixture } from './fixture.js';

let fixture: DockerFixture;

beforeAll(async () => {
  fixture = await startFixture();
});

afterAll(async () => {
  await fixture.stop();
});

function expectNoSecret(text: string): void {
  for (const secret of forbidden) expect(text).not.toContain(secret);
}

const CHANNELS = ['request', 'response', 'error', 'connect', 'proxy'].map((n) => `ssh-docker:http:${n}`);

describe('credential headers never leave the wire', () => {
  test('failed requests carrying X-Registry-Auth and other credentials leave no trace in errors or diagnostics_channel', async () => {
    const messages: unknown[] = [];
    const onMessage = (message: unknown, name: string | symbol): void => {
      messages.push({ name: String(name), message });
    };
    for (const name of CHANNELS) subscribe(name, onMessage);
    let errors;
    try {
      errors = await failingRequests(socketConnector(fixture.dockerSocket));
    } finally {
      for (const name of CHANNELS) unsubscribe(name, onMessage);
    }
    expect(errors.map((e) => e.code)).toEqual(['ERR_HTTP_STATUS', 'ERR_HTTP_UPGRADE', 'ERR_HTTP_CONNECT']);
    // The pull was really refused by the daemon, which had the credentials in hand.
    expect(errors[0]!.statusCode).toBeGreaterThanOrEqual(400);
    expect(errors[0]!.daemonMessage).toMatch(/127\.0\.0\.1:1/);
    expect(errors[2]!.causeCode).toBe('ERR_CHANNEL_REFUSED');
    for (const err of errors) {
      expectNoSecret(String(err));
      expectNoSecret(err.stack ?? '');
      expectNoSecret(inspect(err, { showHidden: true, depth: null }));
      expectNoSecret(JSON.stringify(err));
      expectNoSecret(JSON.stringify(err.daemonMessage ?? ''));
    }
    expect(messages.length).toBeGreaterThan(4);
    expectNoSecret(inspect(messages, { showHidden: true, depth: null }));
    expectNoSecret(JSON.stringify(messages));
  });

  test('the same requests under NODE_DEBUG=ssh-docker:http print debug lines without any credential', async () => {
    const here = dirname(fileURLToPath(import.meta.url));
    // util.debuglog reads NODE_DEBUG when the process starts: run the requests in a child process.
    const viteNode = join(dirname(createRequire(createRequire(import.meta.url).resolve('vitest/package.json')).resolve('vite-node/package.json')), 'vite-node.mjs');
    const child = spawn(process.execPath, [viteNode, join(here, 'helpers', 'credentials-child.ts')], {
      env: { ...process.env, NODE_DEBUG: 'ssh-docker:http', HTTP_TEST_DOCKER_SOCKET: fixture.dockerSocket },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(['ERR_HTTP_STATUS', 'ERR_HTTP_UPGRADE', 'ERR_HTTP_CONNECT']);
    const lines = stderr.split('\n').filter((l) => l.startsWith('SSH-DOCKER:HTTP'));
    expect(lines.some((l) => l.includes('request failed') && l.includes('code=ERR_HTTP_STATUS'))).toBe(true);
    expect(lines.some((l) => l.includes('connect failed') && l.includes('causeCode=ERR_CHANNEL_REFUSED'))).toBe(true);
    expectNoSecret(stderr);
  });
});
