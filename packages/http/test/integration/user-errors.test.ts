import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runChild } from './helpers/child.js';

// ssh2 runs its channel handlers inside its packet parser, in a try/catch that turns anything thrown
// into a connection error. User code reached synchronously from there (Node's http parser calls
// 'response' and 'upgrade' callbacks) used to be caught by ssh2: the user's error was lost and the
// whole SSH connection was torn down, with every other stream on it. Over a socket the program gets
// its own exception and the other streams live on; over SSH it must be the same.
let fixture: DockerSshFixture;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
});

afterAll(async () => {
  await fixture.stop();
});

describe('a user exception inside a callback over an SSH channel', () => {
  test('reaches uncaughtException, and an /events stream on the same connection survives', async () => {
    const { code, stdout, stderr } = await runChild('user-errors-child.ts', {
      FIXTURE_URL: fixture.url,
      FIXTURE_IDENTITY: fixture.identityFile,
      FIXTURE_KNOWN_HOSTS: fixture.knownHostsFile,
      FIXTURE_IMAGE: fixture.image,
    });
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    // Before the fix the child printed nothing: the connection died with the events stream, and it exited.
    expect(stdout).not.toBe('');
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toEqual({
      caught: ['user error in a response callback', 'user error in an upgrade callback', 'user error in a diagnostics subscriber', 'user error in a diagnostics subscriber'],
      ping: 'OK',
      sawDestroy: true,
      eventsEnded: false,
      eventsError: '',
      connectionsLost: 0,
      connectsStarted: 1,
    });
  });
});
