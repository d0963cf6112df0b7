// Issue 12.5 against the real fixture: a user whose login shell is nologin gets "This account is
// currently not available." on every channel. Every client of this package says so with
// ERR_REMOTE_NOT_HTTP quoting that line, not with a parser's HPE_INVALID_CONSTANT.
import { request } from 'node:http';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport, type DockerSshTransport } from '@ssh-docker/transport';
import Docker from 'dockerode';
import { Agent as UndiciAgent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerAgent, createUndiciConnector, DockerClient, type HttpError } from '../../src/index.js';

let fixture: DockerSshFixture;
let transport: DockerSshTransport;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  // dial-stdio runs through the account's login shell: the one way the shell's text reaches the channel.
  transport = createDockerSshTransport({ ...fixture.transportOptions({ user: fixture.nologinUser }), socketVia: 'dial-stdio' });
});

afterAll(async () => {
  await transport.close({ timeoutMs: 2000 });
  await fixture.stop();
});

const QUOTED = 'the stream to the Docker daemon began with "This account is currently not available.", not an HTTP answer: ';
const CAUSES = 'likely its login shell (nologin, a menu), a banner, or an rc file (~/.bashrc, ~/.profile) that prints in non-interactive sessions';

describe('a remote account whose shell is nologin', () => {
  test('DockerClient fails with ERR_REMOTE_NOT_HTTP quoting the first line and naming the likely causes', async () => {
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    try {
      const err = (await client.json({ path: '/info' }).catch((e: unknown) => e)) as HttpError;
      expect(err).toMatchObject({ code: 'ERR_REMOTE_NOT_HTTP', method: 'GET', path: '/v1.41/info' });
      expect(err.message.startsWith(QUOTED)).toBe(true);
      expect(err.message).toContain(CAUSES);
    } finally {
      client.close();
    }
  });

  test('the agent (Node http, dockerode) fails with the same code', async () => {
    const agent = createDockerAgent(() => transport.openStream());
    try {
      const viaNode = await new Promise<unknown>((resolve) => {
        const req = request({ agent, host: 'docker', path: '/_ping' }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on('error', resolve);
        req.end();
      });
      expect(viaNode).toMatchObject({ code: 'ERR_REMOTE_NOT_HTTP' });
      const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
      const viaDockerode = await docker.ping().catch((e: unknown) => e);
      expect(viaDockerode).toMatchObject({ code: 'ERR_REMOTE_NOT_HTTP' });
      expect((viaDockerode as Error).message).toContain(QUOTED);
    } finally {
      agent.destroy();
    }
  });

  test('undici fetch fails with it as the cause', async () => {
    const dispatcher = new UndiciAgent({ connect: createUndiciConnector(() => transport.openStream()) });
    try {
      const err = (await fetch('http://docker/_ping', { dispatcher }).catch((e: unknown) => e)) as Error & { cause?: unknown };
      expect(err.cause).toMatchObject({ code: 'ERR_REMOTE_NOT_HTTP' });
    } finally {
      await dispatcher.close();
    }
  });
});
