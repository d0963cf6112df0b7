import { randomBytes } from 'node:crypto';
import { accessSync, constants, openSync, readSync, closeSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { FixtureError } from '../errors.js';
import { run, runOk } from './proc.js';

/** Fixed names: sshd only authenticates users that exist in /etc/passwd. */
export const USERS = {
  docker: 'sdk-docker',
  password: 'sdk-pw',
  noDocker: 'sdk-nodocker',
  slowShell: 'sdk-slow',
  nologin: 'sdk-nologin',
} as const;

/** How long the slow-shell user's `~/.bashrc` sleeps, as a heavy rc file (nvm, conda) takes. */
export const SLOW_SHELL_SECONDS = 0.45;

/**
 * Each user's login shell. sshd runs every command as `<shell> -c <command>`; Debian's bash (built
 * with SSH_SOURCE_BASHRC) then reads `~/.bashrc` even for a non-interactive command when it sees
 * `SSH_CLIENT`, which is what makes a heavy rc file slow down every channel.
 */
const SHELLS: Record<string, string> = {
  [USERS.slowShell]: '/bin/bash',
  [USERS.nologin]: '/usr/sbin/nologin',
};

/** The slow user's ~/.bashrc: constant text, it only sleeps (and prints nothing, as a well-behaved rc file). */
export const SLOW_BASHRC = `# ssh-docker testkit: a slow rc file, as nvm or conda make one (read for ssh commands too).\n/bin/sleep ${SLOW_SHELL_SECONDS}\n`;
export const SOCKET_GROUP = 'sdk-docker-sock';
/** Machine-wide state: the users' home directories and the password user's password (root only). */
export const STATE_DIR = '/var/lib/ssh-docker-testkit';
/** Per-boot locks for the address blocks and the fixtures that hold them. */
export const RUN_DIR = '/run/ssh-docker-testkit';

export const INSTALL_HINT =
  'run `sudo bash node_modules/@ssh-docker/testkit/bin/install-system-deps.sh` (in this repository: packages/testkit/bin/install-system-deps.sh)';

const SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function which(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH_PATH]) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return undefined;
}

export interface Programs {
  sshd: string;
  sshKeygen: string;
  dockerd: string;
  busybox: string;
  ip: string;
  tc: string;
  iptables: string;
  nsenter: string;
  unshare: string;
  docker: string | undefined;
}

/** The Debian package that provides each program the fixture runs. */
const PACKAGES: Record<string, string> = {
  sshd: 'openssh-server',
  'ssh-keygen': 'openssh-client',
  dockerd: 'docker.io',
  containerd: 'docker.io',
  runc: 'docker.io',
  busybox: 'busybox-static',
  ip: 'iproute2',
  tc: 'iproute2',
  iptables: 'iptables',
  nsenter: 'util-linux',
  unshare: 'util-linux',
};

/** True when the ELF file has no program interpreter, i.e. is statically linked. */
function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2) return false; // ELF64 only
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === 3) return false; // PT_INTERP
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

let programs: Programs | undefined;

/** What {@link checkEnvironment} looks at; tests pass their own. */
export interface Host {
  platform: NodeJS.Platform;
  uid: number | undefined;
  which(name: string): string | undefined;
  isStaticElf(path: string): boolean;
}

const REQUIRED = ['sshd', 'ssh-keygen', 'dockerd', 'containerd', 'runc', 'busybox', 'ip', 'tc', 'iptables', 'nsenter', 'unshare'];

/**
 * Checks platform, privilege and programs. A failure names what is missing (every missing package
 * at once) and the command that fixes it.
 */
export function checkEnvironment(host: Host): Programs {
  if (host.platform !== 'linux') {
    throw new FixtureError(
      'ERR_FIXTURE_PRIVILEGE',
      `the testkit fixture runs a real dockerd and sshd and needs Linux (this is ${host.platform}): run the integration tests in a Linux VM or container, e.g. \`docker run --privileged -v "$PWD":/w -w /w node:20 bash -c 'bash packages/testkit/bin/install-system-deps.sh && pnpm test:integration'\``,
    );
  }
  if (host.uid !== 0) {
    throw new FixtureError(
      'ERR_FIXTURE_PRIVILEGE',
      'the testkit fixture needs root (dockerd, sshd with its own users, network namespaces): run the tests as root, e.g. `sudo -E pnpm test:integration`, or in a privileged container',
    );
  }
  const found = new Map(REQUIRED.map((name) => [name, host.which(name)]));
  const absent = REQUIRED.filter((name) => !found.get(name));
  if (absent.length > 0) {
    const packages = [...new Set(absent.map((name) => PACKAGES[name] ?? name))];
    throw new FixtureError(
      'ERR_FIXTURE_MISSING_PACKAGE',
      `the testkit fixture needs ${absent.map((name) => `\`${name}\``).join(', ')}, not installed (Debian package${packages.length > 1 ? 's' : ''} ${packages.join(', ')}): ${INSTALL_HINT}, or \`sudo apt-get install -y ${packages.join(' ')}\``,
    );
  }
  const path = (name: string): string => found.get(name) ?? name;
  if (!host.isStaticElf(path('busybox'))) {
    throw new FixtureError(
      'ERR_FIXTURE_MISSING_PACKAGE',
      `${path('busybox')} is dynamically linked, so it cannot run alone in the test image: \`sudo apt-get install -y busybox-static\``,
    );
  }
  return {
    sshd: path('sshd'),
    sshKeygen: path('ssh-keygen'),
    dockerd: path('dockerd'),
    busybox: path('busybox'),
    ip: path('ip'),
    tc: path('tc'),
    iptables: path('iptables'),
    nsenter: path('nsenter'),
    unshare: path('unshare'),
    docker: host.which('docker'),
  };
}

