import { describe, expect, test } from 'vitest';
import { checkEnvironment } from '../src/internal/system.js';
import type { Host } from '../src/internal/system.js';

const everything: Host = {
  platform: 'linux',
  uid: 0,
  which: (name) => `/usr/bin/${name}`,
  isStaticElf: () => true,
};

describe('the fixture preflight', () => {
  test('names every missing program, its Debian package and the command that installs it', () => {
    const host: Host = { ...everything, which: (name) => (['sshd', 'tc', 'ip'].includes(name) ? undefined : `/usr/bin/${name}`) };
    expect(() => checkEnvironment(host)).toThrow(
      expect.objectContaining({
        code: 'ERR_FIXTURE_MISSING_PACKAGE',
        message:
          'the testkit fixture needs `sshd`, `ip`, `tc`, not installed (Debian packages openssh-server, iproute2): run `sudo bash node_modules/@ssh-docker/testkit/bin/install-system-deps.sh` (in this repository: packages/testkit/bin/install-system-deps.sh), or `sudo apt-get install -y openssh-server iproute2`',
      }),
    );
  });

  test('refuses a dynamically linked busybox and names busybox-static', () => {
    expect(() => checkEnvironment({ ...everything, isStaticElf: () => false })).toThrow(
      expect.objectContaining({
        code: 'ERR_FIXTURE_MISSING_PACKAGE',
        message: '/usr/bin/busybox is dynamically linked, so it cannot run alone in the test image: `sudo apt-get install -y busybox-static`',
      }),
    );
  });

  test('says root is needed and how to get it', () => {
    expect(() => checkEnvironment({ ...everything, uid: 1000 })).toThrow(
      expect.objectContaining({
        code: 'ERR_FIXTURE_PRIVILEGE',
        message:
          'the testkit fixture needs root (dockerd, sshd with its own users, network namespaces): run the tests as root, e.g. `sudo -E pnpm test:integration`, or in a privileged container',
      }),
    );
  });

  test('says Linux is needed on other platforms', () => {
    expect(() => checkEnvironment({ ...everything, platform: 'darwin' })).toThrow(
      expect.objectContaining({ code: 'ERR_FIXTURE_PRIVILEGE', message: expect.stringContaining('needs Linux (this is darwin)') }),
    );
  });

  test('returns the path of every program when all are present', () => {
    expect(checkEnvironment(everything)).toMatchObject({ sshd: '/usr/bin/sshd', dockerd: '/usr/bin/dockerd', docker: '/usr/bin/docker' });
  });
});
