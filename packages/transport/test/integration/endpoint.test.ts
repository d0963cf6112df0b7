/**
 * `socketVia: 'auto'` against the real fixture: which daemon dial-stdio reaches is learned beside the
 * first request, and later streams are direct-streamlocal channels only when that daemon is proven the
 * same. Each fallback is a fixture configured as the case demands (sshd_config, the users' DOCKER_HOST).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransport, DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver, waitFor } from './helpers.js';

type Route = { via: string; reason: string; settled: boolean; path?: string };

const routes: Route[] = [];
const onRoute = (message: unknown): void => {
  routes.push(message as Route);
};
beforeAll(() => {
  subscribe('ssh-docker:transport:route', onRoute);
});
afterAll(() => {
  unsubscribe('ssh-docker:transport:route', onRoute);
});

const open: DockerSshTransport[] = [];
afterEach(async () => {
  for (const transport of open.splice(0)) await transport.close({ timeoutMs: 0 });
  routes.length = 0;
});

function options(fixture: DockerSshFixture, extra: Partial<DockerSshTransportOptions> = {}): DockerSshTransportOptions {
  return { ...fixture.transportOptions(), ...extra };
}

function transportFor(fixture: DockerSshFixture, extra: Partial<DockerSshTransportOptions> = {}): DockerSshTransport {
  const transport = createDockerSshTransport(options(fixture, extra));
  open.push(transport);
  return transport;
}

/** The daemon's /info ID over a fresh stream of the transport. */
async function idOver(transport: DockerSshTransport): Promise<string> {
  const res = await httpOver(await transport.openStream(), '/info');
  expect(res.status).toBe(200);
  return (JSON.parse(res.body) as { ID: string }).ID;
}

/** The daemon's /info ID straight from its socket, on this side. */
function idAt(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath: socket, path: '/info' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve((JSON.parse(body) as { ID: string }).ID);
      });
    })
      .on('error', reject)
      .end();
  });
}

/** The first settled route published: discovery runs beside the requests, so it is waited for. */
async function settled(): Promise<Route> {
  expect(await waitFor(() => Promise.resolve(routes.some((r) => r.settled)), 15_000)).toBe(true);
  return routes.find((r) => r.settled) as Route;
}

describe('auto, against a fixture whose users reach their daemon at a non-default socket', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture();
  });
  afterAll(async () => {
    await fixture.stop();
  });

  it('answers the first request by dial-stdio without waiting, then opens direct-streamlocal channels to the socket DOCKER_HOST names', async () => {
    const transport = transportFor(fixture);
    const first = await transport.openStream();
    // The first stream was opened before discovery could decide: it is dial-stdio.
    expect(routes.filter((r) => r.settled)).toEqual([]);
    expect((await httpOver(first, '/_ping')).status).toBe(200);
    const route = await settled();
    expect(route).toMatchObject({ via: 'streamlocal', path: fixture.dockerSocket, settled: true });
    expect(route.reason).toBe(`auto: ${fixture.dockerSocket} is the daemon dial-stdio reaches (same /info ID)`);
    expect(transport.stats().socketVia).toBe('streamlocal');

    // A held stream now runs no remote process: no dial-stdio is left on the fixture.
    const held = await transport.openStream();
    expect(await waitFor(async () => (await fixture.countRemote('dial-stdio')) === 0, 5000)).toBe(true);
    expect((await httpOver(held, '/_ping', { keepAlive: true })).status).toBe(200);
    held.destroy();
    // …and it is the daemon at the fixture's socket, which dial-stdio reaches too.
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
  });

  it('never switches with socketVia dial-stdio, and check() says which path requests take and why', async () => {
    const pinned = transportFor(fixture, { socketVia: 'dial-stdio' });
    expect(await idOver(pinned)).toBe(await idAt(fixture.dockerSocket));
    const report = await pinned.check();
    expect(report.steps.find((s) => s.name === 'daemon ping')?.detail).toMatch(/; requests go by docker system dial-stdio \(socketVia 'dial-stdio'\)$/);
    expect(routes).toEqual([]);

    const auto = transportFor(fixture);
    const autoReport = await auto.check();
    expect(autoReport.ok).toBe(true);
    expect(autoReport.steps.find((s) => s.name === 'daemon ping')?.detail).toMatch(
      new RegExp(`; requests go by direct-streamlocal to ${fixture.dockerSocket} \\(auto: ${fixture.dockerSocket} is the daemon dial-stdio reaches \\(same /info ID\\)\\)$`),
    );
  });

  it('proves a user-given socketPath the same way, and keeps socketPath with dial-stdio working', async () => {
    const auto = transportFor(fixture, { socketPath: fixture.dockerSocket });
    await idOver(auto);
    expect(await settled()).toMatchObject({ via: 'streamlocal', path: fixture.dockerSocket });
    const pinned = transportFor(fixture, { socketPath: fixture.dockerSocket, socketVia: 'dial-stdio' });
    expect(await idOver(pinned)).toBe(await idAt(fixture.dockerSocket));
    expect(pinned.stats().socketVia).toBe('dial-stdio');
  });

  it('answers ERR_DAEMON_UNREACHABLE on the streamlocal path while dockerd is stopped, and works again after it starts', async () => {
    const transport = transportFor(fixture);
    await idOver(transport);
    expect(await settled()).toMatchObject({ via: 'streamlocal' });
    await fixture.stopDockerd();
    try {
      const err = await failure(transport.openStream().then((stream) => httpOver(stream, '/_ping')));
      expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
      expect(err.message).toContain('cannot reach its daemon');
    } finally {
      await fixture.startDockerd();
    }
    // Requests work again at once (by dial-stdio), and the endpoint, learned again beside them, is the socket.
    expect(await waitFor(async () => (await idOver(transport).catch(() => '')) === (await idAt(fixture.dockerSocket)) && transport.stats().socketVia === 'streamlocal', 20_000)).toBe(true);
  });
});

