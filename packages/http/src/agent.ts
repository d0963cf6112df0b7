import { Agent, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closedMidResponse, HttpError } from './errors.js';
import { checkConnector, checkMs, DEFAULT_CONNECT_TIMEOUT_MS, openStream, type Connector } from './internal/connect.js';
import { channels, debug, pathOnly } from './internal/diagnostics.js';

/**
 * Default cap on concurrent connections (channels) per agent.
 *
 * @example
 * ```ts
 * createDockerAgent(connect, { maxSockets: DEFAULT_MAX_SOCKETS / 4 });
 * ```
 */
export const DEFAULT_MAX_SOCKETS = 64;

/**
 * Default cap on idle connections kept for reuse: as many as may be open (`maxSockets`, whose
 * default this is). An idle stream is closed by its idle timeout, or at once when its channel is
 * wanted for another stream, never because a burst left more of them free than a fixed number.
 *
 * @example
 * ```ts
 * createDockerAgent(connect, { maxFreeSockets: 4 });
 * ```
 */
export const DEFAULT_MAX_FREE_SOCKETS: number = 64; // the same as DEFAULT_MAX_SOCKETS

/**
 * Default time an idle kept-alive connection is kept before it is closed.
 *
 * @example
 * ```ts
 * createDockerAgent(connect, { idleTimeoutMs: DEFAULT_IDLE_TIMEOUT_MS * 4 });
 * ```
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * Options of {@link createDockerAgent}. Every limit has a default.
 *
 * @example
 * ```ts
 * const options: DockerAgentOptions = { maxSockets: 16, idleTimeoutMs: 10_000, connectTimeoutMs: 15_000 };
 * const agent = createDockerAgent(connect, options);
 * ```
 */
export interface DockerAgentOptions {
  /**
   * Concurrent connections; each is one channel. Default {@link DEFAULT_MAX_SOCKETS}, lowered to the
   * channel capacity the connector's streams report (the transport's: what it learned of the
   * server's MaxSessions, over its connections), so a burst reuses warm streams instead of queueing
   * opens. Streams of long-lived requests (`logs -f`, events, attach) stop counting after a second.
   */
  readonly maxSockets?: number | undefined;
  /** Idle connections kept for reuse. Default: `maxSockets` ({@link DEFAULT_MAX_FREE_SOCKETS}). */
  readonly maxFreeSockets?: number | undefined;
  /** An idle kept-alive connection is closed after this long. Default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number | undefined;
  /** The connector must open a stream within this long, else `ERR_HTTP_TIMEOUT`. Default 30 000 ms. */
  readonly connectTimeoutMs?: number | undefined;
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value !== Infinity && (!Number.isInteger(value) || value <= 0)) throw new RangeError(`${name} must be a positive integer or Infinity`);
  return value;
}

function destroyOnEnd(this: Duplex): void {
  this.destroy();
}

function destroyedError(): HttpError {
  return new HttpError('ERR_HTTP_CLOSED', 'the agent was destroyed; create a new one for new requests');
}

/**
 * Fails a request that has no stream, the way Node's own Agent does when it cannot create one
 * (`req.onSocket(undefined, err)`): the request then emits 'error' and 'close' exactly once.
 */
function failRequest(req: ClientRequest): void {
  (req as ClientRequest & { onSocket(socket: undefined, err: Error): void }).onSocket(undefined, destroyedError());
}

/**
 * Node's http client fails a response in progress with its own `aborted` (ECONNRESET) when the
 * connection goes, dropping the stream's error. This fails it first with ours, `ERR_HTTP_CLOSED`
 * carrying the stream's error as `cause` (the transport's `ERR_CONNECTION_LOST`), so clients that
 * only see the response (dockerode's `logs -f` stream) still get a code that says what happened.
 * The error names the path without its query, which may carry secrets (a build's `buildargs`).
 */
