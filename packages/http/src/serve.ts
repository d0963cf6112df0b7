import { unlinkSync, rmSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, realpath, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { HttpError, codeOf } from './errors.js';
import { checkConnector, checkMs, DEFAULT_CONNECT_TIMEOUT_MS, openStream, type Connector } from './internal/connect.js';
import { channels, debug } from './internal/diagnostics.js';

/**
 * Default time {@link DockerSocketServer.close} waits for open connections before it aborts them.
 *
 * @example
 * ```ts
 * await server.close({ timeoutMs: DEFAULT_CLOSE_TIMEOUT_MS * 2 });
 * ```
 */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/**
 * Default cap on connections relayed at once; more are refused (closed) until one ends.
 *
 * @example
 * ```ts
 * await serveDockerSocket(connect, { maxConnections: DEFAULT_MAX_CONNECTIONS / 4 });
 * ```
 */
export const DEFAULT_MAX_CONNECTIONS = 256;

/**
 * Options of {@link serveDockerSocket}.
 *
 * @example
 * ```ts
 * const options: ServeDockerSocketOptions = { path: `${process.env.XDG_RUNTIME_DIR}/ssh-docker/docker.sock` };
 * const server = await serveDockerSocket(connect, options);
 * ```
 */
export interface ServeDockerSocketOptions {
  /**
   * Where to create the socket. Its directory must be ours and not group- or world-writable;
   * a missing directory is created 0700 (its parent must be ours). Default: `docker.sock` in a
   * fresh 0700 directory under the OS temp dir, removed on close.
   */
  readonly path?: string | undefined;
  /** The connector must open a stream within this long, else the client connection is closed. Default 30 000 ms. */
  readonly connectTimeoutMs?: number | undefined;
  /** Connections relayed at once. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number | undefined;
  /**
   * Remove the socket (and the directory made for it) when the process ends without calling
   * `close()`: on `process.exit()`, and on SIGINT, SIGTERM or SIGHUP when nothing else in the
   * process listens for that signal (the socket is removed, then the signal is raised again so
   * the process still ends as it would have). When the application has its own handler for a
   * signal, that handler decides, and should call `close()`. Default true.
   */
  readonly removeOnExit?: boolean | undefined;
}

/**
 * Options of {@link DockerSocketServer.close}.
 *
 * @example
 * ```ts
 * await server.close({ timeoutMs: 1_000 });
 * ```
 */
export interface CloseOptions {
  /** Open connections may finish within this long; then they are aborted. Default {@link DEFAULT_CLOSE_TIMEOUT_MS}. */
  readonly timeoutMs?: number | undefined;
}

/**
 * A running local socket from {@link serveDockerSocket}.
 *
 * @example
 * ```ts
 * const server: DockerSocketServer = await serveDockerSocket(connect);
 * spawn('docker', ['ps'], { env: { ...process.env, DOCKER_HOST: server.dockerHost } });
 * ```
 */
export interface DockerSocketServer {
  /** Absolute path of the unix socket. */
  readonly path: string;
  /** `unix://` + path: the value for `DOCKER_HOST` or `docker -H`. */
  readonly dockerHost: string;
  /** Stops accepting, lets open connections drain until the deadline, aborts the rest, removes the socket. */
  close(options?: CloseOptions): Promise<void>;
}

// sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS, including the NUL.
const MAX_SOCKET_PATH_BYTES = 103;

/** Raw file-system failures on the socket path, as a documented code naming the path and the fix. */
function pathFailure(err: unknown, what: string): never {
  if (err instanceof HttpError) throw err;
  const reason = FILE_SYSTEM_REASONS[codeOf(err) ?? ''] ?? 'the file system refused';
  throw new HttpError('ERR_HTTP_SOCKET_PATH', `${what} failed: ${reason}; choose a socket path in an existing directory you own`);
}

/** The file system's refusals in words: a raw errno is not one of our codes and says nothing to a user. */
const FILE_SYSTEM_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'a directory on the path does not exist',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EADDRINUSE: 'the address is in use',
};