/** {@link checkEnvironment} for this process, once. */
export function preflight(): Programs {
  programs ??= checkEnvironment({ platform: process.platform, uid: process.getuid?.(), which, isStaticElf });
  return programs;
}

async function groupMembers(user: string): Promise<string[]> {
  const result = await run('id', ['-nG', user]);
  return result.code === 0 ? result.stdout.trim().split(/\s+/) : [];
}

let usersReady: Promise<string> | undefined;

/**
 * Creates the fixture's system users and their socket group when missing (idempotent, safe across
 * processes) and returns the password user's password. The password is random per machine, kept in
 * a root-only file: the users exist machine-wide, and a known password would open them to any other
 * sshd that allows password logins.
 */
export function ensureUsers(): Promise<string> {
  usersReady ??= (async () => {
    if ((await run('getent', ['group', SOCKET_GROUP])).code !== 0) {
      const added = await run('groupadd', ['--system', SOCKET_GROUP]);
      if (added.code !== 0 && (await run('getent', ['group', SOCKET_GROUP])).code !== 0) {
        throw new FixtureError('ERR_FIXTURE_START', `groupadd ${SOCKET_GROUP} failed: ${added.stderr.trim()}`);
      }
    }
    await mkdir(`${STATE_DIR}/home`, { recursive: true, mode: 0o755 });
    await chmod(STATE_DIR, 0o755);
    for (const user of Object.values(USERS)) {
      const home = `${STATE_DIR}/home/${user}`;
      const shell = SHELLS[user] ?? '/bin/sh';
      if ((await run('id', ['-u', user])).code !== 0) {
        const added = await run('useradd', [
          '--system',
          '--no-create-home',
          '--home-dir',
          home,
          '--shell',
          shell,
          '--groups',
          SOCKET_GROUP,
          user,
        ]);
        if (added.code !== 0 && (await run('id', ['-u', user])).code !== 0) {
          throw new FixtureError('ERR_FIXTURE_START', `useradd ${user} failed: ${added.stderr.trim()}`);
        }
      } else {
        if (!(await groupMembers(user)).includes(SOCKET_GROUP)) await runOk('usermod', ['-aG', SOCKET_GROUP, user]);
        const entry = (await runOk('getent', ['passwd', user])).trim().split(':');
        if (entry[5] !== home) await runOk('usermod', ['--home', home, user]);
        if (entry[6] !== shell) await runOk('usermod', ['--shell', shell, user]);
      }
      const uid = Number((await runOk('id', ['-u', user])).trim());
      const gid = Number((await runOk('id', ['-g', user])).trim());
      await mkdir(home, { recursive: true, mode: 0o755 });
      await chown(home, uid, gid);
      // Root-owned, so the rc file stays what the fixture wrote.
      if (user === USERS.slowShell) await writeFile(`${home}/.bashrc`, SLOW_BASHRC, { mode: 0o644 });
    }
    const passwordFile = `${STATE_DIR}/password`;
    let password: string;
    try {
      password = (await readFile(passwordFile, 'utf8')).trim();
    } catch {
      // URL-special characters and non-ASCII on purpose: clients must percent-encode and redact it.
      password = `p@ss:w/rd?#%[] é-${randomBytes(12).toString('base64url')}`;
      try {
        await writeFile(passwordFile, `${password}\n`, { mode: 0o600, flag: 'wx' });
      } catch {
        password = (await readFile(passwordFile, 'utf8')).trim();
      }
    }
    await runOk('chpasswd', [], { input: `${USERS.password}:${password}\n` });
    return password;
  })();
  usersReady.catch(() => {
    usersReady = undefined;
  });
  return usersReady;
}
