import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTAINER_LABEL, FixtureError, containerHostImageTag, startContainerHost } from '../../src/index.js';

// The Docker daemon under test: DOCKER_HOST of the environment (see vitest.container.config.ts).
const docker = (...args: string[]): string => execFileSync('docker', args, { encoding: 'utf8' }).trim();

interface Snapshot {
  containers: string[];
  volumes: string[];
  tempDirs: string[];
  images: string[];
}

function snapshot(): Snapshot {
  return {
    containers: docker('ps', '-aq', '--no-trunc').split('\n').filter(Boolean).sort(),
    volumes: docker('volume', 'ls', '-q').split('\n').filter(Boolean).sort(),
    tempDirs: readdirSync('/tmp').filter((name) => name.startsWith('sdk-ctr-')).sort(),
    images: docker('images', '-q', '--no-trunc').split('\n').filter(Boolean).sort(),
  };
}

describe('container host lifecycle', () => {
  it('builds or reuses the image, starts, and stop() leaves only the cached image', async () => {
    const before = snapshot();
    const started = Date.now();
    const host = await startContainerHost({ log: (line) => console.log(line) });
    console.log(
      `container host ${host.container} (${host.mode}) up in ${Date.now() - started} ms; image ${host.hostImage} ` +
        (host.built ? `built in ${host.buildMs} ms` : 'reused'),
    );
    expect(host.hostImage).toBe(containerHostImageTag());
    expect(host.url).toBe(`ssh://${host.user}@127.0.0.1:${host.port}`);
    expect(existsSync(host.identityFile)).toBe(true);
    const during = snapshot();
    expect(during.containers.length).toBe(before.containers.length + 1);
    expect(during.volumes.length).toBe(before.volumes.length + 1); // the inner daemon's /var/lib/docker
    expect(during.tempDirs.length).toBe(before.tempDirs.length + 1);
    expect(docker('ps', '-q', '--filter', `label=${CONTAINER_LABEL}`, '--filter', `name=${host.container}`)).not.toBe('');

    await host.stop();
    await host.stop(); // idempotent
    const after = snapshot();
    expect(after.containers).toEqual(before.containers);
    expect(after.volumes).toEqual(before.volumes);
    expect(after.tempDirs).toEqual(before.tempDirs);
    expect(existsSync(host.dir)).toBe(false);
    // Only the cached image may be new (when this run built it).
    const newImages = after.images.filter((id) => !before.images.includes(id));
    expect(newImages.length).toBeLessThanOrEqual(1);
    expect(docker('image', 'inspect', '--format', '{{.Id}}', host.hostImage)).toMatch(/^sha256:/);
    await expect(host.killSshd()).rejects.toMatchObject({ code: 'ERR_FIXTURE_STOPPED' });
  });

  it('link faults throw ERR_FIXTURE_UNSUPPORTED naming the netns isolation', async () => {
    const host = await startContainerHost();
    try {
      for (const fault of [() => host.delay(100), () => host.loss(5), () => host.rate(1e6), () => host.cut(), () => host.restore()]) {
        const err: unknown = await fault().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(FixtureError);
        expect((err as FixtureError).code).toBe('ERR_FIXTURE_UNSUPPORTED');
        expect((err as Error).message).toMatch(/isolation 'netns'/);
      }
      for (const missing of [() => host.startSecondSshd(), () => host.makeImage('x', { randomMiB: 1 })]) {
        await expect(missing()).rejects.toMatchObject({ code: 'ERR_FIXTURE_UNSUPPORTED', message: expect.stringMatching(/startDockerSshFixture/) as unknown });
      }
      expect(await host.countRemote('dockerd --iptables=false')).toBe(1);
    } finally {
      await host.stop();
    }
  });
});