function isUnsafeAncestor(info: { uid: number; mode: number }, uid: number | undefined): string | undefined {
  // misc.c safe_path(): every directory up to `/` must be owned by root or the user, and not
  // group- or world-writable, or another user could rename it and put their own socket in its place.
  if (uid !== undefined && info.uid !== 0 && info.uid !== uid) return 'belongs to another user';
  if ((info.mode & 0o022) === 0) return undefined;
  // One deliberate difference from safe_path(): a sticky directory owned by root (/tmp) is accepted.
  // In it no other user can rename or remove an entry they do not own (unlink(2), rename(2):
  // EPERM on a sticky directory), and the entry below it is checked to be ours.
  if ((info.mode & 0o1000) !== 0 && info.uid === 0) return undefined;
  return 'is group- or world-writable';
}

/** Checks every directory from `dir`'s parent up to `/` (the real path: symlinks resolved). */
async function checkAncestors(realParent: string): Promise<void> {
  const uid = process.getuid?.();
  let current = realParent;
  for (;;) {
    const info = await stat(current).catch((err: unknown) => pathFailure(err, `checking the directory ${current}`));
    const why = isUnsafeAncestor(info, uid);
    if (why !== undefined) {
      throw new HttpError('ERR_HTTP_UNSAFE_PATH', `the directory ${current} above the socket ${why}: anyone who can rename it can put their own socket in its place; choose a path whose every directory is owned by you or root and not writable by others`);
    }
    const up = dirname(current);
    if (up === current) return;
    current = up;
  }
}

async function checkOwnDirectory(dir: string): Promise<void> {
  const info = await lstat(dir).catch((err: unknown) => pathFailure(err, `checking the socket directory ${dir}`));
  const uid = process.getuid?.();
  if (!info.isDirectory()) throw new HttpError('ERR_HTTP_UNSAFE_PATH', 'the socket directory is not a directory (or is a symlink); choose a directory you own');
  if (uid !== undefined && info.uid !== uid) throw new HttpError('ERR_HTTP_UNSAFE_PATH', 'the socket directory belongs to another user; choose a directory you own');
  if ((info.mode & 0o022) !== 0) {
    throw new HttpError('ERR_HTTP_UNSAFE_PATH', 'the socket directory is group- or world-writable; use a directory with mode 0700 or 0755, or omit path');
  }
}

/** Resolves when something accepts a connection on the unix socket at `path`, false when nobody listens. */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = netConnect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: Error) => {
      probe.destroy();
      // ECONNREFUSED: a socket file nobody listens on (a proxy killed with -9). Anything else: in doubt, busy.
      resolve(codeOf(err) !== 'ECONNREFUSED');
    });
  });
}

/**
 * What is at the socket path already: nothing; a stale socket of ours (our uid, nobody listening —
 * left by a proxy killed with -9), which is replaced; anything else is refused.
 */
async function checkExisting(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return;
    pathFailure(err, `checking the socket path ${path}`);
  }
  const uid = process.getuid?.();
  if (!info.isSocket() || (uid !== undefined && info.uid !== uid)) {
    throw new HttpError('ERR_HTTP_SOCKET_PATH', `something that is not a socket of yours exists at ${path}; remove it or choose another path`);
  }
  if (await someoneListens(path)) {
    throw new HttpError('ERR_HTTP_SOCKET_IN_USE', `another process is serving on ${path} (another ssh-docker proxy?); stop it, or choose another path`);
  }
  // Stale: rename() over it later replaces it atomically.
  debug('replacing a stale socket');
}

