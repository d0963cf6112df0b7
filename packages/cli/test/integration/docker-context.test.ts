import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { run } from '../helpers/run.js';

let fixture: DockerSshFixture;
let scratch: string;
let config: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-context-'));
  config = join(scratch, 'docker-config');
  // The context as a Docker user makes it, with a socket path some guides still write.
  execFileSync('/usr/local/bin/docker', ['context', 'create', 'fixture', '--docker', `host=${fixture.url}/var/run/docker.sock`], {
    env: { PATH: process.env['PATH'], HOME: scratch, DOCKER_CONFIG: config },
    stdio: 'pipe',
  });
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

const keyOptions = (): string[] => ['-F', 'none', '-i', fixture.identityFile, '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`];

describe('check reaches the daemon through a context the docker CLI created', () => {
  test('`ssh-docker check fixture` with the context name as target passes every step', async () => {
    const result = await run(['check', 'fixture', ...keyOptions()], { env: { HOME: scratch, PATH: process.env['PATH'], DOCKER_CONFIG: config } });
    expect(result.stderr).toContain(`note: using Docker context fixture: ${fixture.url}`);
    expect(result.stderr).toContain('note: the path /var/run/docker.sock in the Docker host URL is ignored');
    expect(result.stdout.split('\n')[0]).toBe(`Checking ${fixture.url}`);
    expect(result.stdout).toMatch(/^All \d+ steps passed: Docker clients can use ssh:\/\/\S+ over SSH\.$/m);
    expect(result.stdout).not.toContain('/var/run/docker.sock');
    expect(result.code).toBe(0);
  });

  test('with no target, DOCKER_CONTEXT names it', async () => {
    const result = await run(['check', ...keyOptions()], { env: { HOME: scratch, PATH: process.env['PATH'], DOCKER_CONFIG: config, DOCKER_CONTEXT: 'fixture' } });
    expect(result.stderr).toContain(`note: using Docker context fixture (from DOCKER_CONTEXT): ${fixture.url}`);
    expect(result.code).toBe(0);
  });

  test('with no target, DOCKER_HOST names it', async () => {
    const result = await run(['check', ...keyOptions()], { env: { HOME: scratch, PATH: process.env['PATH'], DOCKER_HOST: fixture.url } });
    expect(result.stderr).toBe(`note: using DOCKER_HOST: ${fixture.url}\n`);
    expect(result.code).toBe(0);
  });
});
