import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { FixtureError } from './errors.js';
import type { FixtureContext } from './internal/context.js';
import { importImage } from './internal/dockerapi.js';
import { Dockerd } from './internal/dockerd.js';
import { Faults } from './internal/faults.js';
import { generateKey } from './internal/keys.js';
import type { HostKey } from './internal/keys.js';
import { MARKER, register, sweepStale, unmountUnder, unregister } from './internal/janitor.js';
import { createNetns, destroyNetns, destroyNetnsSync, netnsMember } from './internal/netns.js';
import type { NetnsLink } from './internal/netns.js';
import { debug, freePort, hasEnv, killQuiet, listProcesses, waitGone } from './internal/proc.js';
import type { ProcessInfo } from './internal/proc.js';
import { generateHostKeys, Sshd } from './internal/sshd.js';
import { writeClientFiles } from './internal/client-files.js';
import { busyboxRootfs } from './internal/tar.js';
import { ensureUsers, preflight, SLOW_SHELL_SECONDS, USERS } from './internal/system.js';
import type { Programs } from './internal/system.js';

export type { HostKey };

/**
 * Options of {@link startDockerSshFixture}. Every option has sshd's or the fixture's documented default.
 *
 * @example
 * ```ts
 * const fixture = await startDockerSshFixture({ maxSessions: 2, maxStartups: '3:100:3', keyboardInteractive: false });
 * ```
 */
export interface FixtureOptions {
  /** sshd `MaxSessions` (sessions per connection). Default: sshd's default, 10. */
  maxSessions?: number;
  /** sshd `MaxStartups`, `start:rate:full` or a single number, e.g. `'10:30:100'`. Default: sshd's default. */
  maxStartups?: string;
  /** sshd `PasswordAuthentication` (for {@link DockerSshFixture.passwordUser}). Default: true. */
  passwordAuthentication?: boolean;
  /** sshd `KbdInteractiveAuthentication` through PAM. Default: true. */
  keyboardInteractive?: boolean;
  /** sshd `AllowStreamLocalForwarding` (direct-streamlocal to the docker socket). Default: true. */
  allowStreamLocalForwarding?: boolean;
  /** sshd `DisableForwarding yes` (overrides every forwarding option, stream-local too). Default: false. */
  disableForwarding?: boolean;
  /**
   * The `DOCKER_HOST` the fixture's SSH sessions get (sshd `SetEnv`), e.g. `'tcp://127.0.0.1:2375'` or
   * another daemon's `unix://` socket. Default: `unix://` and the fixture daemon's socket.
   */
  dockerHost?: string;
  /** Environment variable names sshd accepts from clients (`AcceptEnv`), to test that none is sent. Default: none. */
  acceptEnv?: readonly string[];
  /**
   * Route every connection through the delay relay from the start, so that `delay()` also slows
   * connections opened before it. The relay accepts connections even while sshd is killed (it then
   * closes them at once instead of the kernel refusing them). Needs `'netns'`. Default: false, so
   * connections are direct until a delay is set.
   */
  relayAllConnections?: boolean;
  /**
   * `'netns'`: own network namespace reached over a veth pair (root on Linux). `'loopback'`: sshd on
   * 127.0.0.1 and a free port (network faults are then unsupported). `'auto'` (default): netns when
   * it can be created, loopback otherwise.
   */
  isolation?: 'auto' | 'netns' | 'loopback';
}

/**
 * A running second sshd of a fixture (see {@link DockerSshFixture.startSecondSshd}).
 *
 * @example
 * ```ts
 * const impostor = await fixture.startSecondSshd(); // same users and daemon, other host keys
 * // connect to impostor.host:impostor.port with fixture.knownHostsFile: the key is "changed"
 * await impostor.stop();
 * ```
 */
export interface SecondSshd {
  host: string;
  port: number;
  hostKeys: HostKey[];
  /** known_hosts lines for this server's own keys. */
  knownHostsFile: string;
  stop(): Promise<void>;
}

