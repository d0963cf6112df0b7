import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/** What these tests need from the fixture: a real dockerd socket and a busybox image. */
export interface DockerFixture {
  readonly dockerSocket: string;
  readonly image: string;
  makeImage(name: string, options: { randomMiB: number }): Promise<string>;
  stop(): Promise<void>;
}

/** TEMPORARY until @ssh-docker/testkit lands: a dockerd started by hand in /tmp/httpdev. */
export function startFixture(): Promise<DockerFixture> {
  const dockerSocket = '/tmp/httpdev/docker.sock';
  const image = 'test/busybox:latest';
  return Promise.resolve({
    dockerSocket,
    image,
    makeImage(name, { randomMiB }) {
      const dir = mkdtempSync(join(tmpdir(), 'http-img-'));
      try {
        writeFileSync(join(dir, 'random.bin'), randomBytes(randomMiB * 1024 * 1024));
        writeFileSync(join(dir, 'Dockerfile'), `FROM ${image}\nCOPY random.bin /random.bin\n`);
        execFileSync('docker', ['-H', `unix://${dockerSocket}`, 'build', '-q', '-t', name, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return Promise.resolve(name);
    },
    stop: () => Promise.resolve(),
  });
}

/** The connector the transport will provide, here straight to the daemon's socket. */
export function socketConnector(path: string): () => Promise<Duplex> {
  return () => Promise.resolve(netConnect({ path, allowHalfOpen: true }));
}
