import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FixtureError } from '../errors.js';
import { generateKey, generateRsaHostKey } from '../internal/keys.js';
import type { HostKey } from '../internal/keys.js';
import { writeClientFiles } from '../internal/client-files.js';
import { run, runOk } from '../internal/proc.js';
import { SLOW_SHELL_SECONDS, USERS, which } from '../internal/system.js';
import { tarStream } from '../internal/tar.js';
import type { TarEntry } from '../internal/tar.js';
import { ensureImage } from './image.js';
import type { DockerCli } from './image.js';
import {
  DOCKERD_SH,
  IMPORT_BUSYBOX_SH,
  INNER_DOCKER_HOST,
  INNER_IMAGE,
  KILL_SSHD_SH,
  SSHD_SH,
  START_SH,
  STOP_DOCKERD_SH,
  WAIT_DOCKERD_SH,
  WAIT_SSHD_SH,
  setupSh,
  sshdConfig,
} from './scripts.js';

/** Label on every container host; `docker rm -f -v $(docker ps -aq --filter label=org.ssh-docker.testkit.container-host)` cleans up after a killed test run. */
export const CONTAINER_LABEL = 'org.ssh-docker.testkit.container-host';

/**
 * Options of {@link startContainerHost}.
 *
 * @example
 * ```ts
 * const host = await startContainerHost({ dockerHost: 'unix:///tmp/outer/docker.sock' });
 * ```
 */
export interface ContainerHostOptions {
  /** The DOCKER_HOST of the daemon that runs the container (default: the environment's). */
  dockerHost?: string;
  /** The docker CLI (default: `docker` on PATH). */
  docker?: string;
  /** The 127.0.0.1 port sshd listens on (default: a free one). */
  port?: number;
  /**
   * `true`: `--privileged`. `'auto'` (default): `--privileged`, and when the daemon cannot grant every
   * capability (runc: "unable to apply caps"), every capability this machine's bounding set has, with
   * seccomp, AppArmor and /sys masking off and all devices allowed; the container then remounts /sys
   * and its cgroups writable itself.
   */
  privileged?: true | 'auto';
  /** Allow password and keyboard-interactive logins for {@link ContainerHost.passwordUser} (default true). */
  passwordAuthentication?: boolean;
  /** Progress lines (image build). */
  log?: (line: string) => void;
}

/**
 * The users of a container host by role (the same names as the netns fixture's `users`). Each logs
 * in with `identityFile` except `password`.
 */
export interface ContainerHostUsers {
  docker: string;
  password: string;
  noDocker: string;
  slowShell: string;
  nologin: string;
}

/**
 * A throwaway remote Docker host in one container: OpenSSH sshd in front of a Docker-in-Docker
 * dockerd, reachable on a loopback port of this machine.
 *
 * @example
 * ```ts
 * const host = await startContainerHost();
 * try {
 *   const env = { ...process.env, PATH: `${host.sshBinDir}:${process.env.PATH}` };
 *   execFileSync('docker', ['-H', `ssh://${host.alias}`, 'run', '--rm', host.image, 'echo', 'ok'], { env });
 * } finally {
 *   await host.stop();
 * }
 * ```
 */
