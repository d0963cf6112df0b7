import type { TransportError, TransportErrorTarget } from '../errors.js';
import { ChannelRefused, SshConnection } from './connection.js';
import type { ChannelChoice, ConnectionHooks, ConnectionSettings } from './connection.js';
import { transportError, where } from './failures.js';
import type { DockerStream } from './stream.js';

/** How many times a connect that the server dropped before the handshake (MaxStartups) is retried. */
const CONNECT_RETRIES = 4;
/** How many refused channel opens one openStream() absorbs before it reports ERR_CHANNEL_REFUSED. */
const MAX_REFUSALS = 20;
/** …and how many of them on a connection with nothing else open (a server that refuses every channel). */
const MAX_IDLE_REFUSALS = 5;

interface Waiter {
  resolve(connection: SshConnection): void;
  reject(error: Error): void;
}

export interface PoolLimits {
  readonly maxChannelsPerConnection: number;
  readonly maxConnections: number;
}

export interface PoolStats {
  connections: number;
  readyConnections: number;
  openStreams: number;
  queued: number;
  connectsStarted: number;
  connectsFailed: number;
  connectionsLost: number;
  channelRefusals: number;
  streamsOpened: number;
}

/**
 * The connections of one transport and the channels on them. A stream takes a slot on a ready
 * connection with room; beyond the per-connection limit it goes to another connection (up to
 * `maxConnections`), or waits in order for a slot. A refused channel open teaches the pool the
 * server's real session limit (OpenSSH MaxSessions) and the open is retried, not surfaced.
 */
