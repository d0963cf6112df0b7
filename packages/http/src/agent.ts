import { Agent, type ClientRequest, type ClientRequestArgs } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkConnector, checkMs, DEFAULT_CONNECT_TIMEOUT_MS, openStream, type Connector } from './internal/connect.js';

/** Default cap on concurrent connections (channels) per agent. */
export const DEFAULT_MAX_SOCKETS = 64;
/** Default cap on idle connections kept for reuse. */
export const DEFAULT_MAX_FREE_SOCKETS = 8;
/** Default time an idle kept-alive connection is kept before it is closed. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** Options of {@link createDockerAgent}. Every limit has a default. */
export interface DockerAgentOptions {
  /** Concurrent connections; each is one channel. Default {@link DEFAULT_MAX_SOCKETS}. */
  readonly maxSockets?: number;
  /** Idle connections kept for reuse. Default {@link DEFAULT_MAX_FREE_SOCKETS}. */
  readonly maxFreeSockets?: number;
  /** An idle kept-alive connection is closed after this long. Default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /** The connector must open a stream within this long, else `ERR_HTTP_TIMEOUT`. Default 30 000 ms. */
  readonly connectTimeoutMs?: number;
}

function checkCount(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (value !== Infinity && (!Number.isInteger(value) || value <= 0)) throw new RangeError(`${name} must be a positive integer or Infinity`);
  return value;
}

class DockerAgent extends Agent {
  readonly #connect: Connector;
  readonly #connectTimeoutMs: number;
  readonly #idleTimeoutMs: number;

  constructor(connect: Connector, options: DockerAgentOptions) {
    const maxSockets = checkCount('maxSockets', options.maxSockets, DEFAULT_MAX_SOCKETS);
    const maxFreeSockets = checkCount('maxFreeSockets', options.maxFreeSockets, DEFAULT_MAX_FREE_SOCKETS);
    super({ keepAlive: true, maxSockets, maxFreeSockets, scheduling: 'lifo' });
    this.#connect = connect;
    this.#connectTimeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
    this.#idleTimeoutMs = checkMs('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS);
  }

  // Node calls this for every new connection; the callback form lets the stream arrive later.
  // Returning undefined tells the Agent to wait for the callback, which openStream calls exactly once.
  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const signal = options.signal ?? undefined;
    openStream(this.#connect, { timeoutMs: this.#connectTimeoutMs, signal }, (err, stream) => {
      if (callback === undefined) {
        stream?.destroy();
        return;
      }
      if (err !== null) callback(err, undefined as unknown as Duplex);
      else callback(null, stream as Duplex);
    });
    return undefined;
  }

  // A connection going back to the pool starts its idle clock; Node's Agent destroys a free
  // socket that times out.
  override keepSocketAlive(socket: Duplex): boolean {
    const keep = (Agent.prototype.keepSocketAlive as (this: Agent, s: Duplex) => boolean).call(this, socket);
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(this.#idleTimeoutMs);
    return keep;
  }

  // A connection taken from the pool for a request has no idle clock: Docker streams (logs, events)
  // may be silent for hours.
  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    (socket as Duplex & { setTimeout(ms: number): void }).setTimeout(0);
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