describe('auto stays on dial-stdio, and says why', () => {
  const fixtures: DockerSshFixture[] = [];
  const dirs: string[] = [];
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) server.close();
    for (const fixture of fixtures) await fixture.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  async function fixtureWith(extra: Parameters<typeof startDockerSshFixture>[0]): Promise<DockerSshFixture> {
    const fixture = await startDockerSshFixture({ isolation: 'loopback', ...extra });
    fixtures.push(fixture);
    return fixture;
  }
  /** A directory the fixture's users can traverse (as the fixture's own dir). */
  function scratch(): string {
    const dir = mkdtempSync('/tmp/sdk-endpoint-');
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  }
  /** A stand-in daemon on a unix socket the fixture's users may open: /_ping, and /info with `id()`. */
  async function fakeDaemon(id: () => string): Promise<string> {
    const path = join(scratch(), 'fake.sock');
    const server = createHttpServer((req, res) => {
      if (req.url?.endsWith('/info') === true) res.end(JSON.stringify({ ID: id() }));
      else res.end('OK');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    chmodSync(path, 0o666);
    return path;
  }

  it('when sshd_config forbids stream-local forwarding (AllowStreamLocalForwarding no)', async () => {
    const fixture = await fixtureWith({ allowStreamLocalForwarding: false });
    const transport = transportFor(fixture);
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    const route = await settled();
    expect(route).toEqual({
      host: fixture.host,
      port: fixture.port,
      via: 'dial-stdio',
      settled: true,
      reason: `auto: the SSH server refused direct-streamlocal to ${fixture.dockerSocket}: AllowStreamLocalForwarding no or DisableForwarding yes in its sshd_config, or the user may not open the socket`,
    });
    // Requests keep working, by dial-stdio.
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    expect(transport.stats().socketVia).toBe('dial-stdio');
  });

  it('when sshd_config says DisableForwarding yes', async () => {
    const fixture = await fixtureWith({ disableForwarding: true });
    const transport = transportFor(fixture);
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    expect(await settled()).toMatchObject({
      via: 'dial-stdio',
      settled: true,
      reason: `auto: the SSH server refused direct-streamlocal to ${fixture.dockerSocket}: AllowStreamLocalForwarding no or DisableForwarding yes in its sshd_config, or the user may not open the socket`,
    });
    const report = await transport.check();
    expect(report.steps.find((s) => s.name === 'daemon ping')?.detail).toMatch(/; requests go by docker system dial-stdio \(auto: the SSH server refused direct-streamlocal to .*\)$/);
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    expect(transport.stats().socketVia).toBe('dial-stdio');
  });

  it('when the remote DOCKER_HOST is tcp://', async () => {
    const fixture = await fixtureWith({ dockerHost: 'tcp://127.0.0.1:9' });
    const transport = transportFor(fixture);
    const err = await failure(transport.openStream().then((stream) => httpOver(stream, '/_ping')));
    expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
    const route = await settled();
    expect(route).toMatchObject({ via: 'dial-stdio', settled: true, reason: 'auto: the remote docker endpoint is tcp://, not a unix socket' });
  });

  it('when the socket is one the user may not open: requests fail ERR_DAEMON_UNREACHABLE, never a raw channel error', async () => {
    const dir = scratch();
    const path = join(dir, 'root-only.sock');
    const server = createNetServer((socket) => socket.destroy());
    servers.push(server as unknown as Server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    chmodSync(path, 0o600);
    const fixture = await fixtureWith({ dockerHost: `unix://${path}` });
    const transport = transportFor(fixture);
    for (let i = 0; i < 3; i++) {
      const err = await failure(transport.openStream().then((stream) => httpOver(stream, '/_ping')));
      expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
      expect(err.message).toContain('permission denied');
    }
    const route = routes.find((r) => r.reason.includes('did not reach'));
    expect(route).toMatchObject({ via: 'dial-stdio', settled: false, reason: 'auto: dial-stdio did not reach the daemon to compare with (ERR_DAEMON_UNREACHABLE)' });
    expect(transport.stats().socketVia).toBe('dial-stdio');
  });

  it('when the daemon at the socket answers with another ID than over dial-stdio', async () => {
    const path = await fakeDaemon(() => randomUUID());
    const fixture = await fixtureWith({ dockerHost: `unix://${path}` });
    const transport = transportFor(fixture);
    await idOver(transport);
    expect(await settled()).toMatchObject({ via: 'dial-stdio', settled: true, reason: `auto: the daemon at ${path} is not the one dial-stdio reaches (its /info ID differs)` });
    expect(transport.stats().socketVia).toBe('dial-stdio');
  });

  it('follows the remote DOCKER_HOST to another daemon: auto reaches exactly the daemon dial-stdio reaches', async () => {
    const path = await fakeDaemon(() => 'the-other-daemon');
    const fixture = await fixtureWith({ dockerHost: `unix://${path}` });
    const dialStdio = transportFor(fixture, { socketVia: 'dial-stdio' });
    const auto = transportFor(fixture);
    expect(await idOver(dialStdio)).toBe('the-other-daemon');
    expect(await idOver(auto)).toBe('the-other-daemon');
    expect(await settled()).toMatchObject({ via: 'streamlocal', path });
    expect(await idOver(auto)).toBe('the-other-daemon');
    expect(await idOver(auto)).not.toBe(await idAt(fixture.dockerSocket));
  });
});

describe('discovery rides the connection the requests opened: no connection, no authentication of its own', () => {
  let fixture: DockerSshFixture;
  let kbd: DockerSshFixture;
  beforeAll(async () => {
    [fixture, kbd] = await Promise.all([startDockerSshFixture(), startDockerSshFixture({ passwordAuthentication: false, keyboardInteractive: true })]);
  });
  afterAll(async () => {
    await Promise.all([fixture.stop(), kbd.stop()]);
  });

  /** Fills the first connection's nine channels at once, holds them, then lets them go: discovery must have waited for a slot. */
  async function fillThenRelease(transport: DockerSshTransport): Promise<void> {
    const held = await Promise.all(Array.from({ length: 9 }, () => transport.openStream()));
    expect(transport.stats()).toMatchObject({ connectsStarted: 1, connections: 1 });
    expect(routes.filter((r) => r.settled)).toEqual([]);
    for (const stream of held) stream.destroy();
  }

  it('waits for a free channel on the requests\' connection instead of opening another (key user, maxConnections 4)', async () => {
    const transport = transportFor(fixture);
    await fillThenRelease(transport);
    expect(await settled()).toMatchObject({ via: 'streamlocal', path: fixture.dockerSocket });
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 0, socketVia: 'streamlocal' });
  });

  it('switches with a password given directly as a Secret, which the one handshake spent', async () => {
    const password = Secret.from(fixture.password);
    const transport = transportFor(fixture, { user: fixture.passwordUser, password, identityFiles: [] });
    await fillThenRelease(transport);
    expect(await settled()).toMatchObject({ via: 'streamlocal', path: fixture.dockerSocket });
    expect(password.cleared).toBe(true);
    expect(await idOver(transport)).toBe(await idAt(fixture.dockerSocket));
    expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 0, socketVia: 'streamlocal' });
  });

  it('switches with keyboard-interactive and a direct Secret, after check() handed its connection over', async () => {
    const password = Secret.from(kbd.password);
    const transport = transportFor(kbd, { user: kbd.passwordUser, password, identityFiles: [] });
    const report = await transport.check();
    expect(report.ok).toBe(true);
    expect(report.steps.find((s) => s.name === 'auth')?.detail).toBe(`${kbd.passwordUser} by keyboard-interactive`);
    expect(report.steps.find((s) => s.name === 'daemon ping')?.detail).toMatch(
      new RegExp(`; requests go by direct-streamlocal to ${kbd.dockerSocket} \\(auto: ${kbd.dockerSocket} is the daemon dial-stdio reaches \\(same /info ID\\)\\)$`),
    );
    expect(password.cleared).toBe(true);
    expect(await idOver(transport)).toBe(await idAt(kbd.dockerSocket));
    expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 0, socketVia: 'streamlocal' });
  });

  it('switches with keyboard-interactive and a direct Secret when the first requests fill the connection', async () => {
    const password = Secret.from(kbd.password);
    const transport = transportFor(kbd, { user: kbd.passwordUser, password, identityFiles: [] });
    await fillThenRelease(transport);
    expect(await settled()).toMatchObject({ via: 'streamlocal', path: kbd.dockerSocket });
    expect(password.cleared).toBe(true);
    expect(await idOver(transport)).toBe(await idAt(kbd.dockerSocket));
    expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 0, socketVia: 'streamlocal' });
  });
});