/**
 * Options for `createDockerSshTransport` (from `@ssh-docker/transport`) that reach a fixture: its
 * URL, key, and known_hosts, with no ssh_config and no agent. A plain object typed by shape, so that
 * testkit needs no runtime import of the transport; it is assignable to `DockerSshTransportOptions`.
 *
 * @example
 * ```ts
 * const transport = createDockerSshTransport({ ...fixture.transportOptions(), maxConnections: 1 });
 * ```
 */
export interface FixtureTransportOptions {
  /** `ssh://<user>@<host>:<port>` for the chosen user (the key user by default). */
  url: string;
  configFile: false;
  identityFiles: string[];
  knownHostsFiles: string[];
  agent: false;
}

/**
 * The users of a fixture by role. Each logs in with {@link DockerSshFixture.identityFile} except
 * `password`, which logs in with {@link DockerSshFixture.password}.
 *
 * @example
 * ```ts
 * const url = `ssh://${fixture.users.slowShell}@${fixture.host}:${fixture.port}`;
 * ```
 */
export interface FixtureUsers {
  /** Key user, docker works (same as `user`). */
  docker: string;
  /** Password and keyboard-interactive user, docker works. */
  password: string;
  /** Key user without `docker` on its PATH. */
  noDocker: string;
  /** Key user, docker works, bash login shell with a slow `~/.bashrc`. */
  slowShell: string;
  /** Key user whose shell is `/usr/sbin/nologin`. */
  nologin: string;
}

/**
 * A throwaway remote Docker host: a real OpenSSH sshd in front of a real dockerd.
 *
 * @example
 * ```ts
 * const fixture = await startDockerSshFixture();
 * try {
 *   await fixture.delay(200);            // every new connection pays 200 ms per round trip
 *   await fixture.cut();                 // now new connections time out
 *   await fixture.restore();
 * } finally {
 *   await fixture.stop();
 * }
 * ```
 */
export interface DockerSshFixture {
  /** `ssh://${user}@${host}:${port}`. */
  url: string;
  host: string;
  port: number;
  /** The key user; `docker system dial-stdio` reaches the fixture's daemon for it. */
  user: string;
  /** ed25519 private key without passphrase, authorized for `user` and `noDockerUser`. */
  identityFile: string;
  /** ed25519 private key encrypted with `passphrase`, authorized for `user`. */
  encryptedIdentityFile: string;
  passphrase: string;
  /** A user that logs in with `password` (password and keyboard-interactive); docker works for it too. */
  passwordUser: string;
  password: string;
  /** Key auth with `identityFile`; `docker` is not on its PATH (the socket is reachable by streamlocal). */
  noDockerUser: string;
  /**
   * Key auth with `identityFile`; docker works for it, but its login shell is bash and its
   * `~/.bashrc` sleeps {@link DockerSshFixture.slowShellSeconds} (as nvm or conda make one), so every
   * session, `docker system dial-stdio` included, starts that much later.
   */
  slowShellUser: string;
  /** The sleep of {@link DockerSshFixture.slowShellUser}'s rc file, in seconds (0.45). */
  slowShellSeconds: number;
  /**
   * Key auth with `identityFile`; its shell is `/usr/sbin/nologin`, which prints "This account is
   * currently not available." on stdout and exits 1 for any command: a remote account that is not a
   * Docker shell.
   */
  nologinUser: string;
  /** Every user of the fixture by role (the same names as the `*User` fields). */
  users: FixtureUsers;
  /** `[host]:port keytype base64` lines (bare host for port 22) for the ed25519, ecdsa and rsa host keys. */
  knownHostsFile: string;
  /** An ssh_config with `Host <alias>`: HostName, Port, User, IdentityFile, UserKnownHostsFile, IdentitiesOnly yes. */
  sshConfigFile: string;
  alias: string;
  /** A directory whose `ssh` runs OpenSSH with `-F sshConfigFile`: prepend it to PATH for `docker -H ssh://<alias>`. */
  sshBinDir: string;
  hostKeys: HostKey[];
  /** The fixture daemon's unix socket, usable directly from this side. */
  dockerSocket: string;
  /** The busybox test image, e.g. `ssh-docker-test/busybox:latest`. */
  image: string;
  /** The fixture's temp dir (removed by `stop()`). */
  dir: string;
  /** `'netns'` or `'loopback'`: what `isolation: 'auto'` chose. */
  isolation: 'netns' | 'loopback';
  /**
   * Transport options for this fixture (see {@link FixtureTransportOptions}); `user` picks another
   * key user (e.g. `fixture.slowShellUser`), the key user by default. A fresh object each call.
   */
  transportOptions(options?: { user?: string }): FixtureTransportOptions;
  /** Imports an image made of the busybox rootfs plus `/random.bin` of `randomMiB` MiB of random bytes. */
  makeImage(name: string, options: { randomMiB: number }): Promise<void>;
  /** Adds `ms` to every round trip of connections opened afterwards (a relay in the fixture); 0 removes it. */
  delay(ms: number): Promise<void>;
  /** Drops `percent` % of packets in each direction on the fixture's link (iptables `statistic`). */
  loss(percent: number): Promise<void>;
  /** Limits the link to `bitsPerSecond` in each direction (tc `tbf`). */
  rate(bitsPerSecond: number): Promise<void>;
  /** Drops every packet on the link: new connections time out, open ones stall. */
  cut(): Promise<void>;
  /** Heals `cut()` and clears delay, loss and rate. */
  restore(): Promise<void>;
  /** Kills sshd: the listener and every session process (SIGKILL). */
  killSshd(): Promise<void>;
  /** Starts sshd again with the same config and host keys (killing it first if it runs). */
  restartSshd(): Promise<void>;
  /** Stops dockerd gracefully (SIGTERM); the socket stops answering. */
  stopDockerd(): Promise<void>;
  /** Starts dockerd again on the same data root (images survive). */
  startDockerd(): Promise<void>;
  /**
   * Number of processes in the fixture (sshd sessions and what they run, dockerd and its children,
   * orphans included) whose command line (arguments joined by spaces) contains `pattern` or matches
   * the RegExp. A shell that only runs `sh -c <command>` is not counted; its command is.
   */
  countRemote(pattern: string | RegExp): Promise<number>;
  /** A second sshd in the fixture, with its own host keys unless `sameHostKeys`, same users and docker. */
  startSecondSshd(options?: { sameHostKeys?: boolean }): Promise<SecondSshd>;
  /** Stops everything the fixture started and removes its namespace, mounts, sockets and temp dir. */
  stop(): Promise<void>;
}