/** Returns the directory to listen in and whether we created it (so close() removes it). */
async function prepareDirectory(path: string | undefined): Promise<{ dir: string; socketPath: string; created: boolean }> {
  if (path === undefined) {
    // mkdtemp creates the directory with mode 0700.
    const dir = await mkdtemp(join(tmpdir(), 'ssh-docker-'));
    return { dir, socketPath: join(dir, 'docker.sock'), created: true };
  }
  if (typeof path !== 'string' || !isAbsolute(path)) throw new TypeError('path must be an absolute path to the socket to create');
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) throw new RangeError(`path must be at most ${MAX_SOCKET_PATH_BYTES} bytes (the unix socket address limit)`);
  // The parent of the socket's directory, symlinks resolved (safe_path() works on realpath() too):
  // from here on only real paths are used, so no link can be re-pointed in between.
  const lexicalDir = dirname(path);
  const realParent = await realpath(dirname(lexicalDir)).catch((err: unknown) => {
    if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') {
      throw new HttpError('ERR_HTTP_SOCKET_PATH', `the directory ${dirname(lexicalDir)} does not exist; create it (mkdir -p -m 700 ${dirname(lexicalDir)}) or choose another path`);
    }
    return pathFailure(err, `resolving ${dirname(lexicalDir)}`);
  });
  const dir = join(realParent, basename(lexicalDir));
  const socketPath = join(dir, basename(path));
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) throw new RangeError(`path must be at most ${MAX_SOCKET_PATH_BYTES} bytes (the unix socket address limit)`);
  await checkAncestors(realParent);
  let created = false;
  try {
    await lstat(dir);
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') pathFailure(err, `checking the socket directory ${dir}`);
    await mkdir(dir, { mode: 0o700 }).catch((e: unknown) => pathFailure(e, `creating the socket directory ${dir}`));
    created = true;
  }
  await checkOwnDirectory(dir);
  await checkExisting(socketPath);
  return { dir, socketPath, created };
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

/**
 * Serves the remote daemon on a local unix socket, so the docker CLI, compose or an IDE use it
 * through `DOCKER_HOST=unix://…`. Each accepted connection gets its own stream from `connect`;
 * bytes are relayed untouched both ways, half-close included (a client that ends its write
 * side, as `docker exec -i` does on stdin EOF, still reads the rest of the answer).
 *
 * The socket is mode 0600 in a directory only we can write to, below directories that only we or
 * root can change (as OpenSSH's safe_path(); a root-owned sticky directory such as /tmp counts as
 * safe). A stale socket of ours (nobody listening, left by a process killed with -9) is replaced;
 * anything else at the path is refused. It is removed on close, and on exit or a terminating
 * signal (see `removeOnExit`).
 *
 * @example
 * ```ts
 * const server = await serveDockerSocket(() => transport.openStream());
 * process.env.DOCKER_HOST = server.dockerHost; // unix:///tmp/ssh-docker-XXXX/docker.sock
 * // ... run docker commands ...
 * await server.close({ timeoutMs: 2_000 });
 * ```
 */
export async function serveDockerSocket(connect: () => Promise<Duplex>, options: ServeDockerSocketOptions = {}): Promise<DockerSocketServer> {
  checkConnector(connect);
  const timeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections <= 0) throw new RangeError('maxConnections must be a positive integer');

  const { dir, socketPath, created } = await prepareDirectory(options.path);
  const active = new Set<{ client: Socket; channel?: Duplex }>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => { relay(connect, timeoutMs, client, active); });
  server.maxConnections = maxConnections;

  // Listen on a name in a private 0700 directory, restrict the socket to 0600, and only then move it
  // to its final name: no one else can connect in between, whatever the umask.
  let staging: string | undefined;
  try {
    if (created && options.path === undefined) {
      await listen(server, socketPath);
      await chmod(socketPath, 0o600);
    } else {
      staging = await mkdtemp(join(dir, `.${basename(socketPath)}-`));
      const tmpSocket = join(staging, 's');
      await listen(server, tmpSocket);
      await chmod(tmpSocket, 0o600);
      await rename(tmpSocket, socketPath);
      await rmdir(staging);
      staging = undefined;
    }
  } catch (err) {
    server.close();
    if (staging !== undefined) await rm(staging, { recursive: true, force: true });
    if (created) await rm(dir, { recursive: true, force: true });
    pathFailure(err, `creating the socket ${socketPath}`);
  }
  debug('proxy listening');
  const exitCleanup = options.removeOnExit === false ? undefined : cleanupOnExit(socketPath, created ? dir : undefined);
  // After listen, an error here is an accept failure (EMFILE and the like): the client that
  // could not be accepted is gone, the server goes on. Never let it crash the process.
  server.on('error', (err: Error) => {
    debug('proxy accept failed', { code: codeOf(err) });
    channels.proxy.publish({ event: 'error', active: active.size, code: codeOf(err) });
  });

  let closing: Promise<void> | undefined;
  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    closing ??= (async () => {
      const deadline = checkMs('timeoutMs', closeOptions.timeoutMs, DEFAULT_CLOSE_TIMEOUT_MS);
      const stopped = new Promise<void>((resolve) => server.close(() => { resolve(); }));
      const timer = setTimeout(() => {
        for (const conn of active) {
          conn.client.destroy();
          conn.channel?.destroy();
        }
      }, deadline);
      await stopped;
      clearTimeout(timer);
      exitCleanup?.dispose();
      await unlink(socketPath).catch(() => undefined);
      if (created) await rm(dir, { recursive: true, force: true });
      debug('proxy closed');
    })();
    return closing;
  };
  return { path: socketPath, dockerHost: `unix://${socketPath}`, close };
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Removes the socket when the process ends without close(): on exit, and on a terminating signal
 * that no one else handles (then the signal is raised again, so the default action still happens).
 */
