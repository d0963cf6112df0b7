import { Agent, type ClientRequest, type ClientRequestArgs, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closedMidResponse, HttpError } from './errors.js';
import { checkConnector, checkMs, DEFAULT_CONNECT_TIMEOUT_MS, openStream, type Connector } from './internal/connect.js';
import { pathOnly } from './internal/diagnostics.js';

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
 * Default cap on idle connections kept for reuse.
 *
 * @example
 * ```ts
 * createDockerAgent(connect, { maxFreeSockets: DEFAULT_MAX_FREE_SOCKETS * 2 });
 * ```
 */
export const DEFAULT_MAX_FREE_SOCKETS = 8;

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
  /** Concurrent connections; each is one channel. Default {@link DEFAULT_MAX_SOCKETS}. */
  readonly maxSockets?: number | undefined;
  /** Idle connections kept for reuse. Default {@link DEFAULT_MAX_FREE_SOCKETS}. */
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

const superAddRequest = (Agent.prototype as unknown as { addRequest: (this: Agent, req: ClientRequest, options: unknown) => void }).addRequest;

class DockerAgent extends Agent {
  readonly #connect: Connector;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  // Node's Agent counts a connection only once it exists, so with an asynchronous connector a burst
  // of requests would all pass its maxSockets check. This counts every stream from the moment it is
  // asked for until it closes (hijacked ones included: they are still channels).
  readonly #max: number;
  #live = 0;
  readonly #waiters: { go: () => void; fail: (err: HttpError) => void }[] = [];
  #destroyed = false;
  // Streams asked of the connector and not yet arrived: requests are waiting for them.
  #opening = 0;
  // Requests held back while every slot is busy, so that a stream freed later is reused rather than reopened.
  readonly #queued: [ClientRequest, unknown][] = [];

  constructor(connect: Connector, options: DockerAgentOptions) {
    const maxSockets = checkCount('maxSockets', options.maxSockets, DEFAULT_MAX_SOCKETS);
    const maxFreeSockets = checkCount('maxFreeSockets', options.maxFreeSockets, DEFAULT_MAX_FREE_SOCKETS);
    super({ keepAlive: true, maxSockets, maxFreeSockets, scheduling: 'lifo' });
    this.#max = maxSockets;
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
      this.#opening += 1;
      openStream(this.#connect, { timeoutMs: this.#connectTimeoutMs, signal }, (err, stream) => {
        this.#opening -= 1;
        if (err !== null || stream === undefined) {
          this.#release();
          fail(err ?? destroyedError());
          return;
        }
        stream.once('close', () => {
          this.#release();
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
    if (this.#live >= this.#max && !this.#hasFree()) {
      this.#queued.push([req, options]);
      return;
    }
    superAddRequest.call(this, req, options);
  }

  #hasFree(): boolean {
    return Object.values(this.freeSockets).some((list) => list?.some((s) => !s.destroyed) === true);
  }

  #pump(): void {
    while (this.#queued.length > 0 && (this.#live < this.#max || this.#hasFree())) {
      const [req, options] = this.#queued.shift() as [ClientRequest, unknown];
      if (!req.destroyed) superAddRequest.call(this, req, options);
    }
  }

  #acquire(go: () => void, fail: (err: HttpError) => void): void {
    if (this.#destroyed) {
      fail(destroyedError());
      return;
    }
    if (this.#live < this.#max) {
      this.#live += 1;
      go();
      return;
    }
    this.#waiters.push({ go, fail });
    // An idle kept-alive stream holds a slot a request needs now: close it to make room.
    for (const list of Object.values(this.freeSockets)) {
      const idle = list?.[0];
      if (idle !== undefined) {
        idle.destroy();
        return;
      }
    }
  }

  #release(): void {
    const next = this.#waiters.shift();
    // The slot passes straight to the next waiter, or is given back.
    if (next !== undefined) {
      next.go();
    } else {
      this.#live -= 1;
      this.#pump();
    }
  }

  // A connection going back to the pool starts its idle clock; Node's Agent destroys a free
  // socket that times out.
  override keepSocketAlive(socket: Duplex): boolean {
    // A request is waiting for a slot: let this stream close instead of idling in the pool.
    // So is one still being opened: behind a limited connector (SSH sessions), an idle stream kept
    // here could hold the very slot that open is waiting for.
    if (this.#waiters.length > 0 || this.#opening > 0) return false;
    const keep = (Agent.prototype.keepSocketAlive as (this: Agent, s: Duplex) => boolean).call(this, socket);
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(this.#idleTimeoutMs);
    // A channel may be half-open capable (SSH channels are): EOF from the daemon on an idle
    // connection means it is done with it, so drop it rather than send the next request into it.
    socket.once('end', destroyOnEnd);
    return keep;
  }

  // A connection taken from the pool for a request has no idle clock: Docker streams (logs, events)
  // may be silent for hours.
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(0);
    socket.removeListener('end', destroyOnEnd);
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
