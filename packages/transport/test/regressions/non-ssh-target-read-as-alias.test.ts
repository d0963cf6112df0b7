import { describe, expect, test } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';

// A unix://, tcp://, npipe:// or http(s):// Docker host was taken as an ssh_config alias: "resolve ✓
// root@[unix://…]", then ERR_HOST_NOT_FOUND after a DNS lookup of the whole string.
describe('a Docker host that is not ssh:// is refused, never looked up as a host alias', () => {
  test.each([['unix:///var/run/docker.sock'], ['tcp://127.0.0.1:2375'], ['npipe:////./pipe/docker_engine'], ['https://docker.test:2376'], ['HTTP://docker.test']])('%s', (url) => {
    let caught: unknown;
    try {
      createDockerSshTransport({ url, configFile: false, homeDir: '/nonexistent', env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'ERR_SSH_URL_SCHEME',
      message: 'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly',
    });
  });

  test('an alias without a scheme is still an alias', () => {
    expect(() => createDockerSshTransport({ url: 'docker-1', configFile: false, homeDir: '/nonexistent', env: {} })).not.toThrow();
  });
});
