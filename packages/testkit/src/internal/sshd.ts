import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FixtureError } from '../errors.js';
import type { FixtureOptions, SecondSshd } from '../fixture.js';
import type { FixtureContext } from './context.js';
import { generateKey, generateRsaHostKey, knownHostsText } from './keys.js';
import type { HostKey } from './keys.js';
import { exitedPromise, freePort, hasExited, killQuiet, listProcesses, sleep, startDaemon, tail, waitGone } from './proc.js';
import { USERS } from './system.js';

/** What every sshd of a fixture is configured with. */
export interface SshdSettings {
  /** The address every sshd listens on. */
  host: string;
  /** Directory of `authorized_keys` files named by user (sshd `AuthorizedKeysFile <dir>/%u`). */
  authDir: string;
  /** `NAME=value` pairs, space-separated, for `SetEnv`. */
  sessionEnv: string;
  /** The PATH of `USERS.noDocker`: busybox applets without docker. */
  noDockerBin: string;
  /** The sshd options a test chose, validated by the fixture. */
  options: Pick<
    FixtureOptions,
    | 'maxSessions'
    | 'maxStartups'
    | 'passwordAuthentication'
    | 'keyboardInteractive'
    | 'allowStreamLocalForwarding'
    | 'disableForwarding'
    | 'acceptEnv'
  >;
}

/** Host key files `<dir>/<prefix>_{ed25519,ecdsa,rsa}` and their public keys, in that order. */
export interface HostKeySet {
  files: string[];
  keys: HostKey[];
}

/** A started sshd (`sshd -D`): the process that listens; its sessions are its descendants. */
interface Listener {
  child: ChildProcess;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readFrom(file: string, offset: number): string {
  try {
    return readFileSync(file).subarray(offset).toString('utf8');
  } catch {
    return '';
  }
}

/** Generates the ed25519, ecdsa and rsa host keys `<dir>/<prefix>_<type>`. */
export async function generateHostKeys(ctx: FixtureContext, prefix: string): Promise<HostKeySet> {
  const types = ['ed25519', 'ecdsa', 'rsa'] as const;
  const files = types.map((type) => join(ctx.dir, `${prefix}_${type}`));
  const keys = await Promise.all(
    types.map((type, i) =>
      type === 'rsa' ? generateRsaHostKey(files[i] ?? '') : generateKey(ctx.programs.sshKeygen, files[i] ?? '', type),
    ),
  );
  return { files, keys };
}

/**
 * The fixture's sshd listeners, and only they: their sshd_config files (every line written here),
 * the main listener (started, killed, restarted with the same config and host keys) and second
 * ones (their own host keys, port, config, log and known_hosts; same users, settings and daemon).
 * A listener is ready when its log says it listens: a probe connection would count against
 * MaxStartups and show up in the tests' view of the server.
 */
export class Sshd {
  readonly #ctx: FixtureContext;
  readonly #settings: SshdSettings;
  readonly #running = new Set<Listener>();
  #main: Listener | undefined;
  #mainPort = 0;
  #mainKeys: HostKeySet = { files: [], keys: [] };
  #seconds = 0;

  constructor(ctx: FixtureContext, settings: SshdSettings) {
    this.#ctx = ctx;
    this.#settings = settings;
  }

  #configText(port: number, keyFiles: readonly string[], pidFile: string): string {
    const { host, authDir, sessionEnv, noDockerBin, options } = this.#settings;
    return [
      '# ssh-docker testkit fixture: every line is written by the fixture, none comes from a test.',
      `ListenAddress ${host}:${port}`,
      ...keyFiles.map((file) => `HostKey ${file}`),
      `PidFile ${pidFile}`,
      // Keys live in the fixture's dir, not in the users' homes; StrictModes would demand
      // root- or user-owned, non-writable parents (sshd_config(5)), which a temp dir is not.
      `AuthorizedKeysFile ${authDir}/%u`,
      'StrictModes no',
      'UsePAM yes',
      'PermitRootLogin no',
      `AllowUsers ${Object.values(USERS).join(' ')}`,
      'PubkeyAuthentication yes',
      `PasswordAuthentication ${options.passwordAuthentication === false ? 'no' : 'yes'}`,
      `KbdInteractiveAuthentication ${options.keyboardInteractive === false ? 'no' : 'yes'}`,
      `AllowStreamLocalForwarding ${options.allowStreamLocalForwarding === false ? 'no' : 'yes'}`,
      ...(options.disableForwarding === true ? ['DisableForwarding yes'] : []),
      ...(options.maxSessions !== undefined ? [`MaxSessions ${options.maxSessions}`] : []),
      ...(options.maxStartups !== undefined ? [`MaxStartups ${options.maxStartups}`] : []),
      ...(options.acceptEnv?.length ? [`AcceptEnv ${options.acceptEnv.join(' ')}`] : []),
      'UseDNS no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      `SetEnv ${sessionEnv}`,
      // A Match block's SetEnv replaces the global list, so it repeats it with a PATH without docker.
      `Match User ${USERS.noDocker}`,
      `  SetEnv ${sessionEnv} PATH=${noDockerBin}`,
      '',
    ].join('\n');
  }

