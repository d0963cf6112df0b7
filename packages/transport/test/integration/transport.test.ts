import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture, FixtureTransportOptions } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import { httpOver } from './helpers.js';

let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

function baseOptions(): FixtureTransportOptions {
  return fixture.transportOptions();
}

describe('the transport against a real sshd and dockerd', () => {
  it('pings the daemon over one dial-stdio channel with key auth', async () => {
    const transport = createDockerSshTransport(baseOptions());
    try {
      const stream = await transport.openStream();
      const res = await httpOver(stream, '/_ping');
      expect(res.status).toBe(200);
      expect(res.body).toBe('OK');
      expect(transport.stats().readyConnections).toBe(1);
    } finally {
      await transport.close();
    }
  });
});
