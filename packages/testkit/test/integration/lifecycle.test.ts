import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '../../src/index.js';
import type { DockerSshFixture } from '../../src/index.js';
import { exec, keyAuth, sshConnect } from './helpers.js';

const run = promisify(execFile);

function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid} ${cmdline}`);
    } catch {
      // exited while we looked
    }
  }
  return found;
}

async function leftovers(fixture: DockerSshFixture, marker: string): Promise<Record<string, unknown>> {
  const netns = (await run('ip', ['netns', 'list'])).stdout;
  const links = (await run('ip', ['-o', 'addr', 'show'])).stdout;
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  return {
    processes: processesMentioning(fixture.dir),
    container: processesMentioning(marker),
    netns: netns.includes(`sdk-${process.pid}-`) ? netns : '',
    address: fixture.isolation === 'netns' && links.includes(` ${fixture.host}/`) ? fixture.host : '',
    mounts: mounts.includes(fixture.dir) ? 'mounted' : '',
    dir: existsSync(fixture.dir),
    socket: existsSync(fixture.dockerSocket),
  };
}

describe('fixture lifecycle', () => {
  test('stop() leaves no process, namespace, address, mount, socket or temp dir behind, even with a container and a session running', async () => {
    const fixture = await startDockerSshFixture();
    const marker = `sleep 86${String(process.pid).padStart(7, '0')}`;
    await run('docker', ['-H', `unix://${fixture.dockerSocket}`, 'run', '-d', fixture.image, ...marker.split(' ')]);
    const client = await sshConnect(fixture, keyAuth(fixture));
    client.on('error', () => undefined);
    client.exec('docker system dial-stdio', () => undefined);
    expect(processesMentioning(marker)).toHaveLength(1);
    expect(existsSync(fixture.dir)).toBe(true);
    await fixture.stop();
    client.end();
    expect(await leftovers(fixture, marker)).toEqual({
      processes: [],
      container: [],
      netns: '',
      address: '',
      mounts: '',
      dir: false,
      socket: false,
    });
  });

  test('stop() is idempotent and later calls fail with ERR_FIXTURE_STOPPED', async () => {
    const fixture = await startDockerSshFixture();
    await fixture.stop();
    await fixture.stop();
    await expect(fixture.killSshd()).rejects.toMatchObject({ code: 'ERR_FIXTURE_STOPPED' });
  });

  test('two fixtures at once get their own address, keys and daemon and do not collide', async () => {
    const [a, b] = await Promise.all([startDockerSshFixture(), startDockerSshFixture()]);
    try {
      expect(`${a.host}:${a.port}`).not.toBe(`${b.host}:${b.port}`);
      expect(a.hostKeys[0]?.fingerprint).not.toBe(b.hostKeys[0]?.fingerprint);
      expect(a.dockerSocket).not.toBe(b.dockerSocket);
      await a.makeImage('only-in-a:1', { randomMiB: 0 });
      const [ca, cb] = await Promise.all([sshConnect(a, keyAuth(a)), sshConnect(b, keyAuth(b))]);
      const [ra, rb] = await Promise.all([
        exec(ca, 'docker image inspect --format ok only-in-a:1'),
        exec(cb, 'docker image inspect --format ok only-in-a:1'),
      ]);
      ca.end();
      cb.end();
      expect(ra.stdout).toBe('ok\n');
      expect(rb.code).not.toBe(0);
      await a.cut();
      expect((await exec(await sshConnect(b, keyAuth(b)), 'echo b')).stdout).toBe('b\n');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test('a second sshd with other host keys is refused by OpenSSH with the first known_hosts and accepted with its own', async () => {
    const fixture = await startDockerSshFixture();
    try {
      const second = await fixture.startSecondSshd();
      expect(second.hostKeys.map((k) => k.fingerprint)).not.toEqual(fixture.hostKeys.map((k) => k.fingerprint));
      const name = second.port === 22 ? second.host : `[${second.host}]:${second.port}`;
      const firstKeys = readFileSync(fixture.knownHostsFile, 'utf8').replaceAll(
        fixture.port === 22 ? `${fixture.host} ` : `[${fixture.host}]:${fixture.port} `,
        `${name} `,
      );
      const changed = `${fixture.dir}/changed_known_hosts`;
      await import('node:fs/promises').then((fs) => fs.writeFile(changed, firstKeys));
      const ssh = (knownHosts: string) =>
        run('ssh', ['-F', fixture.sshConfigFile, '-o', `UserKnownHostsFile=${knownHosts}`, '-p', String(second.port), fixture.alias, 'echo', 'second']);
      await expect(ssh(changed)).rejects.toMatchObject({ stderr: expect.stringContaining('REMOTE HOST IDENTIFICATION HAS CHANGED') });
      expect((await ssh(second.knownHostsFile)).stdout).toBe('second\n');
      const same = await fixture.startSecondSshd({ sameHostKeys: true });
      expect(same.hostKeys).toEqual(fixture.hostKeys);
      await second.stop();
      await same.stop();
    } finally {
      await fixture.stop();
    }
  });

  test('a loopback fixture works without a namespace and refuses network faults with ERR_FIXTURE_UNSUPPORTED', async () => {
    const fixture = await startDockerSshFixture({ isolation: 'loopback' });
    try {
      expect(fixture.isolation).toBe('loopback');
      expect(fixture.host).toBe('127.0.0.1');
      const client = await sshConnect(fixture, keyAuth(fixture));
      expect((await exec(client, `docker run --rm ${fixture.image} echo ok`)).stdout).toBe('ok\n');
      client.end();
      await expect(fixture.cut()).rejects.toMatchObject({ code: 'ERR_FIXTURE_UNSUPPORTED' });
      await expect(fixture.delay(10)).rejects.toMatchObject({ code: 'ERR_FIXTURE_UNSUPPORTED' });
    } finally {
      await fixture.stop();
    }
    expect(processesMentioning(fixture.dir)).toEqual([]);
    expect(existsSync(fixture.dir)).toBe(false);
  });

  test('makeImage() imports the busybox rootfs plus a file of random bytes of the requested size', async () => {
    const fixture = await startDockerSshFixture();
    try {
      await fixture.makeImage('sdk-test/random:2', { randomMiB: 2 });
      const { stdout } = await run('docker', [
        '-H',
        `unix://${fixture.dockerSocket}`,
        'run',
        '--rm',
        'sdk-test/random:2',
        'wc',
        '-c',
        '/random.bin',
      ]);
      expect(stdout.trim()).toBe(`${2 * 1024 * 1024} /random.bin`);
    } finally {
      await fixture.stop();
    }
  });

  test('invalid options are refused with a RangeError before anything starts', async () => {
    await expect(startDockerSshFixture({ maxStartups: '10; rm -rf /' })).rejects.toBeInstanceOf(RangeError);
    await expect(startDockerSshFixture({ maxSessions: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});
