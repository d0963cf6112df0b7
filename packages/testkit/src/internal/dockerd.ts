import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FixtureError } from '../errors.js';
import type { FixtureContext } from './context.js';
import { killAllContainers, ping } from './dockerapi.js';
import { deadline, exitedPromise, hasExited, sleep, startDaemon, tail } from './proc.js';
import { SOCKET_GROUP } from './system.js';

// Hides a system containerd socket from dockerd in its own mount namespace, so that dockerd starts
// its own managed containerd under the exec root instead of sharing the machine's. Constant text;
// dockerd and its arguments follow as "$0" "$@".
const DOCKERD_WRAPPER =
  'if [ -S /run/containerd/containerd.sock ]; then mount -t tmpfs -o size=64k,mode=0700 tmpfs /run/containerd; fi; exec "$0" "$@"';

/**
 * The fixture's dockerd, and only it: its own data and exec roots under the fixture's dir, vfs
 * storage, no iptables and no bridge, its socket at `<dir>/docker.sock` (group {@link SOCKET_GROUP}),
 * in its own mount namespace inside the fixture's network namespace, its log at `<dir>/dockerd.log`.
 *
 * Whether it runs is judged by its socket (ready) and by Node's exit event of the child (gone),
 * never by `kill -0`: where PID 1 does not reap, a killed daemon's zombie still "exists".
 */
export class Dockerd {
  /** The daemon's unix socket. */
  readonly socket: string;
  readonly #ctx: FixtureContext;
  readonly #log: string;
  #child: ChildProcess | undefined;

  constructor(ctx: FixtureContext) {
    this.#ctx = ctx;
    this.socket = join(ctx.dir, 'docker.sock');
    this.#log = join(ctx.dir, 'dockerd.log');
  }

  #args(): string[] {
    const { dir, programs } = this.#ctx;
    return [
      '-c',
      DOCKERD_WRAPPER,
      programs.dockerd,
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'x'),
      '--host',
      `unix://${this.socket}`,
      '--pidfile',
      join(dir, 'docker.pid'),
      '--group',
      SOCKET_GROUP,
      '--storage-driver',
      'vfs',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge',
      'none',
      '--userland-proxy=false',
      '--shutdown-timeout',
      '2',
      '--log-level',
      'warn',
    ];
  }

  /**
   * Starts dockerd (on the same data root each time, so images survive a restart) and resolves once
   * its socket answers `_ping`; a no-op while the daemon runs. Throws ERR_FIXTURE_START with the log's
   * tail when it exits first or does not answer in 30 s.
   */
  async start(): Promise<void> {
    if (this.#child && !hasExited(this.#child)) return;
    const ctx = this.#ctx;
    if (!this.#child) await writeFile(join(ctx.dir, 'daemon.json'), '{}\n');
    const log = openSync(this.#log, 'a');
    let child: ChildProcess;
    try {
      // Its own mount namespace: dockerd's mounts (the data root, container rootfs) vanish with it.
      const [file, args] = ctx.inFixture(ctx.programs.unshare, ['--mount', '--propagation', 'slave', '/bin/sh', ...this.#args()]);
      child = startDaemon(file, args, ctx.env, ['ignore', log, log]);
    } finally {
      closeSync(log);
    }
    this.#child = child;
    ctx.track(child);
    const until = Date.now() + 30_000;
    while (!(await ping(this.socket))) {
      if (hasExited(child) || Date.now() > until) {
        throw new FixtureError(
          'ERR_FIXTURE_START',
          `dockerd did not start (${hasExited(child) ? `exited with ${child.exitCode ?? child.signalCode}` : 'no answer in 30 s'}); its log ends:\n${tail(this.#log)}`,
        );
      }
      await sleep(30);
    }
  }

  /**
   * Kills every container, then stops dockerd with SIGTERM (SIGKILL after 15 s). On return the
   * daemon has exited, so its socket no longer answers. A no-op when it does not run.
   */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || hasExited(child)) return;
    await killAllContainers(this.socket);
    child.kill('SIGTERM');
    const exited = exitedPromise(child);
    const timedOut = await Promise.race([exited.then(() => false), deadline(15_000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}
