import { Duplex } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { Secret } from '@ssh-docker/url';
import type { TransportError, TransportErrorTarget } from '../errors.js';
import { dialStdioFailure, RemoteBytes, transportError } from './failures.js';

/**
 * What a stream buffers for a slow reader before it pauses its channel. Node's default (16 KiB) is
 * half of one SSH packet (ssh2's is 32 KiB), so a download paused and resumed its channel on every
 * packet; ssh2 still bounds what is in flight by the channel window (2 MiB).
 */
const READ_HIGH_WATER_MARK = 256 * 1024;

/**
 * Writes queued together go out as one channel write of up to this many bytes: for a small request
 * one SSH packet, one encryption, one TCP segment. Node's http client writes a request as several
 * pieces on a corked socket (headers and body; a chunk's size line, data and CRLF), which were one
 * packet each. Copying is cheap next to encrypting.
 */
const COALESCE_MAX_BYTES = 256 * 1024;

/** How much of dial-stdio's stderr is kept to explain an early exit. */
const MAX_STDERR_BYTES = 8 * 1024;

function ignoreUnlistened(): void {
  // Intentionally empty: see the constructor.
}

/** What a stream tells the connection that carries it. */
export interface StreamHost {
  /** The stream's channel is gone (closed by either side): its session slot is free again. */
  released(): void;
  /** The stream is ref'd (true) or unref'd (false): an unref'd idle transport lets the process exit. */
  setRef(ref: boolean): void;
}

/**
 * What the pool behind a stream can carry, read live: the channels it can have open at once (the
 * session limit it learned, per host) and the opens waiting for one. Set by the pool.
 */
export interface ChannelBudget {
  readonly capacity: number;
  readonly wanted: number;
}

/**
 * The event a stream emits when an open on its transport waits for a channel: a client holding
 * this stream idle should close it (the agent of `@ssh-docker/http` does); a busy one ignores it.
 */
export const CHANNEL_WANTED_EVENT = 'channelwanted';

export interface DockerStreamOptions {
  readonly channel: ClientChannel;
  /** `exec` runs dial-stdio (a remote process to end on destroy); `streamlocal` is a bare socket. */
  readonly kind: 'exec' | 'streamlocal';
  readonly target: TransportErrorTarget;
  readonly host: StreamHost;
  /** The credentials the connection used (cleared by now): remote text in an error is scrubbed of them. */
  readonly secrets?: () => readonly Secret[];
}

/**
 * One dial-stdio channel, shaped like a `net.Socket` for `http.Agent` and undici:
 * - half-close is kept: ending the write side sends EOF and the response still arrives;
 * - `setTimeout` is honest (idle time on this channel), `setKeepAlive` and `setNoDelay` are
 *   accepted because the SSH connection already has both (its own keepalive, TCP_NODELAY);
 * - `ref`/`unref` decide, with the other streams, whether the SSH socket keeps the process alive;
 * - `destroy()` ends the remote `docker system dial-stdio` (TERM, then channel close), so no orphan
 *   process stays behind on the server.
 * An early exit of dial-stdio becomes a typed error: `ERR_REMOTE_DOCKER_MISSING` or
 * `ERR_DAEMON_UNREACHABLE`, with the remote stderr (scrubbed of the connection's credentials) in the message.
 */
export class DockerStream extends Duplex {
  readonly #channel: ClientChannel;
  readonly #kind: 'exec' | 'streamlocal';
  readonly #target: TransportErrorTarget;
  readonly #host: StreamHost;
  readonly #secrets: () => readonly Secret[];
  readonly #stderr = new RemoteBytes(MAX_STDERR_BYTES);
  #exit: { code: number | null; signal: string | null } | undefined;
  #channelClosed = false;
  #released = false;
  #refd = true;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastActivity = Date.now();
  #sawData = false;
  readonly #inbox: (Buffer | null | (() => void))[] = [];
  #budget: (() => ChannelBudget) | undefined;

  /** Socket-like fields some clients read. */
  readonly connecting = false;
  readonly remoteAddress: string;
  readonly remotePort: number | undefined;

