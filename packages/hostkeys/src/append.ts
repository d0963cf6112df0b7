import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { hashDigest } from './internal/line.js';
import { decodePresented, lookupName } from './known-hosts.js';

/**
 * The host and key to record.
 *
 * @example
 * ```ts
 * const target: AppendTarget = { host: 'docker.example.com', port: 2222, key };
 * ```
 */
export interface AppendTarget {
  readonly host: string;
  /** Defaults to 22; other ports are written as `[host]:port`. */
  readonly port?: number;
  /** Records the entry under this name instead (ssh_config `HostKeyAlias`). */
  readonly hostKeyAlias?: string;
  /** The SSH wire-format public-key blob. */
  readonly key: Uint8Array;
}

/**
 * Options of {@link appendKnownHost}.
 *
 * @example
 * ```ts
 * await appendKnownHost(path, target, { hash: false, lockTimeoutMs: 2000 });
 * ```
 */
export interface AppendOptions {
  /** Write the name hashed (`|1|salt|hmac`), as `HashKnownHosts yes`. Default true. */
  readonly hash?: boolean;
  /** How long to wait for the lock before giving up, in ms. Default 10 000. */
  readonly lockTimeoutMs?: number;
}

/** A lock older than this is left over by a crashed writer and is broken. */
const STALE_LOCK_MS = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function acquire(lockPath: string, timeoutMs: number): Promise<fsp.FileHandle> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  for (;;) {
    try {
      // O_CREAT|O_EXCL: exactly one process creates the lock file.
      const handle = await fsp.open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      return handle;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      const st = await fsp.stat(lockPath);
      if (Date.now() - st.mtimeMs > STALE_LOCK_MS) {
        await fsp.rm(lockPath, { force: true });
        continue;
      }
    } catch {
      continue; // removed meanwhile: try again at once
    }
    if (Date.now() > deadline) {
      throw new Error(`known_hosts is locked by another writer: ${lockPath} exists; remove it if no ssh-docker process is running`);
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 50);
  }
}

/** The known_hosts line for the target (hostfile.c `write_host_entry`), hashed or not; validates the target. */
export function knownHostLine(target: AppendTarget, hash: boolean): string {
  if (typeof target !== 'object' || target === null) throw new TypeError('target must be an object');
  if (typeof target.host !== 'string' || target.host.length === 0) throw new TypeError('host must be a non-empty string');
  const port = target.port ?? 22;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError('port must be an integer from 1 to 65535');
  if (target.hostKeyAlias !== undefined && (typeof target.hostKeyAlias !== 'string' || target.hostKeyAlias.length === 0)) {
    throw new TypeError('hostKeyAlias must be a non-empty string when given');
  }
  const key = decodePresented(target.key);
  // hostfile.c write_host_entry: the name is lower-cased before it is written or hashed.
  const name = lookupName(target.host, port, target.hostKeyAlias);
  // A name with whitespace or a leading '@', '#' or '|' would not read back as this host.
  if (/[\s,]/.test(name) || /^[@#|!]/.test(name)) throw new TypeError('host cannot be written to known_hosts: it contains whitespace, a comma, or starts with @ # | !');
  let field = name;
  if (hash) {
    const salt = randomBytes(20);
    field = `|1|${salt.toString('base64')}|${hashDigest(salt, name)}`;
  }
  return `${field} ${key.keyType} ${key.blob.toString('base64')}`;
}

/**
 * Appends one known_hosts line for the host's key, as ssh(1) does after `accept-new` (hostfile.c
 * `add_host_to_hostfile`): the lower-cased name (`[host]:port` off port 22), hashed unless
 * `hash: false`, then the key type and base64 key. Resolves with the line written.
 *
 * It never rewrites or drops existing lines: it takes an exclusive lock (`<path>.lock`, created
 * with O_EXCL; a lock older than 30 s is broken), opens the file with O_APPEND (created 0600, its
 * directory 0700 if missing), adds a newline first if the last line lacks one, writes the line in
 * one `write()` and fsyncs. Concurrent appends from many processes keep every line. A path that is
 * a character device (`/dev/null`) gets the line written to it, with no lock file and no fsync.
 *
 * @throws TypeError for a key that is not a public-key blob; the file-system error when the file cannot be written.
 * @example
 * ```ts
 * import { appendKnownHost } from '@ssh-docker/hostkeys';
 * await appendKnownHost(`${homedir()}/.ssh/known_hosts`, { host: 'docker.example.com', port: 2222, key });
 * ```
 */
export async function appendKnownHost(path: string, target: AppendTarget, options: AppendOptions = {}): Promise<string> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('path must be a non-empty string');
  const line = knownHostLine(target, options.hash ?? true);
  // `UserKnownHostsFile /dev/null` (a common CI idiom) names a character device: ssh(1) appends to it
  // like a file and the line is discarded. A device cannot be locked by a sibling `<path>.lock` (that
  // would create `/dev/null.lock`) and cannot be fsynced (EINVAL): write the line to it and stop.
  const existing = await fsp.stat(path).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing?.isCharacterDevice() === true) {
    const device = await fsp.open(path, 'a');
    try {
      await device.write(`${line}\n`);
    } finally {
      await device.close();
    }
    return line;
  }
  await fsp.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const lockPath = `${path}.lock`;
  const lock = await acquire(lockPath, options.lockTimeoutMs ?? 10_000);
  try {
    const handle = await fsp.open(path, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) prefix = '\n';
      }
      await handle.write(`${prefix}${line}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } finally {
    await lock.close();
    await fsp.rm(lockPath, { force: true });
  }
  return line;
}
