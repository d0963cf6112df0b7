import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import { Secret } from '@ssh-docker/url';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver, waitFor } from './helpers.js';

let fixture: DockerSshFixture;

beforeAll(async () => {
  // sshd accepts any variable a client sends, so that only the client's restraint keeps them out.
  fixture = await startDockerSshFixture({ acceptEnv: ['*'] });
});

afterAll(async () => {
  await fixture.stop();
});

/** How messages name the fixture: `host`, or `host:port` off port 22. */
function at(): string {
  return fixture.port === 22 ? fixture.host : `${fixture.host}:${fixture.port}`;
}

function options(extra: Partial<DockerSshTransportOptions> = {}): DockerSshTransportOptions {
  return {
    url: fixture.url,
    configFile: false,
    identityFiles: [fixture.identityFile],
    knownHostsFiles: [fixture.knownHostsFile],
    agent: false,
    ...extra,
  };
}

/** The environment of every remote `docker system dial-stdio` process, from /proc (same machine, own netns). */
function dialStdioEnvironments(): string[][] {
  const found: string[][] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes('dial-stdio')) found.push(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'));
    } catch {
      // The process ended meanwhile.
    }
  }
  return found;
}

describe('remote side', () => {
  it('sends no local environment variable to the remote dial-stdio', async () => {
    process.env['LC_SSH_DOCKER_CANARY'] = 'leaked';
    process.env['SSH_DOCKER_CANARY'] = 'leaked';
    const transport = createDockerSshTransport(options());
    try {
      const stream = await transport.openStream();
      const res = await httpOver(stream, '/_ping', { keepAlive: true });
      expect(res.status).toBe(200);
      // This fixture's own processes: its sshd's SetEnv put its daemon socket in their environment,
      // which also shows that the environment was read. Other fixtures on the machine are ignored.
      // The held stream's dial-stdio is one; socketVia auto's discovery may have one more open.
      const ours = dialStdioEnvironments().filter((environment) => environment.includes(`DOCKER_HOST=unix://${fixture.dockerSocket}`));
      expect(ours.length).toBeGreaterThanOrEqual(1);
      expect(ours.flat().filter((e) => e.includes('CANARY'))).toEqual([]);
      stream.destroy();
    } finally {
      delete process.env['LC_SSH_DOCKER_CANARY'];
      delete process.env['SSH_DOCKER_CANARY'];
      await transport.close();
    }
  });

  it('ends the remote dial-stdio when a stream is destroyed, leaving no orphan', async () => {
    const transport = createDockerSshTransport(options());
    try {
      const streams = await Promise.all(Array.from({ length: 5 }, () => transport.openStream()));
      await Promise.all(streams.map((s) => httpOver(s, '/_ping', { keepAlive: true })));
      // Polled: a dial-stdio of the test before may still be leaving the process table.
      expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 5, 5000)).toBe(true);
      for (const stream of streams) stream.destroy();
      expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
      // The remote process ends before sshd's channel close reaches us: the count follows shortly after.
      expect(await waitFor(() => Promise.resolve(transport.stats().openStreams === 0), 5000)).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('reports ERR_REMOTE_DOCKER_MISSING for a user without the docker CLI', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.noDockerUser }));
    try {
      const stream = await transport.openStream();
      const err = await failure(httpOver(stream, '/_ping'));
      expect(err.code).toBe('ERR_REMOTE_DOCKER_MISSING');
      expect(err.message).toContain(`the docker CLI was not found on ${at()} for user ${fixture.noDockerUser}: install it there`);
    } finally {
      await transport.close();
    }
  });

  it('reaches the daemon by streamlocal for a user without the docker CLI', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.noDockerUser, socketPath: fixture.dockerSocket, socketVia: 'streamlocal' }));
    try {
      const res = await httpOver(await transport.openStream(), '/_ping');
      expect(res.status).toBe(200);
      expect(res.body).toBe('OK');
    } finally {
      await transport.close();
    }
  });

  it('reaches the daemon through an explicit socketPath with dial-stdio', async () => {
    const transport = createDockerSshTransport(options({ socketPath: fixture.dockerSocket }));
    try {
      const res = await httpOver(await transport.openStream(), '/version');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toHaveProperty('ApiVersion');
    } finally {
      await transport.close();
    }
  });

  it('refuses a socketPath that could reach a remote shell, as a caller mistake', () => {
    expect(() => createDockerSshTransport(options({ socketPath: "/run/docker.sock'; reboot; '" }))).toThrow(
      new TypeError("socketPath must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'"),
    );
    expect(() => createDockerSshTransport(options({ socketPath: '/run/../etc/x' }))).toThrow(TypeError);
  });

  it('never uses the socket path of a URL', async () => {
    const transport = createDockerSshTransport(options({ url: `${fixture.url}/nonexistent/evil.sock` }));
    try {
      const res = await httpOver(await transport.openStream(), '/_ping');
      expect(res.status).toBe(200);
    } finally {
      await transport.close();
    }
  });

  it('reports ERR_DAEMON_UNREACHABLE while dockerd is stopped, and works again after it starts', async () => {
    const transport = createDockerSshTransport(options());
    try {
      await fixture.stopDockerd();
      const err = await failure(transport.openStream().then((s) => httpOver(s, '/_ping')));
      expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
      expect(err.message).toContain(`docker on ${at()} cannot reach its daemon: start dockerd there`);
      await fixture.startDockerd();
      const res = await httpOver(await transport.openStream(), '/_ping');
      expect(res.status).toBe(200);
    } finally {
      await transport.close();
    }
  });

  it('diagnoses every step with check()', async () => {
    const transport = createDockerSshTransport(options());
    try {
      const report = await transport.check();
      expect(report.steps.filter((s) => s.status !== 'ok')).toEqual([]);
      expect(report.steps.map((s) => [s.name, s.status])).toEqual([
        ['resolve', 'ok'],
        ['tcp', 'ok'],
        ['host key', 'ok'],
        ['auth', 'ok'],
        ['docker CLI', 'ok'],
        ['daemon ping', 'ok'],
        ['API version', 'ok'],
        ['round trip', 'ok'],
      ]);
      expect(report.ok).toBe(true);
      const hostKey = report.steps.find((s) => s.name === 'host key');
      expect(hostKey?.detail).toMatch(/^ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} \(known\)$/);
      expect(report.steps.find((s) => s.name === 'auth')?.detail).toBe(`${fixture.user} by publickey`);
    } finally {
      await transport.close();
    }
  });

  it('hands the connection a passing check() made to the requests that follow: one handshake, and a password given directly is not needed again', async () => {
    const password = Secret.from(fixture.password);
    const transport = createDockerSshTransport(options({ user: fixture.passwordUser, identityFiles: [], password }));
    try {
      const report = await transport.check();
      expect(report.ok).toBe(true);
      expect(report.steps.find((s) => s.name === 'auth')?.detail).toMatch(new RegExp(`^${fixture.passwordUser} by (password|keyboard-interactive)$`));
      // Spent by the handshake, as always: only adopting that connection lets requests go on without it.
      expect(password.cleared).toBe(true);
      expect(transport.stats()).toMatchObject({ connections: 1, readyConnections: 1, connectsStarted: 1 });
      const streams = await Promise.all([transport.openStream(), transport.openStream()]);
      const answers = await Promise.all(streams.map((s) => httpOver(s, '/_ping')));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      expect(transport.stats()).toMatchObject({ connections: 1, connectsStarted: 1, connectsFailed: 0, streamsOpened: 2 });
      // The check's own channel was given back: all the slots are free again.
      expect(await waitFor(() => Promise.resolve(transport.stats().openStreams === 0), 5000)).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('keeps its own connection when check() fails, and closes it', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.noDockerUser }));
    try {
      expect((await transport.check()).ok).toBe(false);
      expect(transport.stats()).toMatchObject({ connections: 0, connectsStarted: 0 });
      expect(await waitFor(async () => (await fixture.countRemote(`sshd: ${fixture.noDockerUser}`)) === 0, 5000)).toBe(true);
    } finally {
      await transport.close();
    }
  });

  it('check() names the failing step and its fix when the user has no docker CLI', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.noDockerUser }));
    try {
      const report = await transport.check();
      expect(report.ok).toBe(false);
      const step = report.steps.find((s) => s.status === 'failed');
      expect(step?.name).toBe('docker CLI');
      expect(step?.code).toBe('ERR_REMOTE_DOCKER_MISSING');
      expect(step?.fix).toBe('install the docker CLI on the host and make sure it is on the PATH of non-interactive SSH sessions, or reach the socket with `socketPath` and `socketVia: \'streamlocal\'`');
      expect(report.steps.slice(-3).map((s) => s.status)).toEqual(['skipped', 'skipped', 'skipped']);
    } finally {
      await transport.close();
    }
  });
  it('check() says ERR_REMOTE_NOT_HTTP, quoting what the nologin shell printed, for a user whose shell is nologin', async () => {
    const transport = createDockerSshTransport(options({ user: fixture.nologinUser }));
    try {
      const report = await transport.check();
      expect(report.ok).toBe(false);
      const step = report.steps.find((s) => s.status === 'failed');
      expect(step).toMatchObject({ name: 'docker CLI', code: 'ERR_REMOTE_NOT_HTTP' });
      expect(step?.detail).toBe(
        `the output of \`docker --version\` on ${at()} began with "This account is currently not available.", not an HTTP answer: the account ${fixture.nologinUser} prints text of its own — likely its login shell (nologin, a menu), a banner, or an rc file (~/.bashrc, ~/.profile) that prints in non-interactive sessions. \`ssh ${fixture.port === 22 ? '' : `-p ${fixture.port} `}${fixture.nologinUser}@${fixture.host} true\` must print nothing.`,
      );
      // Not the misleading answer of before: sshd's "Could not chdir to home directory" on stderr is not the cause.
      expect(step?.detail).not.toMatch(/chdir|ERR_DAEMON_UNREACHABLE/);
      expect(step?.fix).toContain('make its login shell a real shell (not nologin)');
    } finally {
      await transport.close();
    }
  });
});