function cleanupOnExit(socketPath: string, ownDir: string | undefined): { dispose(): void } {
  const removeNow = (): void => {
    try {
      unlinkSync(socketPath);
    } catch {
      // Already gone.
    }
    if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
  };
  const handlers = new Map<NodeJS.Signals, () => void>();
  const dispose = (): void => {
    process.removeListener('exit', removeNow);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
  };
  for (const signal of EXIT_SIGNALS) {
    const handler = (): void => {
      // Another listener means the application handles this signal (and calls close()).
      if (process.listenerCount(signal) > 1) return;
      removeNow();
      dispose();
      process.kill(process.pid, signal);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  process.on('exit', removeNow);
  return { dispose };
}

function relay(connect: Connector, timeoutMs: number, client: Socket, active: Set<{ client: Socket; channel?: Duplex }>): void {
  const conn: { client: Socket; channel?: Duplex } = { client };
  active.add(conn);
  channels.proxy.publish({ event: 'accept', active: active.size });
  debug('proxy accept', { active: active.size });
  const abort = new AbortController();
  client.on('error', () => client.destroy());
  client.once('close', () => {
    abort.abort();
    const { channel } = conn;
    // A client that ended cleanly may leave bytes on their way to the daemon: let them go first
    // (close()'s deadline still aborts it). After an abrupt close, stop at once.
    if (channel !== undefined && client.readableEnded && !channel.writableFinished && !channel.destroyed) {
      channel.once('finish', () => channel.destroy());
      setTimeout(() => channel.destroy(), DEFAULT_CLOSE_TIMEOUT_MS).unref();
    } else {
      channel?.destroy();
    }
    active.delete(conn);
    channels.proxy.publish({ event: 'close', active: active.size });
    debug('proxy close', { active: active.size });
  });

  openStream(connect, { timeoutMs, signal: abort.signal, expectHttp: false }, (err, channel) => {
    if (err !== null || channel === undefined) {
      channels.proxy.publish({ event: 'error', active: active.size, code: err?.code, causeCode: err?.causeCode });
      client.destroy();
      return;
    }
    conn.channel = channel;
    channel.on('error', (e: Error) => {
      debug('proxy channel error', { code: codeOf(e) });
      client.destroy();
    });
    channel.once('close', () => {
      // The daemon side is gone: what was written is delivered, then the client is closed.
      if (!client.destroyed) client.end();
    });
    // pipe() ends the destination when the source ends: that is the half-close in each direction.
    client.pipe(channel);
    channel.pipe(client);
    client.resume();
    // Both directions done: nothing more can flow.
    let ended = 0;
    const onDone = (): void => {
      ended += 1;
      if (ended === 2) {
        client.destroySoon();
      }
    };
    client.once('end', onDone);
    channel.once('end', onDone);
  });
}