export class ConnectionPool {
  readonly #limits: PoolLimits;
  readonly #settings: () => Promise<ConnectionSettings>;
  #resolved: ConnectionSettings | undefined;
  readonly #connections = new Set<SshConnection>();
  readonly #connecting = new Map<SshConnection, Promise<void>>();
  readonly #waiters: Waiter[] = [];
  #closed: TransportError | undefined;
  /** Event counters; the gauges (connections, open streams, queue) are read from the pool itself. */
  readonly #counts = {
    connectsStarted: 0,
    connectsFailed: 0,
    connectionsLost: 0,
    channelRefusals: 0,
    streamsOpened: 0,
  };

  /** What every connection of the pool tells it: its end, and each released channel. */
  readonly #hooks: ConnectionHooks = {
    onEnd: (ended, error) => {
      this.#forget(ended, error);
    },
    onRelease: () => {
      this.#pump();
    },
  };

  constructor(settings: () => Promise<ConnectionSettings>, limits: PoolLimits) {
    this.#settings = settings;
    this.#limits = limits;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  async openStream(choice?: ChannelChoice): Promise<DockerStream> {
    let refusals = 0;
    let idleRefusals = 0;
    let lostRetries = 0;
    this.#resolved ??= await this.#settings();
    for (;;) {
      if (this.#closed !== undefined) throw this.#closed;
      const connection = await this.#acquire(this.#resolved);
      try {
        const stream = await connection.openChannel(choice);
        this.#counts.streamsOpened += 1;
        return stream;
      } catch (err) {
        connection.active -= 1;
        if (err instanceof ChannelRefused) {
          this.#counts.channelRefusals += 1;
          // A direct-streamlocal channel is no session (MaxSessions does not count it): its refusal is
          // about the socket or sshd_config, and the caller (the socket router) decides what it means.
          if (choice === undefined ? connection.settings.streamLocalPath !== undefined : 'streamLocalPath' in choice) {
            this.#pump();
            throw err;
          }
          refusals += 1;
          // The server allows no more sessions on this connection than it has open now (never fewer
          // than one: sshd frees a session a moment after its channel closes, so a refusal with
          // nothing open is transient, and the retry backs off instead).
          connection.limit = Math.max(1, Math.min(connection.limit, connection.active));
          this.#pump();
          if (connection.active === 0) idleRefusals += 1;
          if (refusals >= MAX_REFUSALS || idleRefusals >= MAX_IDLE_REFUSALS) {
            const target = connection.settings.target;
            throw transportError(
              'ERR_CHANNEL_REFUSED',
              `SSH server ${where(target)} refused to open a channel: check MaxSessions in its sshd_config${connection.settings.streamLocalPath === undefined ? '' : ', and AllowStreamLocalForwarding for socketPath with streamlocal'}`,
              target,
            );
          }
          if (connection.active === 0) await new Promise((resolve) => setTimeout(resolve, 10 * idleRefusals));
          continue;
        }
        this.#pump();
        // A connection that died while the channel opened: the request never started; retry once.
        if (connection.ended && lostRetries === 0) {
          lostRetries += 1;
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * A ready connection with a slot reserved for the caller (its `active` counts it). Whoever
   * hands out a connection reserves the slot first, so that no slot is given twice.
   */
  #acquire(settings: ConnectionSettings): Promise<SshConnection> {
    let connection = this.#findFree();
    if (connection === undefined && this.#connections.size < this.#limits.maxConnections) connection = this.#open(settings);
    if (connection !== undefined) {
      connection.active += 1;
      return this.#whenReady(connection);
    }
    return new Promise<SshConnection>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    }).then((reserved) => this.#whenReady(reserved));
  }

  #findFree(): SshConnection | undefined {
    for (const connection of this.#connections) {
      if (!connection.ended && connection.active < connection.limit) return connection;
    }
    return undefined;
  }

  async #whenReady(connection: SshConnection): Promise<SshConnection> {
    const pending = this.#connecting.get(connection);
    if (pending !== undefined) {
      try {
        await pending;
      } catch (err) {
        connection.active -= 1;
        throw err;
      }
    }
    return connection;
  }

  #open(settings: ConnectionSettings): SshConnection {
    const connection = new SshConnection(settings, this.#limits.maxChannelsPerConnection, this.#hooks);
    this.#connections.add(connection);
    this.#counts.connectsStarted += 1;
    const ready = this.#connect(connection);
    this.#connecting.set(connection, ready);
    ready.then(
      () => {
        this.#connecting.delete(connection);
        this.#pump();
      },
      (err: unknown) => {
        this.#connecting.delete(connection);
        this.#connections.delete(connection);
        this.#counts.connectsFailed += 1;
        // While another connection works or is being made, waiters keep waiting for its slots: one
        // dropped connect (MaxStartups) must not fail requests a healthy connection can serve.
        if ([...this.#connections].some((c) => c.ready && !c.ended) || this.#connecting.size > 0) {
          this.#pump();
          return;
        }
        // Otherwise everyone waiting shares the failure: a refused host key or login is not going
        // to work on the next connection either.
        for (const waiter of this.#waiters.splice(0)) waiter.reject(err as Error);
      },
    );
    return connection;
  }

  async #connect(connection: SshConnection): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await connection.connect();
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        // sshd's MaxStartups drops connections before the banner: back off and try again.
        if (code === 'ERR_CONNECTION_LOST' && attempt < CONNECT_RETRIES && this.#closed === undefined) {
          connection.ended = false;
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt + Math.random() * 50));
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Takes over a ready connection made outside the pool (by `check()`) when the pool has none, so
   * the first requests after a check need no second handshake, and a password or passphrase given
   * directly (cleared by that handshake) is not needed again. Returns false when it is not wanted.
   */
  adopt(connection: SshConnection): boolean {
    if (this.#closed !== undefined || this.#connections.size > 0 || !connection.ready || connection.ended) return false;
    connection.rehome(this.#hooks, this.#limits.maxChannelsPerConnection);
    this.#connections.add(connection);
    this.#counts.connectsStarted += 1;
    this.#pump();
    return true;
  }

  /** Hands free slots to waiters, and opens connections for those left waiting. */
  #pump(): void {
    while (this.#waiters.length > 0) {
      const free = this.#findFree();
      let connection = free;
      if (connection === undefined) {
        if (this.#connections.size >= this.#limits.maxConnections || this.#resolved === undefined) return;
        connection = this.#open(this.#resolved);
      }
      const waiter = this.#waiters.shift();
      if (waiter === undefined) return;
      connection.active += 1;
      waiter.resolve(connection);
    }
  }

  #forget(connection: SshConnection, error: TransportError | undefined): void {
    if (!this.#connections.delete(connection)) return;
    if (connection.ready && error !== undefined) this.#counts.connectionsLost += 1;
    this.#pump();
  }

  /** The counters, and the gauges read from the pool as it is now. */
  stats(): PoolStats {
    let ready = 0;
    let openStreams = 0;
    for (const connection of this.#connections) {
      if (connection.ready && !connection.ended) ready += 1;
      openStreams += connection.streams.size;
    }
    return { ...this.#counts, connections: this.#connections.size, readyConnections: ready, openStreams, queued: this.#waiters.length };
  }

  /** Refuses new streams; waits for open ones up to `timeoutMs`, then ends them with ERR_TRANSPORT_CLOSED. */
  async close(timeoutMs: number, target: TransportErrorTarget): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = transportError('ERR_TRANSPORT_CLOSED', `the transport to ${where(target)} was closed; create a new one to connect again`, target);
    }
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closed);
    const deadline = Date.now() + timeoutMs;
    while (this.stats().openStreams > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.allSettled(this.#connecting.values());
    for (const connection of [...this.#connections]) connection.close(this.#closed);
  }
}
