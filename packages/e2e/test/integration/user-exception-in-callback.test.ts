import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';

// Attack (issue 12.1): a user's exception thrown in a response callback, an upgrade callback, a
// 'data' handler and a dockerode callback, while a long /events stream runs on the same SSH
// connection. Over a unix socket the program gets its own exception and /events stays up; over
// the transport it must be the same. Each case runs in a child process (its uncaughtException is
// the thing observed), against the real fixture, with the built packages.
const run = promisify(execFile);
const child = fileURLToPath(new URL('./adv/user-throw-child.mjs', import.meta.url));
let fixture: DockerSshFixture;
let container = '';

function docker(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: fixture.dockerSocket, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  const created = await docker('POST', '/containers/create', { Image: fixture.image, Cmd: ['sleep', '120'], Tty: false, OpenStdin: false });
  container = (JSON.parse(created.text) as { Id: string }).Id;
  await docker('POST', `/containers/${container}/start`);
});
afterAll(async () => {
  if (container !== '') await docker('DELETE', `/containers/${container}?force=1`).catch(() => undefined);
  await fixture?.stop();
});

for (const mode of ['response', 'upgrade', 'data', 'dockerode'] as const) {
  test(`a user exception thrown from a ${mode} callback reaches uncaughtException and leaves /events up`, async () => {
    const { stdout } = await run(process.execPath, [child], {
      env: { ...process.env, ADV_OPTIONS: JSON.stringify(fixture.transportOptions()), ADV_CONTAINER: container, ADV_MODE: mode },
      timeout: 60_000,
    });
    const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { uncaught: string[]; eventsAlive: boolean; after: string };
    expect(result.uncaught).toEqual([`user-boom-${mode}`]);
    expect(result.eventsAlive).toBe(true);
    expect(result.after).toBe('OK');
  });
}
