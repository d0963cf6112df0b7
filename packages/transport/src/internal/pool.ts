import type { TransportError, TransportErrorTarget } from '../errors.js';
import { ChannelRefused, SshConnection } from './connection.js';
import type { ChannelChoice, ConnectionHooks, ConnectionSettings } from './connection.js';
import { transportError, where } from './failures.js';
import { CHANNEL_WANTED_EVENT } from './stream.js';
import type { DockerStream } from './stream.js';
import { publish } from './diagnostics.js';

/** How many times a connect that the server dropped before the handshake (MaxStartups) is retried. */
const CONNECT_RETRIES = 4;
/** How many refused channel opens one openStream() absorbs before it reports ERR_CHANNEL_REFUSED. */
const MAX_REFUSALS = 20;
/** …and how many of them on a connection with nothing else open (a server that refuses every channel). */
const MAX_IDLE_REFUSALS = 5;

/**
 * One place in the pool: the connection that fills it (a fresh object on each connect retry), the
 * session limit learned for it, and the slots reserved on it that have no stream yet.
 */
interface Entry {
  connection: SshConnection;
  limit: number;
  reserved: number;
  /** Settles when the connect (with its retries) ends; undefined once ready or adopted. */
  connecting: Promise<void> | undefined;
}

/** A slot on an entry, held until the channel opened (the stream then counts) or failed. */
interface Reservation {
  readonly entry: Entry;
  /** Frees the slot; idempotent. */
  readonly release: () => void;
}

interface Waiter {
  resolve(reservation: Reservation): void;
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
  /**
   * Channels the transport can have open at once, now: the session limit learned on each
   * connection (OpenSSH MaxSessions, from refused opens), plus `maxChannelsPerConnection` for each
   * connection not made yet. HTTP clients cap their pooled streams at it.
   */
  channelCapacity: number;
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
  readonly #entries = new Map<SshConnection, Entry>();
  readonly #waiters: Waiter[] = [];
  /** Probes waiting for a free slot on a connection that exists: they never make the pool open one. */
  readonly #probeWaiters: Waiter[] = [];
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

  /**
   * A channel on a pooled connection. A `probe` (the socket router's discovery) is not counted in
   * `streamsOpened`, and never opens a connection of its own: it waits for a free slot on one the
   * requests opened (or `check()` handed over), so discovery never authenticates again — a password
   * or passphrase given directly as a Secret, cleared after its one handshake, is never asked for.
   */
  async openStream(choice?: ChannelChoice, probe = false): Promise<DockerStream> {
    let refusals = 0;
    let idleRefusals = 0;
    let lostRetries = 0;
    this.#resolved ??= await this.#settings();
    for (;;) {
      if (this.#closed !== undefined) throw this.#closed;
      const { entry, release } = await (probe ? this.#acquireProbe() : this.#acquire(this.#resolved));
      const connection = entry.connection;
      try {
        const stream = await connection.openChannel(choice);
        // From here the stream itself holds the slot (the connection counts it until it is released).
        release();
        stream.setBudget(this.#budget);
        if (!probe) this.#counts.streamsOpened += 1;
        return stream;
      } catch (err) {
        if (err instanceof ChannelRefused) {
          this.#counts.channelRefusals += 1;
          // A direct-streamlocal channel is no session (MaxSessions does not count it): its refusal is
          // about the socket or sshd_config, and the caller (the socket router) decides what it means.
          if (choice === undefined ? connection.settings.streamLocalPath !== undefined : 'streamLocalPath' in choice) {
            release();
            throw err;
          }
          refusals += 1;
          // The others' slots, before this one is handed on.
          const inUse = this.#inUse(entry) - 1;
          // The server allows no more sessions on this connection than it has open now (never fewer
          // than one: sshd frees a session a moment after its channel closes, so a refusal with
          // nothing open is transient, and the retry backs off instead).
          entry.limit = Math.max(1, Math.min(entry.limit, inUse));
          release();
          if (inUse === 0) idleRefusals += 1;
          if (refusals >= MAX_REFUSALS || idleRefusals >= MAX_IDLE_REFUSALS) {
            const target = connection.settings.target;
            throw transportError(
              'ERR_CHANNEL_REFUSED',
              `SSH server ${where(target)} refused to open a channel: check MaxSessions in its sshd_config${connection.settings.streamLocalPath === undefined ? '' : ', and AllowStreamLocalForwarding for socketPath with streamlocal'}`,
              target,
            );
          }
          if (inUse === 0) await new Promise((resolve) => setTimeout(resolve, 10 * idleRefusals));
          continue;
        }
        release();
        // A connection that died while the channel opened: the request never started; retry once.
        if (connection.ended && lostRetries === 0) {
          lostRetries += 1;
          continue;
        }
        throw err;
      }
    }
  }

  /** Slots in use on an entry: its open streams and the reservations not yet a stream. */
  #inUse(entry: Entry): number {
    return entry.connection.openStreams + entry.reserved;
  }

  /**
   * The one way a slot is taken: counts it on the entry and returns its release (idempotent), which
   * frees it and hands it to the next waiter. Whoever hands out an entry reserves first, so that no
   * slot is given twice.
   */
  #reserve(entry: Entry): Reservation {
    entry.reserved += 1;
    let held = true;
    return {
      entry,
      release: () => {
        if (!held) return;
        held = false;
        entry.reserved -= 1;
        this.#pump();
      },
    };
  }

  /** A slot on a ready connection, reserved for the caller. */
  #acquire(settings: ConnectionSettings): Promise<Reservation> {
    let entry = this.#findFree();
    if (entry === undefined && this.#entries.size < this.#limits.maxConnections) entry = this.#open(settings);
    if (entry !== undefined) return this.#whenReady(this.#reserve(entry));
    const waiting = new Promise<Reservation>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    }).then((reservation) => this.#whenReady(reservation));
    this.#reclaim();
    return waiting;
  }

