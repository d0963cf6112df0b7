/**
 * ProxyCommand, as ssh runs it (OpenSSH sshconnect.c ssh_proxy_connect()): the command, its `%`
 * tokens already expanded and checked by the resolver (config/finalize.ts, the same shell rules as
 * `Match exec`), is run as `exec <command>` by `/bin/sh -c`, and its stdin/stdout carry the SSH
 * protocol. Here that pair is one Duplex handed to ssh2 as its `sock`.
 *
 * Unlike ssh, which leaves the command's stderr on the terminal, the stderr is kept (a bounded tail)
 * so that a command that fails before the handshake is reported with what it said, scrubbed and made
 * printable. The child is ended with the connection (SIGTERM, then SIGKILL) and always waited for.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Duplex } from 'node:stream';
import { scrubRemoteText } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';
import type { TransportError, TransportErrorTarget } from '../errors.js';
import { printable } from '../printable.js';
import { transportError, where } from './failures.js';

/** What a ProxyCommand connection needs: the expanded command and the environment it runs in. */
export interface ProxyCommandSpec {
  /** The command with its tokens expanded (never from a URL: ssh_config or an explicit option). */
  readonly command: string;
  /** The environment of the command: the transport's (`env` option, else the process's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The host as given (the alias), for the `ssh -G` a message suggests. */
  readonly name: string;
  /** Told of each child's end, so that `close()` can wait for it (no process outlives the transport). */
  readonly track?: (exited: Promise<void>) => void;
}

/** How much of the command's stderr is kept (its tail): enough for a few lines of diagnosis. */
const STDERR_BYTES = 4096;
/** Lines of that tail quoted in an error message. */
const STDERR_LINES = 8;
/** After SIGTERM, how long the child has before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** After its stdout ended, how long the child has to exit by itself before it counts as still running. */
const EXIT_WAIT_MS = 2000;

/** The OpenSSH-style `exec` prefix: the shell is replaced by the command, so the pid we kill is the command's. */
function shellArgs(command: string): string[] {
  return ['-c', `exec ${command}`];
}

/**
 * The ProxyCommand's stdio as one Duplex: writes go to its stdin, its stdout is read. Destroying it
 * ends the child and waits for it; `exited` settles once the child is gone.
 */
export class ProxyCommandStream extends Duplex {
  readonly #child: ChildProcess;
  readonly #target: TransportErrorTarget;
  readonly #name: string;
  #stderr: Buffer = Buffer.alloc(0);
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #killedByUs = false;
  #stdoutEnded = false;
  #spawnError: Error | undefined;
  /** Settles when the child has exited (or never started). */
  readonly exited: Promise<void>;

  constructor(spec: ProxyCommandSpec, target: TransportErrorTarget) {
    super({ allowHalfOpen: true });
    this.#target = target;
    this.#name = spec.name;
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(spec.env)) if (value !== undefined) env[key] = value;
    // The command comes from the user's own ssh_config or an explicit option; its tokens were checked
    // against shell syntax when they were expanded (config/shell.ts).
    const child = spawn('/bin/sh', shellArgs(spec.command), { stdio: ['pipe', 'pipe', 'pipe'], env, windowsHide: true });
    this.#child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('close', () => {
        resolve();
      });
      child.once('error', (err) => {
        // spawn failed (no /bin/sh): there is no process to wait for.
        this.#spawnError = err;
        if (child.pid === undefined) resolve();
      });
    });
    spec.track?.(this.exited);
    child.once('exit', (code, signal) => {
      this.#exit = { code, signal };
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) child.stdout?.pause();
    });
    child.stdout?.once('end', () => {
      this.#stdoutEnded = true;
      this.push(null);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([this.#stderr, chunk]);
      this.#stderr = joined.length > STDERR_BYTES ? joined.subarray(joined.length - STDERR_BYTES) : joined;
    });
    // A command that exits while we write gets EPIPE on its stdin: the read side's end reports it.
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('error', () => undefined);
    child.once('error', () => {
      if (!this.#stdoutEnded) {
        this.#stdoutEnded = true;
        this.push(null);
      }
    });
  }

  /** The child's pid (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  override _read(): void {
    this.#child.stdout?.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const stdin = this.#child.stdin;
    if (stdin === null || stdin.destroyed) {
      callback();
      return;
    }
    stdin.write(chunk, () => {
      callback();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#child.stdin?.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#stop();
    this.exited.then(
      () => {
        callback(error);
      },
      () => {
        callback(error);
      },
    );
  }

  /** The pipes keep the process alive only while the connection is in use (see SshConnection's ref counting). */
  ref(): this {
    this.#child.ref();
    for (const pipe of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (pipe as { ref?: () => void } | null)?.ref?.();
    return this;
  }

  unref(): this {
    this.#child.unref();
    for (const pipe of [this.#child.stdin, this.#child.stdout, this.#child.stderr]) (pipe as { unref?: () => void } | null)?.unref?.();
    return this;
  }

  /** Ends the child if it still runs: SIGTERM, then SIGKILL after a grace period. */
  #stop(): void {
    const child = this.#child;
    if (child.pid === undefined || this.#exit !== undefined) return;
    this.#killedByUs = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.#exit === undefined) child.kill('SIGKILL');
    }, KILL_GRACE_MS);
    timer.unref();
    void this.exited.then(() => {
      clearTimeout(timer);
    });
  }

  /**
   * After a failed connect: when the command ended by itself (its stdout closed, it exited, or it
   * could not start), the failure is the command's (`ERR_PROXY_COMMAND`, with its stderr);
   * otherwise the connect's own error stands. Either way the child is ended and waited for.
   */
  async failure(err: Error, secrets: readonly Secret[]): Promise<Error> {
    if (this.#stdoutEnded && this.#exit === undefined && this.#spawnError === undefined) {
      // The command closed its stdout: it is on its way out. Give it a moment to say why.
      await Promise.race([this.exited, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())]);
    }
    const ownEnd = (this.#exit !== undefined && !this.#killedByUs) || this.#spawnError !== undefined;
    this.destroy();
    await this.exited;
    if (!ownEnd) return err;
    return this.#error(secrets, err);
  }

  #error(secrets: readonly Secret[], cause: Error): TransportError {
    const target = this.#target;
    const how =
      this.#spawnError !== undefined
        ? 'could not be started (/bin/sh)'
        : this.#exit?.signal != null
          ? `was ended by ${this.#exit.signal}`
          : `exited with code ${String(this.#exit?.code ?? 'unknown')}`;
    const said = stderrTail(this.#stderr.toString('utf8'), secrets);
    return transportError(
      'ERR_PROXY_COMMAND',
      `the ProxyCommand for ${where(target)} ${how} before the SSH handshake completed${said === '' ? ' and printed nothing on stderr' : `; its stderr:\n${said}`}\nRun the command by hand (ssh -G ${this.#name} shows it expanded) to see why`,
      target,
      cause,
    );
  }
}

/** The last lines of the command's stderr: scrubbed of secrets and URL passwords, made printable, bounded. */
export function stderrTail(text: string, secrets: readonly Secret[]): string {
  const scrubbed = scrubRemoteText(text, secrets);
  const lines = scrubbed
    .split(/\r?\n/)
    .map((line) => printable(line.trimEnd()))
    .filter((line) => line !== '');
  return lines
    .slice(-STDERR_LINES)
    .map((line) => `  ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`)
    .join('\n');
}

/** Starts the ProxyCommand for one connection. */
export function startProxyCommand(spec: ProxyCommandSpec, target: TransportErrorTarget): ProxyCommandStream {
  return new ProxyCommandStream(spec, target);
}