const IMAGE = 'ssh-docker-test/busybox:latest';
const DAEMON_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const NO_DOCKER_APPLETS = ['sh', 'env', 'cat', 'echo', 'ls', 'id', 'sleep', 'true', 'false', 'ps', 'printf', 'test'];

let fixtureCounter = 0;
const live = new Set<FixtureState>();
let exitHookInstalled = false;

interface FixtureState {
  id: string;
  dir: string;
  programs: Programs;
  link: NetnsLink | undefined;
  children: Set<ChildProcess>;
  stopped: boolean;
}

/**
 * Every process that belongs to the fixture: marked by its environment, or inside its namespace.
 * Synchronous, so that stop() and the exit hook find the same processes (sshd sessions among them).
 */
function fixtureProcesses(state: FixtureState): ProcessInfo[] {
  const inNetns = state.link ? netnsMember(state.link.name) : (): boolean => false;
  const entry = `${MARKER}=${state.id}`;
  return listProcesses().filter((p) => p.pid !== process.pid && (inNetns(p.pid) || hasEnv(p.pid, entry)));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Best effort when a test run ends without stop(): only synchronous work is possible here.
  const cleanUpSync = (): void => {
    for (const state of live) {
      for (const child of state.children) if (child.pid) killQuiet(child.pid, 'SIGKILL');
      for (const p of fixtureProcesses(state)) killQuiet(p.pid, 'SIGKILL');
      if (state.link) destroyNetnsSync(state.programs.ip, state.link);
      unmountUnder(state.dir);
      rmSync(state.dir, { recursive: true, force: true });
      unregister(state.id);
    }
    live.clear();
  };
  process.once('exit', cleanUpSync);
  // Test runners end their workers with a signal, which skips 'exit'. Clean up, then let the
  // signal do what it would have done had nobody listened (unless someone else handles it).
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      process.removeListener(signal, onSignal);
      cleanUpSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function validate(options: FixtureOptions): void {
  const { maxSessions, maxStartups, acceptEnv, isolation } = options;
  if (maxSessions !== undefined && (!Number.isInteger(maxSessions) || maxSessions < 0 || maxSessions > 10_000)) {
    throw new RangeError('maxSessions must be an integer from 0 to 10000');
  }
  if (maxStartups !== undefined && !/^\d{1,5}(:\d{1,3}:\d{1,5})?$/.test(maxStartups)) {
    throw new RangeError("maxStartups must be 'start' or 'start:rate:full' (digits), as in sshd_config(5)");
  }
  if (acceptEnv !== undefined && !acceptEnv.every((name) => /^[A-Za-z_*?][A-Za-z0-9_*?]*$/.test(name))) {
    throw new RangeError('acceptEnv names must be environment variable names or patterns (letters, digits, _, *, ?)');
  }
  if (options.dockerHost !== undefined && !/^[a-z]{1,10}:\/\/[A-Za-z0-9._/:-]{1,200}$/.test(options.dockerHost)) {
    throw new RangeError("dockerHost must be scheme://address of letters, digits, '.', '_', '/', ':' and '-'");
  }
  if (isolation !== undefined && !['auto', 'netns', 'loopback'].includes(isolation)) {
    throw new TypeError("isolation must be 'auto', 'netns' or 'loopback'");
  }
}

/**
 * Starts a throwaway remote Docker host: a real OpenSSH `sshd` (ed25519, ecdsa and rsa host keys;
 * a key user, a password user and a user without the docker CLI) in front of a real `dockerd` (its
 * own data and exec roots, vfs storage, no iptables, no bridge, a busybox image imported from the
 * local `/bin/busybox`; no registry). As root on Linux it lives in its own network namespace with a
 * 198.18.0.0/15 address; otherwise on 127.0.0.1. Always call `stop()` (e.g. in `afterAll`).
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, expect, test } from 'vitest';
 * import { execFileSync } from 'node:child_process';
 * import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
 *
 * let fixture: DockerSshFixture;
 * beforeAll(async () => { fixture = await startDockerSshFixture(); });
 * afterAll(() => fixture.stop());
 *
 * test('the docker CLI reaches the fixture over ssh', () => {
 *   const env = { ...process.env, PATH: `${fixture.sshBinDir}:${process.env.PATH}` };
 *   const out = execFileSync('docker', ['-H', `ssh://${fixture.alias}`, 'run', '--rm', fixture.image, 'echo', 'ok'], { env });
 *   expect(out.toString()).toBe('ok\n');
 * });
 * ```
 */
export async function startDockerSshFixture(options: FixtureOptions = {}): Promise<DockerSshFixture> {
  validate(options);
  const started = Date.now();
  const programs = preflight();
  const password = await ensureUsers();
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const n = ++fixtureCounter;
  const id = `${process.pid}-${n}-${randomBytes(3).toString('hex')}`;
  // Short base path: unix socket paths must stay under 108 bytes (sun_path).
  // /tmp, not TMPDIR: the fixture's users must traverse every parent to reach the docker socket.
  const dir = await mkdtemp('/tmp/sdk-');
  await chmod(dir, 0o755); // the fixture's users traverse it to reach the docker socket
  const state: FixtureState = { id, dir, programs, link: undefined, children: new Set(), stopped: false };
  installExitHook();
  sweepStale();
  register({ pid: process.pid, id, dir });
  live.add(state);
  try {
    return await setUp(state, options, password, started);
  } catch (err) {
    await teardown(state).catch((cleanupError: unknown) => {
      debug('cleanup after a failed start failed: %s', String(cleanupError));
    });
    throw err;
  }
}

/** The context the fixture's parts share (see {@link FixtureContext}); its `assertRunning` is the one `stopped` guard. */
function contextOf(state: FixtureState): FixtureContext {
  const { id, dir, programs, link } = state;
  return {
    id,
    dir,
    programs,
    link,
    env: { PATH: DAEMON_PATH, [MARKER]: id },
    // nsenter, not `ip netns exec`: the latter remounts /sys, which hides the cgroup mounts dockerd needs.
    inFixture: (file, args) =>
      link ? [programs.nsenter, [`--net=/run/netns/${link.name}`, '--', file, ...args]] : [file, [...args]],
    track(child) {
      state.children.add(child);
      child.once('exit', () => state.children.delete(child));
    },
    assertRunning(what) {
      if (state.stopped) throw new FixtureError('ERR_FIXTURE_STOPPED', `${what}: the fixture is stopped`);
    },
  };
}

/**
 * Composes the fixture: its network (namespace or loopback), keys and users' files, then
 * {@link Dockerd}, {@link Sshd} and {@link Faults}, each the one owner of its concern.
 */
async function setUp(
  state: FixtureState,
  options: FixtureOptions,
  password: string,
  started: number,
): Promise<DockerSshFixture> {
  const { dir, programs, id } = state;
  const isolation = options.isolation ?? 'auto';
  if (isolation !== 'loopback') {
    try {
      state.link = await createNetns(programs.ip, { pid: process.pid, dir });
      const { name, hostIf, lockFile } = state.link;
      register({ pid: process.pid, id, dir, netns: name, hostIf, lockFile });
    } catch (err) {
      if (isolation === 'netns') throw err;
      debug('no network namespace (%s): falling back to loopback', (err as Error).message);
    }
  }
  const link = state.link;
  const host = link ? link.address : '127.0.0.1';
  const port = link ? 22 : await freePort();
  const ctx = contextOf(state);

  // Keys (in parallel with dockerd: ssh-keygen is quick except for RSA).
  const passphrase = `pass phrase:@/?#%[] ü-${randomBytes(9).toString('base64url')}`;
  const identityFile = join(dir, 'id_ed25519');
  const encryptedIdentityFile = join(dir, 'id_ed25519_encrypted');
  const keygen = Promise.all([
    generateHostKeys(ctx, 'host'),
    generateKey(programs.sshKeygen, identityFile, 'ed25519'),
    generateKey(programs.sshKeygen, encryptedIdentityFile, 'ed25519', passphrase),
  ]);

  // dockerd, and the test image once it answers.
  const dockerd = new Dockerd(ctx);
  const dockerSocket = dockerd.socket;
  const dockerdReady = dockerd.start().then(() => importImage(dockerSocket, IMAGE, busyboxRootfs(programs.busybox)));

  const [mainKeys, clientKey, encryptedKey] = await keygen;
  debug('fixture %s: keys after %d ms', id, Date.now() - started);
  const hostKeys = mainKeys.keys;
  const keyLine = (key: HostKey): string => `${key.type} ${key.blob.toString('base64')} ssh-docker-testkit\n`;
  const authDir = join(dir, 'authorized_keys');
  await mkdir(authDir, { mode: 0o755 });
  await writeFile(join(authDir, USERS.docker), keyLine(clientKey) + keyLine(encryptedKey), { mode: 0o644 });
  for (const user of [USERS.noDocker, USERS.slowShell, USERS.nologin]) {
    await writeFile(join(authDir, user), keyLine(clientKey), { mode: 0o644 });
  }

  const dockerConfig = join(dir, 'docker-config');
  await mkdir(dockerConfig, { mode: 0o755 });
  await writeFile(join(dockerConfig, 'config.json'), '{}\n', { mode: 0o644 });
  const noDockerBin = join(dir, 'nodocker-bin');
  await mkdir(noDockerBin, { mode: 0o755 });
  for (const applet of NO_DOCKER_APPLETS) await symlink(programs.busybox, join(noDockerBin, applet));

  const sessionEnv = `${MARKER}=${id} DOCKER_HOST=${options.dockerHost ?? `unix://${dockerSocket}`} DOCKER_CONFIG=${dockerConfig}`;
  const sshd = new Sshd(ctx, { host, authDir, sessionEnv, noDockerBin, options });
  const { knownHostsFile, sshConfigFile, alias, sshBinDir } = await writeClientFiles(dir, `sdk-fixture-${id}`, host, port, hostKeys, identityFile);

  await sshd.start(port, mainKeys);
  debug('fixture %s: sshd after %d ms', id, Date.now() - started);
  await dockerdReady;
  debug('fixture %s: dockerd and image after %d ms', id, Date.now() - started);

  const faults = new Faults(ctx, host, port);
  if (options.relayAllConnections) await faults.routeAll();

  const fixture: DockerSshFixture = {
    url: `ssh://${USERS.docker}@${host}:${port}`,
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
    dockerSocket,
    image: IMAGE,
    dir,
    isolation: link ? 'netns' : 'loopback',

    transportOptions({ user = USERS.docker } = {}) {
      if (!(Object.values(USERS) as string[]).includes(user)) throw new TypeError('user must be one of fixture.users');
      return {
        url: `ssh://${user}@${host}:${port}`,
        configFile: false,
        identityFiles: [identityFile],
        knownHostsFiles: [knownHostsFile],
        agent: false,
      };
    },

    async makeImage(name, { randomMiB }) {
      if (!/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$/.test(name)) {
        throw new TypeError('image name must be a lowercase docker reference such as `test/big:latest`');
      }
      if (!Number.isInteger(randomMiB) || randomMiB < 0 || randomMiB > 8191) {
        throw new RangeError('randomMiB must be an integer from 0 to 8191');
      }
      await importImage(dockerSocket, name, [
        ...busyboxRootfs(programs.busybox),
        { type: 'random', name: 'random.bin', size: randomMiB * 1024 * 1024 },
      ]);
    },

    delay: (ms) => faults.delay(ms),
    loss: (percent) => faults.loss(percent),
    rate: (bitsPerSecond) => faults.rate(bitsPerSecond),
    cut: () => faults.cut(),
    restore: () => faults.restore(),

    async killSshd() {
      ctx.assertRunning('killSshd');
      await sshd.kill();
    },

    async restartSshd() {
      ctx.assertRunning('restartSshd');
      await sshd.restart();
    },

    async stopDockerd() {
      ctx.assertRunning('stopDockerd');
      await dockerd.stop();
    },

    async startDockerd() {
      ctx.assertRunning('startDockerd');
      await dockerd.start();
    },

    countRemote(pattern) {
      const matches = (cmdline: string): boolean =>
        typeof pattern === 'string' ? cmdline.includes(pattern) : pattern.test(cmdline);
      // A shell running `sh -c <command>` only waits for its child, which is the process that
      // matters (and the one left behind as an orphan): count the command, not its wrapper.
      const isShellWrapper = (p: ProcessInfo): boolean => /^(?:sh|dash|bash|ash)$/.test(p.comm) && / -c /.test(p.cmdline);
      return Promise.resolve(fixtureProcesses(state).filter((p) => !isShellWrapper(p) && matches(p.cmdline)).length);
    },

    async startSecondSshd(secondOptions = {}) {
      ctx.assertRunning('startSecondSshd');
      return sshd.startSecond(secondOptions);
    },

    async stop() {
      if (state.stopped) return;
      state.stopped = true;
      const stopping = Date.now();
      await faults.close();
      await sshd.stop();
      debug('fixture %s: sshd down after %d ms', id, Date.now() - stopping);
      await dockerd.stop();
      debug('fixture %s: dockerd down after %d ms', id, Date.now() - stopping);
      await teardown(state);
      debug('fixture %s: stopped in %d ms', id, Date.now() - stopping);
    },
  };
  debug('fixture %s up at %s in %d ms (%s)', id, fixture.url, Date.now() - started, fixture.isolation);
  return fixture;
}

/** Kills whatever is left of the fixture and removes namespace, mounts and files. Idempotent. */
async function teardown(state: FixtureState): Promise<void> {
  state.stopped = true;
  for (const child of state.children) child.kill('SIGKILL');
  for (let round = 0; round < 3; round++) {
    const left = fixtureProcesses(state);
    if (left.length === 0) break;
    for (const p of left) killQuiet(p.pid, 'SIGKILL');
    await waitGone(
      left.map((p) => p.pid),
      5000,
    );
  }
  unmountUnder(state.dir);
  if (state.link) await destroyNetns(state.programs.ip, state.link);
  rmSync(state.dir, { recursive: true, force: true });
  unregister(state.id);
  live.delete(state);
}
