/**
 * Faults on the remote host while real HTTP clients (dockerode through createDockerAgent, and
 * DockerClient) use it over the transport: sshd killed mid-stream, the link cut, dockerd stopped.
 * Every fault ends in one of our codes, quickly, and the next request works again. The transport
 * authenticates with the fixture's password, so the last test can check that no error or
 * diagnostics message of all these failure paths carries it.
 */
import { inspect } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerAgent, DockerClient } from '@ssh-docker/http';
import { expectNoSecretLeak, startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransport } from '@ssh-docker/transport';
import { Secret } from '@ssh-docker/url';
import { codesOf, collectDiagnostics, sha256Of, waitFor } from './helpers.js';

const BIG_MIB = 256;
let fixture: DockerSshFixture;
let diagnostics: ReturnType<typeof collectDiagnostics>;
/** Every error any client saw in this file, for the leak check at the end. */
const seen: unknown[] = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  diagnostics = collectDiagnostics();
  fixture = await startDockerSshFixture();
  await fixture.makeImage('e2e/big:latest', { randomMiB: BIG_MIB });
});

afterAll(async () => {
  diagnostics.stop();
  process.off('unhandledRejection', onUnhandled);
  await fixture.stop();
});

/** A transport of the password user; the password comes from a provider, so reconnects can use it. */
function passwordTransport(extra: { keepaliveIntervalMs?: number; keepaliveCountMax?: number; connectTimeoutMs?: number } = {}): DockerSshTransport {
  return createDockerSshTransport({
    url: `ssh://${fixture.passwordUser}@${fixture.host}:${fixture.port}`,
    configFile: false,
    identityFiles: [],
    knownHostsFiles: [fixture.knownHostsFile],
    agent: false,
    password: () => Promise.resolve(Secret.from(fixture.password)),
    ...extra,
  });
}

function dockerode(transport: DockerSshTransport): { docker: Docker; destroy: () => void } {
  const agent = createDockerAgent(() => transport.openStream());
  // @types/dockerode has no `agent` in DockerOptions, though docker-modem uses it.
  const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
  return { docker, destroy: () => agent.destroy() };
}

/** Resolves with the first error `stream` emits, and when. */
function firstError(stream: NodeJS.EventEmitter): Promise<{ err: unknown; at: number }> {
  return new Promise((resolve) => {
    stream.once('error', (err: unknown) => {
      resolve({ err, at: Date.now() });
    });
  });
}