export interface ContainerHost {
  /** `ssh://${user}@127.0.0.1:${port}`. */
  url: string;
  host: string;
  port: number;
  /** The key user; `docker system dial-stdio` reaches the inner daemon for it. */
  user: string;
  /** ed25519 private key without passphrase, authorized for every key user. */
  identityFile: string;
  /** ed25519 private key encrypted with `passphrase`, authorized for `user`. */
  encryptedIdentityFile: string;
  passphrase: string;
  passwordUser: string;
  password: string;
  noDockerUser: string;
  slowShellUser: string;
  slowShellSeconds: number;
  nologinUser: string;
  users: ContainerHostUsers;
  /** `[127.0.0.1]:port type base64` lines for the container's ed25519, ecdsa and rsa host keys. */
  knownHostsFile: string;
  /** An ssh_config with `Host <alias>`: HostName, Port, User, IdentityFile, UserKnownHostsFile, IdentitiesOnly yes. */
  sshConfigFile: string;
  alias: string;
  /** A directory whose `ssh` runs OpenSSH with `-F sshConfigFile`: prepend it to PATH for `docker -H ssh://<alias>`. */
  sshBinDir: string;
  hostKeys: HostKey[];
  /** The busybox image inside the inner daemon. */
  image: string;
  /** The container host's own image (cached on the outer daemon, tagged by the hash of its inputs). */
  hostImage: string;
  /** True when this call built {@link ContainerHost.hostImage}; `buildMs` is how long it took. */
  built: boolean;
  buildMs: number;
  /** The container's name on the outer daemon. */
  container: string;
  /** The inner daemon's DOCKER_HOST inside the container (sessions get it through sshd SetEnv). */
  innerDockerHost: string;
  /** `--privileged`, or `'caps'` for the fallback of {@link ContainerHostOptions.privileged}. */
  mode: 'privileged' | 'caps';
  /** This side's temp dir (keys, known_hosts, ssh_config); removed by `stop()`. */
  dir: string;
  /** Transport options for this host (url, key, known_hosts); a fresh object each call. */
  transportOptions(options?: { user?: string }): { url: string; identityFile: string; knownHostsFile: string; sshConfigFile: false };
  /** SIGKILLs sshd: the listener and every session process (inside the container). */
  killSshd(): Promise<void>;
  /** Starts sshd again with the same config and host keys (killing it first if it runs). */
  restartSshd(): Promise<void>;
  /** Stops the inner dockerd gracefully (SIGTERM); the socket stops answering. */
  stopDockerd(): Promise<void>;
  /** Starts the inner dockerd again on the same data root (images survive). */
  startDockerd(): Promise<void>;
  /** Not in container mode: these need the netns fixture (they throw ERR_FIXTURE_UNSUPPORTED). */
  delay(ms: number): Promise<void>;
  loss(percent: number): Promise<void>;
  rate(bitsPerSecond: number): Promise<void>;
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Not in container mode yet (ERR_FIXTURE_UNSUPPORTED): startDockerSshFixture has them. */
  startSecondSshd(options?: { sameHostKeys?: boolean }): Promise<never>;
  makeImage(name: string, options: { randomMiB: number }): Promise<never>;
  /** Processes in the container whose command line contains `pattern` or matches the RegExp. */
  countRemote(pattern: string | RegExp): Promise<number>;
  /** Runs a command inside the container (as root, not through sshd): a test's back door. */
  exec(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Removes the container and its anonymous volumes (`docker rm -f -v`) and the temp dir; the image stays. */
  stop(): Promise<void>;
}

const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const;

/** Capabilities missing from this process's bounding set (the ones a local daemon cannot grant either). */
function missingCaps(): string[] {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('CapBnd:'));
    if (!line) return [];
    const mask = BigInt(`0x${line.split(/\s+/)[1] ?? '0'}`);
    return CAP_NAMES.filter((_, bit) => (mask & (1n << BigInt(bit))) === 0n);
  } catch {
    return [];
  }
}

function capsFlags(): string[] {
  return [
    '--cap-add', 'ALL',
    ...missingCaps().flatMap((cap) => ['--cap-drop', cap]),
    '--security-opt', 'seccomp=unconfined',
    '--security-opt', 'apparmor=unconfined',
    '--security-opt', 'systempaths=unconfined',
    '--device-cgroup-rule', 'a *:* rwm',
  ];
}

/**
 * Set when a daemon refused --privileged for missing capabilities: later hosts in this process go
 * straight to the fallback (with vfs storage, every container create copies the whole image).
 */
const privilegedRefused = new Set<string>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Pipes a tar of `entries` into `docker cp - <container>:/`. */
function copyIn(cli: DockerCli, container: string, entries: TarEntry[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cli.file, ['cp', '-', `${container}:/`], { env: cli.env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new FixtureError('ERR_FIXTURE_START', `docker cp into ${container} exited with ${code}: ${stderr.trim()}`));
    });
    Readable.from(tarStream(entries)).pipe(child.stdin);
  });
}

const unsupported = (what: string): Promise<never> =>
  Promise.reject(
    new FixtureError(
      'ERR_FIXTURE_UNSUPPORTED',
      `${what} needs isolation 'netns' (startDockerSshFixture as root on Linux, which owns the link between client and server); the container host shares this machine's network (--network host) and has no link of its own to shape or cut`,
    ),
  );

