import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '../../src/index.js';
import type { DockerSshFixture } from '../../src/index.js';
import { exec, keyAuth, sshConnect, tryConnect, until } from './helpers.js';

async function timedExec(fixture: DockerSshFixture, command: string): Promise<{ ms: number; stdout: string }> {
  const client = await sshConnect(fixture, keyAuth(fixture));
  try {
    const started = performance.now();
    const { stdout } = await exec(client, command);
    return { ms: performance.now() - started, stdout };
  } finally {
    client.end();
  }
}

describe('faults on the fixture link', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture();
  });
  afterEach(async () => {
    await fixture.restore();
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('a delay shows in measured round trips and goes away after restore', async () => {
    const before = await timedExec(fixture, 'echo x');
    await fixture.delay(300);
    const delayed = await timedExec(fixture, 'echo x');
    await fixture.restore();
    const after = await timedExec(fixture, 'echo x');
    expect(delayed.stdout).toBe('x\n');
    // An exec is at least one round trip (channel open and reply): each one pays the delay once.
    expect(delayed.ms).toBeGreaterThanOrEqual(before.ms + 300);
    expect(after.ms).toBeLessThan(delayed.ms - 200);
  });

  test('a delay set while a relayed connection is open applies to it too', async () => {
    await fixture.delay(1);
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      const fast = performance.now();
      await exec(client, 'true');
      const fastMs = performance.now() - fast;
      await fixture.delay(250);
      const slow = performance.now();
      await exec(client, 'true');
      expect(performance.now() - slow).toBeGreaterThanOrEqual(fastMs + 250);
    } finally {
      client.end();
    }
  });

  test('cut() makes a new connection time out and restore() heals it', async () => {
    await fixture.cut();
    expect(await tryConnect(fixture.host, fixture.port, 1000)).toBe('timeout');
    await fixture.restore();
    expect(await tryConnect(fixture.host, fixture.port, 1000)).toBe('connected');
    const { stdout } = await timedExec(fixture, 'echo healed');
    expect(stdout).toBe('healed\n');
  });

  test('cut() stalls an open session until restore()', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      await fixture.cut();
      const stalled = await Promise.race([
        exec(client, 'echo through').then(() => 'answered'),
        new Promise((resolve) => setTimeout(() => resolve('stalled'), 1500)),
      ]);
      expect(stalled).toBe('stalled');
      await fixture.restore();
      expect((await exec(client, 'echo again')).stdout).toBe('again\n');
    } finally {
      client.end();
    }
  });

  test('loss(100) drops every packet and loss(50) drops some connection attempts', async () => {
    await fixture.loss(100);
    expect(await tryConnect(fixture.host, fixture.port, 800)).toBe('timeout');
    await fixture.loss(50);
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => tryConnect(fixture.host, fixture.port, 700)));
    expect(outcomes).toContain('timeout');
    expect(outcomes).toContain('connected');
    await fixture.loss(0);
    expect(await tryConnect(fixture.host, fixture.port, 1000)).toBe('connected');
  });

  test('rate() limits the throughput of a transfer', async () => {
    const bytes = 256 * 1024;
    const fast = await timedExec(fixture, `head -c ${bytes} /dev/urandom`);
    expect(fast.stdout.length).toBeGreaterThan(0);
    await fixture.rate(1_000_000); // 125 kB/s: 256 KiB needs about 2.1 s
    const slow = await timedExec(fixture, `head -c ${bytes} /dev/urandom | base64 -w0 | head -c ${bytes}`);
    expect(slow.stdout.length).toBe(bytes);
    expect(slow.ms).toBeGreaterThan(1500);
    expect(fast.ms).toBeLessThan(1500);
  });
});

describe('process faults', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture();
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('killSshd() ends open sessions and refuses new connections until restartSshd()', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    const closed = new Promise<string>((resolve) => client.once('close', () => resolve('closed')));
    client.on('error', () => undefined);
    await fixture.killSshd();
    expect(await Promise.race([closed, new Promise((r) => setTimeout(() => r('open'), 5000))])).toBe('closed');
    expect(await tryConnect(fixture.host, fixture.port, 1000)).toBe('refused');
    await fixture.restartSshd();
    const { stdout } = await exec(await sshConnect(fixture, keyAuth(fixture)).then((c) => c), 'echo back');
    expect(stdout).toBe('back\n');
  });

  test('stopDockerd() makes dial-stdio fail and startDockerd() brings the daemon back with its images', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      await fixture.stopDockerd();
      const down = await exec(client, 'docker version --format "{{.Server.Version}}"');
      expect(down.code).not.toBe(0);
      await fixture.startDockerd();
      const up = await exec(client, `docker image inspect --format ok ${fixture.image}`);
      expect(up.stdout.trim()).toBe('ok');
    } finally {
      client.end();
    }
  });

  test('countRemote() counts a running docker system dial-stdio and sees it end', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      expect(await fixture.countRemote('docker system dial-stdio')).toBe(0);
      const channel = await new Promise<import('ssh2').ClientChannel>((resolve, reject) => {
        client.exec('docker system dial-stdio', (err, ch) => (err ? reject(err) : resolve(ch)));
      });
      expect(await until(async () => (await fixture.countRemote('docker system dial-stdio')) === 1, 5000)).toBe(true);
      channel.end();
      expect(await until(async () => (await fixture.countRemote('docker system dial-stdio')) === 0, 5000)).toBe(true);
    } finally {
      client.end();
    }
  });
});

describe('a fixture that routes every connection through the relay', () => {
  let fixture: DockerSshFixture;
  beforeAll(async () => {
    fixture = await startDockerSshFixture({ relayAllConnections: true });
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('a delay slows a connection opened before it', async () => {
    const client = await sshConnect(fixture, keyAuth(fixture));
    try {
      const fast = performance.now();
      expect((await exec(client, 'echo x')).stdout).toBe('x\n');
      const fastMs = performance.now() - fast;
      await fixture.delay(250);
      const slow = performance.now();
      await exec(client, 'true');
      expect(performance.now() - slow).toBeGreaterThanOrEqual(fastMs + 250);
      await fixture.restore();
      const again = performance.now();
      await exec(client, 'true');
      // Under this run's own undelayed time plus the delay: a slow machine's exec time is not the delay.
      expect(performance.now() - again).toBeLessThan(fastMs + 250);
    } finally {
      client.end();
    }
  });
});
