/**
 * Interop with a second server implementation: Dropbear (Debian's), with the docker CLI on its
 * side, runs the dial-stdio path end to end to the fixture's dockerd. Dropbear has no SetEnv: it
 * is started with `-e` (pass its own environment to sessions), its environment carrying the PATH
 * and DOCKER_HOST that point the docker CLI at the fixture's daemon.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerAgent } from '@ssh-docker/http';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';

const run = promisify(execFile);
/** A login of its own for Dropbear, which reads ~/.ssh/authorized_keys (the fixture's sshd reads its own dir). */
const USER = 'sdk-dropbear';
const SOCKET_GROUP = 'sdk-docker-sock';
const HOME = `/var/lib/ssh-docker-testkit/home/${USER}`;

let fixture: DockerSshFixture;
let dir: string;
let dropbear: ChildProcess;
let port: number;
let log = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as AddressInfo;
      server.close(() => {
        resolve(address.port);
      });
    });
  });
}

async function ensureUser(): Promise<{ uid: number; gid: number }> {
  const exists = await run('id', ['-u', USER]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    mkdirSync('/var/lib/ssh-docker-testkit/home', { recursive: true, mode: 0o755 });
    await run('useradd', ['--system', '--no-create-home', '--home-dir', HOME, '--shell', '/bin/sh', '--groups', SOCKET_GROUP, USER]);
  }
  const uid = Number((await run('id', ['-u', USER])).stdout.trim());
  const gid = Number((await run('id', ['-g', USER])).stdout.trim());
  return { uid, gid };
}

beforeAll(async () => {
  fixture = await startDockerSshFixture({ isolation: 'loopback' });
  dir = mkdtempSync(join(tmpdir(), 'e2e-dropbear-'));
  const { uid, gid } = await ensureUser();
  // Dropbear wants ~/.ssh and authorized_keys owned by the user and not writable by others.
  mkdirSync(join(HOME, '.ssh'), { recursive: true, mode: 0o700 });
  const publicKey = (await run('ssh-keygen', ['-y', '-f', fixture.identityFile])).stdout.trim();
  writeFileSync(join(HOME, '.ssh', 'authorized_keys'), `${publicKey}\n`, { mode: 0o600 });
  chownSync(HOME, uid, gid);
  chownSync(join(HOME, '.ssh'), uid, gid);
  chownSync(join(HOME, '.ssh', 'authorized_keys'), uid, gid);
  chmodSync(join(HOME, '.ssh'), 0o700);

  const hostKey = join(dir, 'dropbear_ed25519');
  await run('dropbearkey', ['-t', 'ed25519', '-f', hostKey]);
  const { stdout } = await run('dropbearkey', ['-y', '-f', hostKey]);
  const line = stdout.split('\n').find((l) => l.startsWith('ssh-ed25519 '));
  if (line === undefined) throw new Error('dropbearkey printed no public key');
  port = await freePort();
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${line.split(' ').slice(0, 2).join(' ')}\n`);

  // Debian puts dropbear in /usr/sbin, which a test runner's PATH may lack.
  const binary = ['/usr/sbin/dropbear', '/usr/bin/dropbear', '/usr/local/sbin/dropbear'].find((f) => existsSync(f)) ?? 'dropbear';
  dropbear = spawn(binary, ['-F', '-E', '-e', '-s', '-w', '-m', '-p', `127.0.0.1:${port}`, '-r', hostKey, '-P', join(dir, 'dropbear.pid')], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', DOCKER_HOST: `unix://${fixture.dockerSocket}` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  dropbear.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  dropbear.on('error', (err) => (log += `spawn failed: ${err.message}`));
  for (let i = 0; i < 50 && !/Not backgrounding/i.test(log); i++) await new Promise((r) => setTimeout(r, 100));
  if (!/Not backgrounding/i.test(log)) throw new Error(`dropbear did not start: ${log}`);
});

afterAll(async () => {
  dropbear.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
  await fixture.stop();
});

describe('Dropbear as the SSH server', () => {
  it('runs the dial-stdio path end to end: dockerode pings, runs a container and reads its logs', async () => {
    const transport = createDockerSshTransport({
      url: `ssh://${USER}@127.0.0.1:${port}`,
      configFile: false,
      identityFiles: [fixture.identityFile],
      knownHostsFiles: [join(dir, 'known_hosts')],
      agent: false,
    });
    const agent = createDockerAgent(() => transport.openStream());
    const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
    try {
      expect(String(await docker.ping())).toBe('OK');
      const container = await docker.createContainer({ Image: fixture.image, Cmd: ['echo', 'over dropbear'], HostConfig: { NetworkMode: 'none' } });
      await container.start();
      await container.wait();
      const logs = await container.logs({ stdout: true, follow: false });
      expect(logs.subarray(8).toString()).toBe('over dropbear\n');
      await container.remove({ force: true });
      const report = await transport.check();
      console.info(`dropbear: ${JSON.stringify(report).slice(0, 600)}`);
      expect(log).toMatch(/Pubkey auth succeeded for 'sdk-dropbear'/);
    } finally {
      agent.destroy();
      await transport.close({ timeoutMs: 1000 });
    }
  });
});