const notInContainerMode = (what: string): Promise<never> =>
  Promise.reject(
    new FixtureError(
      'ERR_FIXTURE_UNSUPPORTED',
      `${what} is not available in container mode; startDockerSshFixture has it (isolation 'netns' or 'loopback', root on Linux)`,
    ),
  );

/**
 * Starts a containerized remote Docker host: one container (Debian bookworm, built here with
 * mmdebstrap and cached by the hash of `container/build.sh`) running OpenSSH sshd on a 127.0.0.1
 * port of this machine (`--network host`) in front of its own dockerd (Docker-in-Docker), with a
 * busybox image inside. Needs a Docker daemon (any user that can run `docker`), not root.
 *
 * @example
 * ```ts
 * const host = await startContainerHost();
 * try {
 *   console.log(host.url); // ssh://sdk-docker@127.0.0.1:41234
 * } finally {
 *   await host.stop();
 * }
 * ```
 */
export async function startContainerHost(options: ContainerHostOptions = {}): Promise<ContainerHost> {
  const dockerFile = options.docker ?? which('docker');
  if (!dockerFile) throw new FixtureError('ERR_FIXTURE_MISSING_PACKAGE', 'the docker CLI is not on PATH (install docker.io or Docker Desktop)');
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.dockerHost !== undefined) env['DOCKER_HOST'] = options.dockerHost;
  const cli: DockerCli = { file: dockerFile, env };
  const docker = (args: readonly string[], timeoutMs = 120_000) => run(cli.file, args, { env, timeoutMs });
  const dockerOk = (args: readonly string[], timeoutMs = 120_000) => runOk(cli.file, args, { env, timeoutMs });

  const t0 = Date.now();
  const phase = (what: string): void => options.log?.(`${what} at +${Date.now() - t0} ms`);
  const ping = await docker(['version', '--format', '{{.Server.Version}}'], 30_000);
  if (ping.code !== 0) {
    throw new FixtureError('ERR_FIXTURE_START', `no Docker daemon answers (DOCKER_HOST=${env['DOCKER_HOST'] ?? 'default'}): ${ping.stderr.trim()}`);
  }
  const sshKeygen = which('ssh-keygen');
  if (!sshKeygen) throw new FixtureError('ERR_FIXTURE_MISSING_PACKAGE', 'ssh-keygen is not installed (openssh-client)');

  const image = await ensureImage(cli, options.log ? { log: options.log } : {});
  phase(image.built ? `image ${image.tag} built` : `image ${image.tag} reused`);
  const port = options.port ?? (await freePort());
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be an integer in 1..65535');
  const host = '127.0.0.1';
  const id = randomBytes(4).toString('hex');
  const name = `sdk-ctr-${id}`;
  const dir = await mkdtemp('/tmp/sdk-ctr-');
  await chmod(dir, 0o700);

  let created = false;
  let stopped = false;
  const removeSync = (): void => {
    if (created) {
      try {
        execFileSync(cli.file, ['rm', '-f', '-v', name], { env, stdio: 'ignore', timeout: 30_000 });
      } catch {
        // best effort at exit
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const onExit = (): void => {
    removeSync();
  };
  process.once('exit', onExit);

  const cleanup = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    if (created) {
      const rmResult = await docker(['rm', '-f', '-v', name]);
      if (rmResult.code !== 0 && !/No such container/i.test(rmResult.stderr)) {
        throw new FixtureError('ERR_FIXTURE_COMMAND', `docker rm -f -v ${name} failed: ${rmResult.stderr.trim()}`);
      }
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const identityFile = join(dir, 'id_ed25519');
    const encryptedIdentityFile = join(dir, 'id_ed25519_enc');
    const passphrase = randomBytes(12).toString('base64url');
    const password = randomBytes(12).toString('base64url');
    const keysDir = join(dir, 'hostkeys');
    await mkdir(keysDir, { mode: 0o700 });
    const [clientKey, encryptedKey, ed25519, ecdsa, rsa] = await Promise.all([
      generateKey(sshKeygen, identityFile, 'ed25519'),
      generateKey(sshKeygen, encryptedIdentityFile, 'ed25519', passphrase),
      generateKey(sshKeygen, join(keysDir, 'host_ed25519'), 'ed25519'),
      generateKey(sshKeygen, join(keysDir, 'host_ecdsa'), 'ecdsa'),
      generateRsaHostKey(join(keysDir, 'host_rsa')),
    ]);
    const hostKeys = [ed25519, ecdsa, rsa];
    phase('keys made');
    const keyLine = (key: HostKey): string => `${key.type} ${key.blob.toString('base64')}\n`;

    const file = (name: string, data: string | Buffer, mode = 0o644): TarEntry => ({
      type: 'file',
      name: `sdk/${name}`,
      mode,
      data: typeof data === 'string' ? Buffer.from(data) : data,
    });
    const entries: TarEntry[] = [
      { type: 'dir', name: 'sdk', mode: 0o755 },
      { type: 'dir', name: 'sdk/log', mode: 0o755 },
      { type: 'dir', name: 'sdk/auth', mode: 0o755 },
      { type: 'dir', name: 'sdk/keys', mode: 0o700 },
      file('start.sh', START_SH, 0o755),
      file('setup.sh', setupSh(), 0o755),
      file('dockerd.sh', DOCKERD_SH, 0o755),
      file('sshd.sh', SSHD_SH, 0o755),
      file('wait-sshd.sh', WAIT_SSHD_SH, 0o755),
      file('wait-dockerd.sh', WAIT_DOCKERD_SH, 0o755),
      file('stop-dockerd.sh', STOP_DOCKERD_SH, 0o755),
      file('kill-sshd.sh', KILL_SSHD_SH, 0o755),
      file('import-busybox.sh', IMPORT_BUSYBOX_SH, 0o755),
      file('sshd_config', sshdConfig(port, options.passwordAuthentication !== false), 0o600),
      file('passwords', `${USERS.password}:${password}\n`, 0o600),
      file(`auth/${USERS.docker}`, keyLine(clientKey) + keyLine(encryptedKey)),
      ...[USERS.noDocker, USERS.slowShell, USERS.nologin].map((user) => file(`auth/${user}`, keyLine(clientKey))),
    ];
    for (const key of ['host_ed25519', 'host_ecdsa', 'host_rsa']) {
      entries.push(file(`keys/${key}`, await readFile(join(keysDir, key)), 0o600));
      entries.push(file(`keys/${key}.pub`, await readFile(join(keysDir, `${key}.pub`)), 0o644));
    }

    const createAndStart = async (mode: 'privileged' | 'caps'): Promise<{ ok: boolean; stderr: string }> => {
      await dockerOk([
        'create',
        '--name', name,
        '--label', `${CONTAINER_LABEL}=${id}`,
        '--network', 'host',
        ...(mode === 'privileged' ? ['--privileged'] : capsFlags()),
        image.tag,
      ]);
      created = true;
      await copyIn(cli, name, entries);
      const started = await docker(['start', name]);
      return { ok: started.code === 0, stderr: started.stderr };
    };

    const daemonKey = env['DOCKER_HOST'] ?? '';
    let mode: 'privileged' | 'caps' = options.privileged !== true && privilegedRefused.has(daemonKey) ? 'caps' : 'privileged';
    let started = await createAndStart(mode);
    if (!started.ok && mode === 'privileged' && options.privileged !== true && /unable to apply caps/i.test(started.stderr)) {
      privilegedRefused.add(daemonKey);
      await dockerOk(['rm', '-f', '-v', name]);
      created = false;
      mode = 'caps';
      started = await createAndStart(mode);
    }
    if (!started.ok) {
      throw new FixtureError('ERR_FIXTURE_START', `the container host ${name} did not start (${mode}): ${started.stderr.trim()}`);
    }
    phase(`container ${name} started (${mode})`);

    const exec = (args: readonly string[], timeoutMs = 120_000) => docker(['exec', name, ...args], timeoutMs);
    const execOk = async (what: string, args: readonly string[], timeoutMs = 120_000): Promise<string> => {
      const result = await exec(args, timeoutMs);
      if (result.code !== 0) {
        const logs = await exec(['sh', '-c', 'tail -n 20 /sdk/log/setup.log /sdk/log/sshd.log /sdk/log/dockerd.log 2>&1']);
        throw new FixtureError('ERR_FIXTURE_COMMAND', `${what} failed in ${name} (exit ${result.code}): ${result.stderr.trim()}\n${logs.stdout}`);
      }
      return result.stdout;
    };
    const sshdListening = async (): Promise<number> => {
      const result = await exec(['sh', '-c', `grep -c "Server listening on 127.0.0.1 port ${port}\\." /sdk/log/sshd.log || true`]);
      return Number(result.stdout.trim()) || 0;
    };

    try {
      await execOk('waiting for sshd', ['sh', '/sdk/wait-sshd.sh', String(port), '0'], 60_000);
      phase('sshd listening');
      await execOk('waiting for the inner dockerd', ['sh', '/sdk/wait-dockerd.sh'], 120_000);
      phase('inner dockerd answering');
      await execOk('importing the busybox image', ['sh', '/sdk/import-busybox.sh'], 120_000);
      phase('busybox image imported');
    } catch (err) {
      if (err instanceof FixtureError) throw new FixtureError('ERR_FIXTURE_START', err.message, { cause: err });
      throw err;
    }

    const { knownHostsFile, sshConfigFile, alias, sshBinDir } = await writeClientFiles(dir, `sdk-ctr-${id}`, host, port, hostKeys, identityFile);

    const live = (what: string): void => {
      if (stopped) throw new FixtureError('ERR_FIXTURE_STOPPED', `${what}: the container host is stopped`);
    };
    const url = `ssh://${USERS.docker}@${host}:${port}`;

    return {
      url,
      host,
      port,
      user: USERS.docker,
      identityFile,
      encryptedIdentityFile,
      passphrase,
      passwordUser: USERS.password,
      password,
      noDockerUser: USERS.noDocker,
      slowShellUser: USERS.slowShell,
      slowShellSeconds: SLOW_SHELL_SECONDS,
      nologinUser: USERS.nologin,
      users: { ...USERS },
      knownHostsFile,
      sshConfigFile,
      alias,
      sshBinDir,
      hostKeys,
      image: INNER_IMAGE,
      hostImage: image.tag,
      built: image.built,
      buildMs: image.buildMs,
      container: name,
      innerDockerHost: INNER_DOCKER_HOST,
      mode,
      dir,
      transportOptions(opts = {}) {
        const user = opts.user ?? USERS.docker;
        if (!(Object.values(USERS) as string[]).includes(user)) throw new TypeError('user must be one of host.users');
        return { url: `ssh://${user}@${host}:${port}`, identityFile, knownHostsFile, sshConfigFile: false };
      },
      async killSshd() {
        live('killSshd');
        await execOk('killing sshd', ['sh', '/sdk/kill-sshd.sh'], 30_000);
      },
      async restartSshd() {
        live('restartSshd');
        await execOk('killing sshd', ['sh', '/sdk/kill-sshd.sh'], 30_000);
        const before = await sshdListening();
        await execOk('starting sshd', ['sh', '/sdk/sshd.sh'], 30_000);
        await execOk('waiting for sshd', ['sh', '/sdk/wait-sshd.sh', String(port), String(before)], 60_000);
      },
      async stopDockerd() {
        live('stopDockerd');
        await execOk('stopping the inner dockerd', ['sh', '/sdk/stop-dockerd.sh'], 60_000);
      },
      async startDockerd() {
        live('startDockerd');
        const up = await exec(['docker', '-H', INNER_DOCKER_HOST, 'version', '--format', '{{.Server.Version}}'], 30_000);
        if (up.code === 0) return;
        await execOk('starting the inner dockerd', ['sh', '-c', '( sh /sdk/dockerd.sh </dev/null >/dev/null 2>&1 & )'], 30_000);
        await execOk('waiting for the inner dockerd', ['sh', '/sdk/wait-dockerd.sh'], 120_000);
      },
      delay: () => unsupported('delay()'),
      loss: () => unsupported('loss()'),
      rate: () => unsupported('rate()'),
      cut: () => unsupported('cut()'),
      restore: () => unsupported('restore()'),
      startSecondSshd: () => notInContainerMode('startSecondSshd()'),
      makeImage: () => notInContainerMode('makeImage()'),
      async countRemote(pattern) {
        live('countRemote');
        const out = await execOk('listing processes', ['ps', '-eo', 'args='], 30_000);
        const matches = (line: string): boolean => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
        return out
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line && !line.startsWith('ps -eo args=') && !/^(sh|bash|\/bin\/sh) -c /.test(line))
          .filter(matches).length;
      },
      async exec(args) {
        live('exec');
        return exec(args);
      },
      stop: cleanup,
    };
  } catch (err) {
    await cleanup().catch(() => undefined);
    throw err;
  }
}