function carryStreamErrors(req: ClientRequest, res: IncomingMessage): void {
  const stream = res.socket;
  if (stream === null) return;
  const onError = (err: Error): void => {
    if (!res.complete && !res.destroyed) res.destroy(closedMidResponse(err, { method: req.method, path: pathOnly(req.path) }));
  };
  // Before Node's own listener, which leads to the 'aborted' destroy.
  stream.prependListener('error', onError);
  res.once('close', () => {
    stream.removeListener('error', onError);
  });
}

/**
 * The event a transport's stream emits when an open on the same transport waits for a channel
 * (`@ssh-docker/transport` does): an idle pooled stream is then closed, so its channel goes there.
 */
const CHANNEL_WANTED_EVENT = 'channelwanted';

/**
 * What a connector's stream may say about the channels behind it (the transport's streams do): how
 * many can be open at once, and how many opens wait for one. Read, never required: any Duplex works.
 */
interface ChannelHints {
  readonly channelCapacity?: unknown;
  readonly channelsWanted?: unknown;
}

function channelCapacity(stream: Duplex): number | undefined {
  const value = (stream as Duplex & ChannelHints).channelCapacity;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function channelsWanted(stream: Duplex): number {
  const value = (stream as Duplex & ChannelHints).channelsWanted;
  return typeof value === 'number' && value > 0 ? value : 0;
}

function publishReclaim(reason: string): void {
  debug('idle stream closed', { reason });
  channels.reclaim.publish({ reason });
}

function closeIdle(stream: Duplex, reason: string): void {
  publishReclaim(reason);
  stream.destroy();
}

function onChannelWanted(this: Duplex): void {
  closeIdle(this, 'channel wanted by the transport');
}

/**
 * The agent's count of streams: opened or being opened, minus long-lived ones, capped at the lower
 * of `maxSockets` and the channel capacity the connector's streams report (the transport's real
 * limit, learned per host), less what this agent's long-lived streams hold of it. So a burst never
 * asks for more channels than exist, and `logs -f` streams never take the short requests' slots.
 */
class StreamBudget {
  readonly #maxSockets: number;
  #capacity: number | undefined;
  #live = 0;
  readonly #counted = new WeakSet<Duplex>();
  readonly #parked = new WeakSet<Duplex>();
  #parkedCount = 0;

  constructor(maxSockets: number) {
    this.#maxSockets = maxSockets;
  }

  /** The cap now: at least one slot for short requests, whatever the long-lived ones hold. */
  get cap(): number {
    const capacity = this.#capacity === undefined ? Infinity : Math.max(1, this.#capacity - this.#parkedCount);
    return Math.min(this.#maxSockets, capacity);
  }

  hasRoom(): boolean {
    return this.#live < this.cap;
  }

  take(): void {
    this.#live += 1;
  }

  give(): void {
    this.#live -= 1;
  }

  /** An open settled; its slot is now the stream's (or, on failure, released by the caller). */
  opened(stream: Duplex | undefined): void {
    if (stream === undefined) return;
    this.#counted.add(stream);
    this.#capacity = channelCapacity(stream) ?? this.#capacity;
  }

  /** The stream closed: true when it held a slot (the caller releases it). */
  closed(stream: Duplex): boolean {
    if (this.#parked.has(stream)) {
      this.#parked.delete(stream);
      this.#parkedCount -= 1;
    }
    return this.#counted.delete(stream);
  }

  /** The stream's request turned long-lived: true when that freed a slot. */
  park(stream: Duplex): boolean {
    if (stream.destroyed || !this.#counted.delete(stream)) return false;
    this.#parked.add(stream);
    this.#parkedCount += 1;
    return true;
  }

  /** A stream going idle: a long-lived one counts again if a slot is free; false when it should close. */
  unpark(stream: Duplex): boolean {
    if (!this.#parked.has(stream)) return true;
    this.#parked.delete(stream);
    this.#parkedCount -= 1;
    if (!this.hasRoom()) return false;
    this.#live += 1;
    this.#counted.add(stream);
    return true;
  }
}

const superAddRequest = (Agent.prototype as unknown as { addRequest: (this: Agent, req: ClientRequest, options: unknown) => void }).addRequest;

/**
 * A request still running on its stream after this long is long-lived (`logs -f`, events, a
 * hijacked attach): its stream stops counting against the cap, so it never blocks short requests.
 */
const LONG_LIVED_MS = 1_000;

class DockerAgent extends Agent {
  readonly #connect: Connector;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  // Node's Agent counts a connection only once it exists, so with an asynchronous connector a burst
  // of requests would all pass its maxSockets check. This counts every stream from the moment it is
  // asked for until it closes (hijacked ones included: they are still channels), except long-lived ones.
  readonly #pool: StreamBudget;
  readonly #waiters: { go: () => void; fail: (err: HttpError) => void }[] = [];
  #destroyed = false;
  // Requests held back while every slot is busy, so that a stream freed later is reused rather than reopened.
  readonly #queued: [ClientRequest, unknown][] = [];

  constructor(connect: Connector, options: DockerAgentOptions) {
    const maxSockets = checkCount('maxSockets', options.maxSockets, DEFAULT_MAX_SOCKETS);
    // Idle streams are closed by their idle timeout or when their channel is wanted elsewhere, not
    // because a burst left more of them free than some fixed number.
    const maxFreeSockets = checkCount('maxFreeSockets', options.maxFreeSockets, maxSockets);
    super({ keepAlive: true, maxSockets, maxFreeSockets, scheduling: 'lifo' });
    this.#pool = new StreamBudget(maxSockets);
    // Registered after Node's own 'free' handler, so the freed stream is already in freeSockets.
    this.on('free', () => {
      this.#pump();
    });
    this.#connect = connect;
    this.#connectTimeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.#idleTimeoutMs = checkMs('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
  }

  // Node calls this for every new connection; the callback form lets the stream arrive later.
  // Returning undefined tells the Agent to wait for the callback, which openStream calls exactly once.
  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const signal = options.signal ?? undefined;
    const fail = (err: HttpError): void => {
      callback?.(err, undefined as unknown as Duplex);
    };
    const go = (): void => {
      openStream(this.#connect, { timeoutMs: this.#connectTimeoutMs, signal }, (err, stream) => {
        if (err !== null || stream === undefined) {
          this.#pool.opened(undefined);
          this.#release();
          fail(err ?? destroyedError());
          return;
        }
        this.#pool.opened(stream);
        stream.once('close', () => {
          if (this.#pool.closed(stream)) this.#release();
        });
        if (callback === undefined || this.#destroyed) {
          stream.destroy();
          if (callback !== undefined) fail(destroyedError());
        } else {
          callback(null, stream);
        }
      });
    };
    this.#acquire(go, fail);
    return undefined;
  }

  /** Closes every stream, and fails requests still waiting for one with `ERR_HTTP_CLOSED`. */
  override destroy(): void {
    this.#destroyed = true;
    super.destroy();
    for (const waiter of this.#waiters.splice(0)) waiter.fail(destroyedError());
    for (const [req] of this.#queued.splice(0)) failRequest(req);
  }

  /** Node's entry point for every request (not in @types/node, but what ClientRequest calls). */
  addRequest(req: ClientRequest, options: unknown): void {
    if (this.#destroyed) {
      failRequest(req);
      return;
    }
    req.once('response', (res: IncomingMessage) => {
      carryStreamErrors(req, res);
    });
    this.#watchLongLived(req);
    if (!this.#pool.hasRoom() && !this.#hasFree()) {
      this.#queued.push([req, options]);
      return;
    }
    superAddRequest.call(this, req, options);
  }

  /** A request still running after LONG_LIVED_MS (or upgraded) frees its slot for short requests. */
  #watchLongLived(req: ClientRequest): void {
    req.once('socket', (stream: Duplex) => {
      const park = (): void => {
        if (this.#pool.park(stream)) this.#pass();
      };
      const timer = setTimeout(park, LONG_LIVED_MS);
      timer.unref();
      req.once('upgrade', park);
      req.once('close', () => {
        clearTimeout(timer);
      });
    });
  }

  #hasFree(): boolean {
    return Object.values(this.freeSockets).some((list) => list?.some((s) => !s.destroyed) === true);
  }

  #pump(): void {
    while (this.#queued.length > 0 && (this.#pool.hasRoom() || this.#hasFree())) {
      const [req, options] = this.#queued.shift() as [ClientRequest, unknown];
      if (!req.destroyed) superAddRequest.call(this, req, options);
    }
  }

  #acquire(go: () => void, fail: (err: HttpError) => void): void {
    if (this.#destroyed) {
      fail(destroyedError());
      return;
    }
    if (this.#pool.hasRoom()) {
      this.#pool.take();
      go();
      return;
    }
    this.#waiters.push({ go, fail });
    // A request Node could not give a kept-alive stream (another host name in its URL) waits for a
    // slot an idle stream holds: that stream's channel is needed for something else.
    for (const list of Object.values(this.freeSockets)) {
      const idle = list?.[0];
      if (idle !== undefined) {
        closeIdle(idle, 'slot wanted by a request of another origin');
        return;
      }
    }
  }

  /** A slot was freed (a counted stream closed, or its open failed): the next waiter takes it, or it is given back. */
  #release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) {
      next.go();
    } else {
      this.#pool.give();
      this.#pump();
    }
  }

  /** A slot appeared without a stream closing (a stream turned long-lived): as a release. */
  #pass(): void {
    this.#release();
  }

  // A connection going back to the pool starts its idle clock; Node's Agent destroys a free
  // socket that times out.
  override keepSocketAlive(socket: Duplex): boolean {
    // A request is waiting in createConnection for a slot (another origin): let this stream close.
    if (this.#waiters.length > 0) {
      publishReclaim('slot wanted by a request of another origin');
      return false;
    }
    // Requests queued here take this stream at once (the 'free' handler), so it is never closed for
    // them. Otherwise, when an open elsewhere on the transport waits for a channel, or this stream
    // was long-lived and the short ones have all their slots, its channel is better given back.
    if (this.#queued.length === 0 && channelsWanted(socket) > 0) {
      publishReclaim('channel wanted by the transport');
      return false;
    }
    if (!this.#pool.unpark(socket)) {
      publishReclaim('long-lived stream done, no slot free');
      return false;
    }
    const keep = (Agent.prototype.keepSocketAlive as (this: Agent, s: Duplex) => boolean).call(this, socket);
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(this.#idleTimeoutMs);
    // A channel may be half-open capable (SSH channels are): EOF from the daemon on an idle
    // connection means it is done with it, so drop it rather than send the next request into it.
    socket.once('end', destroyOnEnd);
    socket.once(CHANNEL_WANTED_EVENT, onChannelWanted);
    return keep;
  }

  // A connection taken from the pool for a request has no idle clock: Docker streams (logs, events)
  // may be silent for hours.
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(0);
    socket.removeListener('end', destroyOnEnd);
    socket.removeListener(CHANNEL_WANTED_EVENT, onChannelWanted);
    Agent.prototype.reuseSocket.call(this, socket, request);
  }
}

/**
 * A keep-alive `http.Agent` whose connections are streams from `connect` (for the transport:
 * one `docker system dial-stdio` channel each). Drop it into dockerode, docker-modem or any
 * `http.request` caller; the host name in the URL is ignored, use `docker`.
 *
 * @param connect - Opens one fresh stream to the daemon per call.
 * @param options - Limits; every one has a default.
 * @returns An `http.Agent`; call `agent.destroy()` to close idle connections.
 *
 * @example
 * ```ts
 * import Docker from 'dockerode';
 * import { createDockerAgent } from '@ssh-docker/http';
 *
 * const agent = createDockerAgent(() => transport.openStream(), { maxSockets: 16 });
 * const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 });
 * await docker.ping();
 * ```
 */
export function createDockerAgent(connect: () => Promise<Duplex>, options: DockerAgentOptions = {}): Agent {
  checkConnector(connect);
  return new DockerAgent(connect, options);
}
