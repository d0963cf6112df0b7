import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '../../src/index.js';
import type { DockerSshFixture } from '../../src/index.js';

const run = promisify(execFile);

describe('a started fixture', () => {
  let fixture: DockerSshFixture;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    fixture = await startDockerSshFixture();
    env = { ...process.env, PATH: `${fixture.sshBinDir}:${process.env.PATH ?? ''}` };
  });
  afterAll(async () => {
    await fixture.stop();
  });

  test('the docker CLI with the fixture ssh_config runs `docker version` over ssh', async () => {
    const { stdout } = await run('docker', ['-H', `ssh://${fixture.alias}`, 'version', '--format', '{{.Server.Os}}'], { env });
    expect(stdout.trim()).toBe('linux');
  });

  test('the docker CLI runs a container of the test image over ssh', async () => {
    const { stdout } = await run('docker', ['-H', `ssh://${fixture.alias}`, 'run', '--rm', fixture.image, 'echo', 'ok'], { env });
    expect(stdout).toBe('ok\n');
  });

  test('the daemon socket on this side answers the same daemon', async () => {
    const { stdout } = await run('docker', ['-H', `unix://${fixture.dockerSocket}`, 'image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(stdout.split('\n')).toContain(fixture.image);
  });

  test('OpenSSH refuses the fixture when known_hosts holds another key for it', async () => {
    const wrong = join(fixture.dir, 'wrong_known_hosts');
    // A valid ed25519 key that is not the fixture's.
    const other = (await run('ssh-keygen', ['-y', '-f', fixture.identityFile])).stdout.trim().split(' ');
    const name = fixture.port === 22 ? fixture.host : `[${fixture.host}]:${fixture.port}`;
    await writeFile(wrong, `${name} ${other[0]} ${other[1]}\n`);
    const attempt = run('ssh', ['-F', fixture.sshConfigFile, '-o', `UserKnownHostsFile=${wrong}`, fixture.alias, 'true']);
    await expect(attempt).rejects.toMatchObject({ stderr: expect.stringContaining('REMOTE HOST IDENTIFICATION HAS CHANGED') });
  });
});