describe('faults with real HTTP clients over the transport', () => {
  it('ends `logs -f` of dockerode and of DockerClient within a second when sshd is killed, with no hang, and the next request reconnects', async () => {
    const transport = passwordTransport();
    const { docker, destroy } = dockerode(transport);
    const client = new DockerClient(() => transport.openStream());
    try {
      const container = await docker.createContainer({ Image: fixture.image, Cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.1; done'], HostConfig: { NetworkMode: 'none' } });
      await container.start();
      const logs = (await container.logs({ follow: true, stdout: true }));
      const ours = await client.request({ path: `/containers/${container.id}/logs`, query: { follow: true, stdout: true } });
      await Promise.all([new Promise((resolve) => logs.once('data', resolve)), new Promise((resolve) => ours.body.once('data', resolve))]);
      const failed = Promise.all([firstError(logs), firstError(ours.body)]);
      logs.resume();
      ours.body.resume();
      const started = Date.now();
      await fixture.killSshd();
      const [viaDockerode, viaClient] = await failed;
      seen.push(viaDockerode.err, viaClient.err);
      expect(viaDockerode.at - started).toBeLessThan(1000);
      expect(viaClient.at - started).toBeLessThan(1000);
      // Both get our code: DockerClient directly, dockerode through the agent, which fails the
      // response in progress with the transport's error before Node's own `aborted` would.
      expect(viaClient.err).toMatchObject({ code: 'ERR_HTTP_CLOSED', causeCode: 'ERR_CONNECTION_LOST' });
      expect(viaDockerode.err).toMatchObject({ code: 'ERR_HTTP_CLOSED', causeCode: 'ERR_CONNECTION_LOST' });
      await fixture.restartSshd();
      expect(String(await docker.ping())).toBe('OK');
      await container.remove({ force: true });
      expect(transport.stats().connectsStarted).toBe(2);
    } finally {
      await fixture.restartSshd();
      destroy();
      client.close();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it(`fails a ${BIG_MIB} MiB image download within a second when sshd is killed mid-way, and the next download is byte-identical`, async () => {
    const transport = passwordTransport();
    const client = new DockerClient(() => transport.openStream());
    try {
      const reference = await sha256Of((await client.request({ path: '/images/e2e/big:latest/get' })).body);
      expect(reference.bytes).toBeGreaterThan(BIG_MIB * 1024 * 1024);

      const res = await client.request({ path: '/images/e2e/big:latest/get' });
      let killedAt = 0;
      const reading = sha256Of(res.body, (total) => {
        if (killedAt === 0 && total > 32 * 1024 * 1024) {
          killedAt = Date.now();
          void fixture.killSshd();
        }
      }).then(
        () => ({ err: undefined, at: Date.now() }),
        (err: unknown) => ({ err, at: Date.now() }),
      );
      const { err, at } = await reading;
      seen.push(err);
      expect(killedAt).toBeGreaterThan(0);
      expect(err).toBeDefined();
      expect(at - killedAt).toBeLessThan(1000);
      expect((err as { code?: string }).code).toBe('ERR_HTTP_CLOSED');
      await fixture.restartSshd();
      const again = await sha256Of((await client.request({ path: '/images/e2e/big:latest/get' })).body);
      expect(again).toEqual(reference);
    } finally {
      await fixture.restartSshd();
      client.close();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it('reports a link cut for 30 s within (keepalive count + 2) intervals + 1 s, fails new requests with a timeout code, and works after restore()', async () => {
    const interval = 1000;
    const count = 3;
    const transport = passwordTransport({ keepaliveIntervalMs: interval, keepaliveCountMax: count, connectTimeoutMs: 3000 });
    const client = new DockerClient(() => transport.openStream());
    try {
      // A request that stays open across the cut: the events stream.
      const events = await client.request({ path: '/events' });
      const failed = firstError(events.body);
      events.body.resume();
      await fixture.cut();
      const cutAt = Date.now();
      const { err, at } = await failed;
      seen.push(err);
      // Counted from when the link is down, not from when cut() began: keepalive counts from the last
      // byte, its check ticks once an interval, and `count` pings go unanswered, so the worst case is
      // (count + 2) intervals; a second more for timers on a loaded machine. The default (15 s × 3) is far above.
      expect(at - cutAt).toBeLessThanOrEqual(interval * (count + 2) + 1000);
      expect(codesOf(err)).toContain('ERR_CONNECTION_LOST');
      const during = await client.json({ path: '/_ping', timeoutMs: 10_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      seen.push(during);
      expect(codesOf(during)).toContain('ERR_CONNECT_TIMEOUT');
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - cutAt))));
      await fixture.restore();
      const res = await client.request({ path: '/_ping', versioned: false });
      expect(res.statusCode).toBe(200);
      res.body.resume();
    } finally {
      await fixture.restore();
      client.close();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it('answers ERR_DAEMON_UNREACHABLE while dockerd is stopped, to dockerode and to DockerClient, and succeeds once it is back', async () => {
    const transport = passwordTransport();
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    // dockerode's agent is made after the stop: a keep-alive socket pooled before it would fail with
    // Node's own "socket hang up" when its dial-stdio ends, before the agent learns why.
    let docker: ReturnType<typeof dockerode> | undefined;
    try {
      expect(await client.json<{ ID?: string }>({ path: '/info' })).toHaveProperty('ID');
      await fixture.stopDockerd();
      // The stream /info left pooled in DockerClient's agent ends with its dial-stdio: wait for that,
      // so that the next request opens a fresh channel and hears why, not a closing one.
      expect(await waitFor(() => transport.stats().openStreams === 0, 5000)).toBe(true);
      docker = dockerode(transport);
      const viaDockerode = await docker.docker.ping().then(
        () => undefined,
        (e: unknown) => e,
      );
      const viaClient = await client.json({ path: '/info' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      seen.push(viaDockerode, viaClient);
      expect(codesOf(viaDockerode)).toContain('ERR_DAEMON_UNREACHABLE');
      expect((viaClient as { code?: string }).code).toBe('ERR_HTTP_CLOSED');
      expect((viaClient as { causeCode?: string }).causeCode).toBe('ERR_DAEMON_UNREACHABLE');
      await fixture.startDockerd();
      expect(String(await docker.docker.ping())).toBe('OK');
      expect(await client.json<{ ID?: string }>({ path: '/info' })).toHaveProperty('ID');
    } finally {
      await fixture.startDockerd();
      docker?.destroy();
      client.close();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it('returns every byte of `cat` through a dockerode exec hijack once stdin is ended (half-close)', async () => {
    const transport = passwordTransport();
    const { docker, destroy } = dockerode(transport);
    try {
      const container = await docker.createContainer({ Image: fixture.image, Cmd: ['sleep', '120'], HostConfig: { NetworkMode: 'none' } });
      await container.start();
      const exec = await container.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
      const stream = (await exec.start({ hijack: true, stdin: true })) as NodeJS.ReadWriteStream & { end: (b?: Buffer) => void };
      const input = Buffer.alloc(8 * 1024 * 1024);
      for (let i = 0; i < input.length; i += 4) input.writeUInt32LE((i * 2654435761) >>> 0, i);
      const { PassThrough } = await import('node:stream');
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      docker.modem.demuxStream(stream, stdout, stderr);
      const done = new Promise<void>((resolve) => stream.once('end', () => { resolve(); }));
      const out = sha256Of(stdout);
      stream.end(input);
      await done;
      stdout.end();
      const { createHash } = await import('node:crypto');
      expect(await out).toEqual({ bytes: input.length, sha256: createHash('sha256').update(input).digest('hex') });
      expect((await exec.inspect()).ExitCode).toBe(0);
      await container.remove({ force: true });
    } finally {
      destroy();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it('goes through sshd killed and dockerd stopped on an encrypted key with its passphrase, and recovers', async () => {
    const transport = createDockerSshTransport({
      url: fixture.url,
      configFile: false,
      identityFiles: [fixture.encryptedIdentityFile],
      passphrase: () => Promise.resolve(Secret.from(fixture.passphrase)),
      knownHostsFiles: [fixture.knownHostsFile],
      agent: false,
    });
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    try {
      const events = await client.request({ path: '/events' });
      const failed = firstError(events.body);
      events.body.resume();
      await fixture.killSshd();
      seen.push((await failed).err);
      seen.push(await client.json({ path: '/_ping', versioned: false }).then(() => undefined, (e: unknown) => e));
      await fixture.restartSshd();
      await fixture.stopDockerd();
      const down = await client.json({ path: '/info' }).then(() => undefined, (e: unknown) => e);
      seen.push(down);
      expect((down as { causeCode?: string }).causeCode).toBe('ERR_DAEMON_UNREACHABLE');
      await fixture.startDockerd();
      expect(await client.json<{ ID?: string }>({ path: '/info' })).toHaveProperty('ID');
    } finally {
      await fixture.restartSshd();
      await fixture.startDockerd();
      client.close();
      await transport.close({ timeoutMs: 1000 });
    }
  });

  it('leaves no unhandled rejection, and no error, inspect, JSON or diagnostics message of all these faults carries the password or the passphrase', async () => {
    expect(unhandled).toEqual([]);
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(diagnostics.messages.length).toBeGreaterThan(0);
    expect(await waitFor(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
    const rendered = [...seen, ...seen.map((e) => inspect(e, { showHidden: true, depth: null })), ...diagnostics.messages];
    expectNoSecretLeak(fixture.password, rendered);
    expectNoSecretLeak(fixture.passphrase, rendered);
  });
});