  /** Writes `<dir>/<name>_config` (pid file `<dir>/<name>.pid`). */
  async #writeConfig(name: string, port: number, keyFiles: readonly string[]): Promise<void> {
    const { dir } = this.#ctx;
    await writeFile(join(dir, `${name}_config`), this.#configText(port, keyFiles, join(dir, `${name}.pid`)), { mode: 0o600 });
  }

  /** Starts `<name>_config` (`sshd` for the main listener, `sshd<n>` for the others) and waits until `<name>.log` says it listens. */
  async #start(name: string, port: number): Promise<Listener> {
    const ctx = this.#ctx;
    const { host } = this.#settings;
    const logFile = join(ctx.dir, `${name}.log`);
    const logStart = fileSize(logFile);
    const [file, args] = ctx.inFixture(ctx.programs.sshd, ['-D', '-f', join(ctx.dir, `${name}_config`), '-E', logFile]);
    const child = startDaemon(file, args, ctx.env, 'ignore');
    ctx.track(child);
    const listener: Listener = { child };
    this.#running.add(listener);
    const until = Date.now() + 10_000;
    const listening = `Server listening on ${host} port ${port}.`;
    while (!readFrom(logFile, logStart).includes(listening)) {
      if (hasExited(child) || Date.now() > until) {
        throw new FixtureError('ERR_FIXTURE_START', `sshd did not start on ${host}:${port}; its log ends:\n${tail(logFile)}`);
      }
      await sleep(20);
    }
    return listener;
  }

  /** SIGKILLs a listener and its sessions (its descendants whose comm is sshd) and waits until they are gone. */
  async #kill(listener: Listener): Promise<void> {
    const rootPid = listener.child.pid;
    this.#running.delete(listener);
    if (rootPid === undefined) return;
    const all = listProcesses();
    const family = new Set([rootPid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of all) {
        if (!family.has(p.pid) && family.has(p.ppid)) {
          family.add(p.pid);
          grew = true;
        }
      }
    }
    const victims = all.filter((p) => family.has(p.pid) && (p.pid === rootPid || p.comm === 'sshd'));
    for (const p of victims) killQuiet(p.pid, 'SIGKILL');
    listener.child.kill('SIGKILL');
    await exitedPromise(listener.child);
    await waitGone(
      victims.map((p) => p.pid),
      5000,
    );
  }

  /** Writes `<dir>/sshd_config` for `port` and these host keys, and starts the main listener. */
  async start(port: number, hostKeys: HostKeySet): Promise<void> {
    this.#mainPort = port;
    this.#mainKeys = hostKeys;
    await this.#writeConfig('sshd', port, hostKeys.files);
    this.#main = await this.#start('sshd', port);
  }

  /** SIGKILLs the main listener and every session it accepted. */
  async kill(): Promise<void> {
    if (this.#main) await this.#kill(this.#main);
  }

  /** Starts the main listener again with the same config and host keys, killing it first if it runs. */
  async restart(): Promise<void> {
    if (this.#main && this.#running.has(this.#main)) await this.#kill(this.#main);
    this.#main = await this.#start('sshd', this.#mainPort);
  }

  /**
   * Starts another listener: the main one's host keys with `sameHostKeys`, new ones otherwise; port
   * 2200 + n in the namespace, a free port on loopback. Its `stop()` kills it (and its sessions).
   */
  async startSecond(options: { sameHostKeys?: boolean }): Promise<SecondSshd> {
    const ctx = this.#ctx;
    const { host } = this.#settings;
    const k = ++this.#seconds;
    const { files, keys } = options.sameHostKeys ? this.#mainKeys : await generateHostKeys(ctx, `host${k + 1}`);
    const port = ctx.link ? 2200 + k : await freePort();
    const name = `sshd${k + 1}`;
    await this.#writeConfig(name, port, files);
    const knownHostsFile = join(ctx.dir, `known_hosts${k + 1}`);
    await writeFile(knownHostsFile, knownHostsText(host, port, keys), { mode: 0o644 });
    const listener = await this.#start(name, port);
    return {
      host,
      port,
      hostKeys: keys,
      knownHostsFile,
      stop: async () => {
        if (this.#running.has(listener)) await this.#kill(listener);
      },
    };
  }

  /**
   * Kills every listener still up, the main one and second ones, with their sessions; on return
   * their sshd processes are gone (5 s per listener at most). What the sessions ran is left to the
   * fixture's teardown, which finds it by namespace and marker.
   */
  async stop(): Promise<void> {
    for (const listener of [...this.#running]) await this.#kill(listener);
  }
}