  /** A slot for a probe: a free one on a connection the pool has (ready or being made), or the next one freed. */
  #acquireProbe(): Promise<Reservation> {
    const entry = this.#findFree();
    if (entry !== undefined) return this.#whenReady(this.#reserve(entry));
    return new Promise<Reservation>((resolve, reject) => {
      this.#probeWaiters.push({ resolve, reject });
    }).then((reservation) => this.#whenReady(reservation));
  }

  #findFree(): Entry | undefined {
    for (const entry of this.#entries.values()) {
      if (!entry.connection.ended && this.#inUse(entry) < entry.limit) return entry;
    }
    return undefined;
  }

  async #whenReady(reservation: Reservation): Promise<Reservation> {
    const pending = reservation.entry.connecting;
    if (pending !== undefined) {
      try {
        await pending;
      } catch (err) {
        reservation.release();
        throw err;
      }
    }
    return reservation;
  }

  #open(settings: ConnectionSettings): Entry {
    const entry: Entry = { connection: new SshConnection(settings, this.#hooks), limit: this.#limits.maxChannelsPerConnection, reserved: 0, connecting: undefined };
    this.#entries.set(entry.connection, entry);
    this.#counts.connectsStarted += 1;
    const ready = this.#connect(entry, settings);
    entry.connecting = ready;
    ready.then(
      () => {
        entry.connecting = undefined;
        this.#pump();
      },
      (err: unknown) => {
        this.#entries.delete(entry.connection);
        this.#counts.connectsFailed += 1;
        // While another connection works or is being made, waiters keep waiting for its slots: one
        // dropped connect (MaxStartups) must not fail requests a healthy connection can serve.
        if ([...this.#entries.values()].some((e) => (e.connection.ready && !e.connection.ended) || e.connecting !== undefined)) {
          this.#pump();
          return;
        }
        // Otherwise everyone waiting shares the failure: a refused host key or login is not going
        // to work on the next connection either.
        for (const waiter of [...this.#waiters.splice(0), ...this.#probeWaiters.splice(0)]) waiter.reject(err as Error);
      },
    );
    return entry;
  }

  /** Connects the entry, retrying drops before the handshake each time on a fresh connection object. */
  async #connect(entry: Entry, settings: ConnectionSettings): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await entry.connection.connect();
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        // sshd's MaxStartups drops connections before the banner: back off and try again.
        if (code === 'ERR_CONNECTION_LOST' && attempt < CONNECT_RETRIES && this.#closed === undefined) {
          this.#entries.delete(entry.connection);
          entry.connection = new SshConnection(settings, this.#hooks);
          this.#entries.set(entry.connection, entry);
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
   * Its open channels keep their slots until they are released.
   */
  adopt(connection: SshConnection): boolean {
    if (this.#closed !== undefined || this.#entries.size > 0 || !connection.ready || connection.ended) return false;
    connection.rehome(this.#hooks);
    this.#entries.set(connection, { connection, limit: this.#limits.maxChannelsPerConnection, reserved: 0, connecting: undefined });
    this.#counts.connectsStarted += 1;
    this.#pump();
    return true;
  }

  /** What every stream of the pool reports as its budget (see DockerStream.channelCapacity). */
  readonly #budget = (): { capacity: number; wanted: number } => ({ capacity: this.#capacity(), wanted: this.#waiters.length });

  #capacity(): number {
    let capacity = 0;
    let made = 0;
    for (const entry of this.#entries.values()) {
      if (entry.connection.ended) continue;
      made += 1;
      capacity += entry.limit;
    }
    return capacity + Math.max(0, this.#limits.maxConnections - made) * this.#limits.maxChannelsPerConnection;
  }

  /**
   * An open waits for a channel: asks the pool's streams, one at a time, whether one is idle in a
   * client's pool (that client closes it on this event); stops at the first one closed. Its channel
   * then goes to the waiter. Busy streams ignore the event.
   */
  #reclaim(): void {
    for (const entry of this.#entries.values()) {
      for (const stream of entry.connection.streams) {
        if (stream.destroyed || stream.listenerCount(CHANNEL_WANTED_EVENT) === 0) continue;
        stream.emit(CHANNEL_WANTED_EVENT);
        if (stream.destroyed) {
          publish('stream', { phase: 'reclaimed', connection: entry.connection.id, host: entry.connection.settings.target.host, port: entry.connection.settings.target.port });
          return;
        }
      }
    }
  }

  /** Hands free slots to waiters, and opens connections for those left waiting; probes get what slots remain. */
  #pump(): void {
    while (this.#waiters.length > 0) {
      let entry = this.#findFree();
      if (entry === undefined) {
        if (this.#entries.size >= this.#limits.maxConnections || this.#resolved === undefined) break;
        entry = this.#open(this.#resolved);
      }
      const waiter = this.#waiters.shift();
      if (waiter === undefined) break;
      waiter.resolve(this.#reserve(entry));
    }
    while (this.#waiters.length === 0 && this.#probeWaiters.length > 0) {
      const entry = this.#findFree();
      const waiter = entry === undefined ? undefined : this.#probeWaiters.shift();
      if (entry === undefined || waiter === undefined) return;
      waiter.resolve(this.#reserve(entry));
    }
  }

  #forget(connection: SshConnection, error: TransportError | undefined): void {
    if (!this.#entries.delete(connection)) return;
    if (connection.ready && error !== undefined) this.#counts.connectionsLost += 1;
    this.#pump();
  }

  /** The counters, and the gauges read from the pool as it is now. */
  stats(): PoolStats {
    let ready = 0;
    let openStreams = 0;
    for (const { connection } of this.#entries.values()) {
      if (connection.ready && !connection.ended) ready += 1;
      openStreams += connection.openStreams;
    }
    return { ...this.#counts, connections: this.#entries.size, readyConnections: ready, openStreams, queued: this.#waiters.length, channelCapacity: this.#capacity() };
  }

  /** Refuses new streams; waits for open ones up to `timeoutMs`, then ends them with ERR_TRANSPORT_CLOSED. */
  async close(timeoutMs: number, target: TransportErrorTarget): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = transportError('ERR_TRANSPORT_CLOSED', `the transport to ${where(target)} was closed; create a new one to connect again`, target);
    }
    for (const waiter of [...this.#waiters.splice(0), ...this.#probeWaiters.splice(0)]) waiter.reject(this.#closed);
    const deadline = Date.now() + timeoutMs;
    while (this.stats().openStreams > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.allSettled([...this.#entries.values()].flatMap((e) => (e.connecting === undefined ? [] : [e.connecting])));
    for (const connection of [...this.#entries.keys()]) connection.close(this.#closed);
  }
}
