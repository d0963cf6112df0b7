/**
 * Container mode of @ssh-docker/testkit (issue 15): the remote host is one container (OpenSSH sshd
 * in front of a Docker-in-Docker dockerd) on a Docker daemon, reached on a loopback port. The inner
 * daemon is reached through OpenSSH (`docker -H ssh://<alias>`) and through ssh-docker's transport.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerAgent, DockerClient } from '@ssh-docker/http';
import { startContainerHost } from '@ssh-docker/testkit';
import type { ContainerHost } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransport } from '@ssh-docker/transport';

const run = promisify(execFile);
const outer = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

let host: ContainerHost;
let before: { containers: string; volumes: string; tempDirs: string[] };

function tempDirs(): string[] {
  return readdirSync('/tmp').filter((name) => name.startsWith('sdk-ctr-')).sort();
}

beforeAll(async () => {
  before = { containers: outer('ps', '-aq'), volumes: outer('volume', 'ls', '-q'), tempDirs: tempDirs() };
  host = await startContainerHost();
});

afterAll(async () => {
  await host.stop();
  expect(outer('ps', '-aq')).toBe(before.containers);
  expect(outer('volume', 'ls', '-q')).toBe(before.volumes);
  expect(tempDirs()).toEqual(before.tempDirs);
  expect(existsSync(host.dir)).toBe(false);
});

/** OpenSSH's docker CLI against the inner daemon: `docker -H ssh://<alias>` with the generated ssh_config. */
async function openSshDocker(...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${host.sshBinDir}:${process.env['PATH'] ?? ''}` };
  delete env['DOCKER_HOST'];
  const { stdout } = await run('docker', ['-H', `ssh://${host.alias}`, ...args], { env, timeout: 120_000 });
  return stdout.trim();
}

function transport(): DockerSshTransport {
  return createDockerSshTransport({
    url: host.url,
    configFile: false,
    identityFiles: [host.identityFile],
    knownHostsFiles: [host.knownHostsFile],
    agent: false,
  });
}

async function runThroughDockerode(docker: Docker): Promise<string> {
  const container = await docker.createContainer({ Image: host.image, Cmd: ['echo', 'ok'], Tty: true });
  try {
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: true });
    return Buffer.from(logs).toString('utf8').trim();
  } finally {
    await container.remove({ force: true });
  }
}

describe('container host', () => {
  it('answers through OpenSSH: docker -H ssh://alias version and run --rm image echo ok', async () => {
    expect(await openSshDocker('version', '--format', '{{.Server.Version}}')).toMatch(/^\d+\.\d+/);
    expect(await openSshDocker('run', '--rm', host.image, 'echo', 'ok')).toBe('ok');
    expect(await openSshDocker('ps', '-aq')).toBe(''); // --rm left nothing inside
  });

  it('answers through ssh-docker: createDockerSshTransport + createDockerAgent (dockerode) and DockerClient', async () => {
    const t = transport();
    const agent = createDockerAgent(() => t.openStream());
    try {
      const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
      const images = await docker.listImages();
      expect(images.some((image) => image.RepoTags?.includes(host.image))).toBe(true);
      expect(await runThroughDockerode(docker)).toBe('ok');

      const client = new DockerClient(() => t.openStream());
      try {
        const response = await client.request({ method: 'GET', path: '/_ping' });
        expect(response.statusCode).toBe(200);
      } finally {
        client.close();
      }
    } finally {
      agent.destroy();
      await t.close();
    }
  });

  it('killSshd refuses new connections, restartSshd brings them back with the same host keys', async () => {
    await host.killSshd();
    expect(await host.countRemote('sshd')).toBe(0);
    await expect(openSshDocker('version', '--format', '{{.Server.Version}}')).rejects.toThrow();
    await host.restartSshd();
    expect(await openSshDocker('version', '--format', '{{.Server.Version}}')).toMatch(/^\d+\.\d+/);
  });

  it('stopDockerd makes the inner daemon unreachable through sshd; startDockerd brings it back with its images', async () => {
    await host.stopDockerd();
    expect(await host.countRemote('dockerd')).toBe(0);
    await expect(openSshDocker('version', '--format', '{{.Server.Version}}')).rejects.toThrow();
    await host.startDockerd();
    expect(await openSshDocker('run', '--rm', host.image, 'echo', 'ok')).toBe('ok');
  });
});