  constructor(options: DockerStreamOptions) {
    super({ allowHalfOpen: true, emitClose: true, readableHighWaterMark: READ_HIGH_WATER_MARK });
    this.#channel = options.channel;
    this.#kind = options.kind;
    this.#target = options.target;
    this.#host = options.host;
    this.#secrets = options.secrets ?? ((): readonly Secret[] => []);
    this.remoteAddress = options.target.host;
    this.remotePort = options.target.port;
    this.#host.setRef(true);
    // As Node's own IncomingMessage does: an error is delivered to every listener, and one that
    // arrives when nobody listens (an idle pooled stream whose connection drops) never becomes an
    // uncaught exception. 'close' still tells everyone the stream is gone.
    this.on('error', ignoreUnlistened);
    const channel = this.#channel;

    // ssh2 calls these handlers from inside its packet parser, which catches anything thrown and
    // tears the whole SSH connection down (every other stream on it dies, the error is lost). What
    // runs on a push is user code (a 'data' listener, Node's http parser and the 'response' or
    // 'upgrade' callbacks it calls), so the channel's events are queued, in order, and delivered on
    // the next tick, outside the parser: a user's exception is then the program's own, as on a socket.
    channel.on('data', (chunk: Buffer) => {
      this.#sawData = true;
      this.#touch();
      this.#deliver(chunk);
    });
    channel.on('end', () => {
      // dial-stdio that ends before sending anything may have failed: sshd sends EOF before the exit
      // status, so the end of an empty exec stream waits for `close`, where the exit status says
      // whether it is an error (ERR_DAEMON_UNREACHABLE, …) or a plain end.
      if (this.#kind === 'exec' && !this.#sawData) return;
      this.#deliver(null);
    });
    if (this.#kind === 'exec') {
      channel.stderr.on('data', (chunk: Buffer) => {
        this.#stderr.push(chunk);
      });
      channel.on('exit', (code: number | null, signal?: string) => {
        this.#exit = { code, signal: signal ?? null };
      });
    }
    channel.on('error', (err: Error) => {
      this.destroy(transportError('ERR_CONNECTION_LOST', `SSH channel to ${this.#target.host} failed; the request can be retried`, this.#target, err, this.#secrets()));
    });
    channel.on('close', () => {
      this.#channelClosed = true;
      this.#release();
      this.#deliver(() => {
        if (this.destroyed) return;
        const failure = this.#earlyExit();
        if (failure !== undefined) {
          this.destroy(failure);
          return;
        }
        // The remote end closed: end the readable side if it has not ended yet, and the writable
        // side too (later writes fail); the stream then closes by itself once 'end' was read.
        this.push(null);
        if (!this.writableEnded) this.end();
      });
    });
  }

  /** Queues a chunk, the end (null) or a step for the next tick, after everything queued before it. */
  #deliver(item: Buffer | null | (() => void)): void {
    this.#inbox.push(item);
    if (this.#inbox.length === 1) process.nextTick(this.#flush);
  }

  /**
   * Delivers the queue in order. Whatever a listener throws propagates from here to the program
   * (`uncaughtException`, as from a socket); what is still queued then follows on the next tick.
   */
  readonly #flush = (): void => {
    try {
      while (this.#inbox.length > 0) {
        const item = this.#inbox[0];
        if (typeof item === 'function') {
          this.#inbox.shift();
          item();
        } else if (this.destroyed) {
          this.#inbox.shift();
        } else {
          this.#inbox.shift();
          // Backpressure: the channel stops reading until the consumer asks for more (_read).
          if (!this.push(item) && item !== null) this.#channel.pause();
        }
      }
    } finally {
      if (this.#inbox.length > 0) process.nextTick(this.#flush);
    }
  };

  /** A dial-stdio that exited non-zero, or before sending anything, failed to reach the daemon. */
  #earlyExit(): TransportError | undefined {
    if (this.#kind !== 'exec' || this.#exit === undefined) return undefined;
    const { code, signal } = this.#exit;
    if (code === 0 && signal === null) return undefined;
    if (this.#sawData && code !== 127) return undefined;
    return dialStdioFailure(code, signal, this.#stderr.text(), this.#target, this.#secrets());
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#clearTimer();
    if (this.#refd) this.#host.setRef(false);
    this.#host.released();
  }

  override _read(): void {
    this.#channel.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // ssh2 drops writes to a closed channel without calling back; fail them instead.
    if (this.#channelClosed || !this.#channel.writable) {
      callback(transportError('ERR_CONNECTION_LOST', `SSH channel to ${this.#target.host} is closed; the request can be retried`, this.#target));
      return;
    }
    this.#touch();
    this.#channel.write(chunk, (err?: Error | null) => {
      // ssh2 may call back from inside its parser (a window adjust): what the callback runs (a
      // 'drain' listener writing more) is user code, so it runs on the next tick, after the
      // chunks already queued for reading.
      this.#deliver(() => {
        callback(err ?? null);
      });
    });
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    // Consecutive pieces grouped up to COALESCE_MAX_BYTES, each group one channel write; the batch
    // is done when the last group is (ssh2 sends writes in order, and after a failed one every later
    // write fails too).
    const groups: Buffer[][] = [];
    let group: Buffer[] = [];
    let bytes = 0;
    for (const { chunk } of chunks) {
      if (group.length > 0 && bytes + chunk.length > COALESCE_MAX_BYTES) {
        groups.push(group);
        group = [];
        bytes = 0;
      }
      group.push(chunk);
      bytes += chunk.length;
    }
    groups.push(group);
    let left = groups.length;
    let failed: Error | null = null;
    for (const pieces of groups) {
      this._write(pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces), 'latin1', (err) => {
        failed ??= err ?? null;
        left -= 1;
        if (left === 0) callback(failed);
      });
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Half-close: EOF to the remote side, whose answer keeps flowing in.
    if (!this.#channelClosed) this.#channel.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#clearTimer();
    if (!this.#channelClosed) {
      // dial-stdio keeps its daemon connection while its stdin is open: signal it, then close.
      if (this.#kind === 'exec') this.#channel.signal('TERM');
      this.#channel.close();
    }
    if (this.#refd) {
      this.#refd = false;
      if (!this.#released) this.#host.setRef(false);
    }
    callback(error);
  }

  /** Called once by the pool that opened the stream. */
  setBudget(budget: () => ChannelBudget): void {
    this.#budget = budget;
  }

  /**
   * How many channels the transport behind this stream can have open at once, now (what it learned
   * of the server's MaxSessions, over all its connections). HTTP clients pooling these streams cap
   * their connections at it, so that no open waits for a channel the same client holds idle.
   */
  get channelCapacity(): number | undefined {
    return this.#budget?.().capacity;
  }

  /** How many opens on the transport wait for a channel now: an idle stream is best closed when it is not 0. */
  get channelsWanted(): number {
    return this.#budget?.().wanted ?? 0;
  }

  /** Emits `timeout` after `ms` without data either way, as `net.Socket#setTimeout` does; 0 turns it off. */
  setTimeout(ms: number, callback?: () => void): this {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('timeout must be a non-negative number of milliseconds');
    this.#timeoutMs = ms;
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#clearTimer();
    if (ms > 0 && !this.destroyed) this.#armTimer(ms);
    return this;
  }

  /** Accepted: the SSH connection sends its own keepalives (`keepaliveIntervalMs`) for every channel. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  /** Accepted: the SSH connection's TCP socket already has TCP_NODELAY. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** Lets the process exit while this stream is idle (with the others unref'd too). */
  unref(): this {
    if (this.#refd && !this.#released) this.#host.setRef(false);
    this.#refd = false;
    return this;
  }

  ref(): this {
    if (!this.#refd && !this.#released && !this.destroyed) {
      this.#refd = true;
      this.#host.setRef(true);
    }
    return this;
  }

  #touch(): void {
    this.#lastActivity = Date.now();
  }

  #armTimer(ms: number): void {
    const wait = Math.max(1, this.#lastActivity + ms - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.destroyed || this.#timeoutMs === 0) return;
      if (Date.now() - this.#lastActivity >= this.#timeoutMs) {
        this.#touch();
        this.emit('timeout');
      }
      if (!this.destroyed && this.#timeoutMs > 0) this.#armTimer(this.#timeoutMs);
    }, wait);
    // Like a socket's idle timer, it never keeps the process alive by itself.
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
