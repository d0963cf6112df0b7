import { request as httpRequest, type Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import { createDockerAgent, type DockerAgentOptions } from './agent.js';
import { closedMidResponse, HttpError, codeOf } from './errors.js';
import { readDaemonMessage, readLimited } from './internal/body.js';
import { checkConnector } from './internal/connect.js';
import { channels, debug, pathOnly } from './internal/diagnostics.js';
import { credentialTexts, rememberSecrets, scrub, validateHeaders, type HeaderValue } from './internal/headers.js';
import { minApiVersion, parseApiVersion } from './internal/version.js';

/**
 * Highest Docker Engine API version this client asks for; a newer daemon is spoken to at this version.
 *
 * @example
 * ```ts
 * new DockerClient(connect, { maxApiVersion: MAX_API_VERSION });
 * ```
 */
export const MAX_API_VERSION = '1.47';

/**
 * Version used when the daemon's `/_ping` has no `API-Version` header (the oldest one current daemons accept).
 *
 * @example
 * ```ts
 * if ((await client.apiVersion()) === FALLBACK_API_VERSION) {
 *   // the daemon did not say which version it speaks
 * }
 * ```
 */
export const FALLBACK_API_VERSION = '1.24';

/**
 * Default cap on response header bytes (Node's own default).
 *
 * @example
 * ```ts
 * new DockerClient(connect, { maxHeaderSize: DEFAULT_MAX_HEADER_SIZE * 2 });
 * ```
 */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;

/**
 * Default cap on bytes read from an error body to find the daemon's message.
 *
 * @example
 * ```ts
 * // err.daemonMessage is read from at most DEFAULT_MAX_ERROR_BODY_BYTES of the error body
 * ```
 */
export const DEFAULT_MAX_ERROR_BODY_BYTES = 64 * 1024;

/**
 * Default cap on bytes {@link DockerClient.json} reads.
 *
 * @example
 * ```ts
 * new DockerClient(connect, { maxJsonBytes: DEFAULT_MAX_JSON_BYTES * 4 });
 * ```
 */
export const DEFAULT_MAX_JSON_BYTES = 32 * 1024 * 1024;

/**
 * Default deadline of the implicit `GET /_ping` that negotiates the API version (headers included).
 * A request's own `timeoutMs` also bounds its wait for the negotiation.
 *
 * @example
 * ```ts
 * new DockerClient(connect, { negotiateTimeoutMs: DEFAULT_NEGOTIATE_TIMEOUT_MS / 3 });
 * ```
 */
export const DEFAULT_NEGOTIATE_TIMEOUT_MS = 30_000;

/**
 * Default deadline for reading an error body (status 400 or more) to find the daemon's message;
 * when it runs out the request still fails with `ERR_HTTP_STATUS`, without `daemonMessage`.
 *
 * @example
 * ```ts
 * // a daemon that answers 500 and never sends the body: ERR_HTTP_STATUS after at most this long
 * ```
 */
export const DEFAULT_ERROR_BODY_TIMEOUT_MS = 10_000;

/**
 * Default time an idempotent request (GET, HEAD) keeps trying to get a fresh stream after its
 * connection died or was refused, on a client that has reached the daemon before (a restarting sshd
 * or daemon host); within the request's own `timeoutMs` and signal.
 *
 * @example
 * ```ts
 * new DockerClient(connect, { reconnectWaitMs: DEFAULT_RECONNECT_WAIT_MS * 2 });
 * ```
 */
export const DEFAULT_RECONNECT_WAIT_MS = 5_000;

/** Causes that say a stream or its SSH connection died: nothing of the response can have been parsed yet when no byte arrived. */
const STREAM_DIED = new Set(['ERR_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);
/** Connector failures that a restarting server gives; nothing of the request was sent. */
const SERVER_DOWN = new Set(['ERR_CONNECTION_LOST', 'ERR_CONNECTION_REFUSED']);
/** Pause before a replay (see #sendRetrying). */
const REPLAY_PAUSE_MS = 100;
/** Methods that RFC 9110 §9.2.2 calls idempotent and that Docker's API uses only to read. */
const REPLAYABLE = new Set(['GET', 'HEAD']);

/**
 * A query value; objects (e.g. `filters`) are sent as JSON, arrays as repeated keys.
 *
 * @example
 * ```ts
 * const query: Record<string, QueryValue> = { all: true, limit: 10, filters: { label: ['app=web'] } };
 * ```
 */
export type QueryValue = string | number | boolean | undefined | null | readonly string[] | Readonly<Record<string, unknown>>;

/**
 * A request body: streamed when it is a Readable, sent with a length otherwise; plain objects as JSON.
 *
 * @example
 * ```ts
 * const body: RequestBody = createReadStream('context.tar'); // or a Buffer, a string, { Image: 'busybox' }
 * ```
 */
export type RequestBody = Readable | Buffer | Uint8Array | string | Readonly<Record<string, unknown>> | readonly unknown[];

/**
 * One request to the Docker Engine API.
 *
 * @example
 * ```ts
 * const req: DockerRequest = { method: 'POST', path: '/containers/create', query: { name: 'web' }, body: { Image: 'busybox' } };
 * await client.json(req);
 * ```
 */
export interface DockerRequest {
  /** Default `GET` (`POST` for {@link DockerClient.hijack}). */
  readonly method?: string | undefined;
  /** API path such as `/containers/json`; the negotiated `/v1.xx` prefix is added unless it has one. */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>> | undefined;
  /** Credential headers (X-Registry-Auth, Authorization, ...) are sent but never logged or quoted. */
  readonly headers?: Readonly<Record<string, HeaderValue | undefined>> | undefined;
  readonly body?: RequestBody | undefined;
  /** Aborts the request and its response body with `ERR_HTTP_ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Time until response headers, else `ERR_HTTP_TIMEOUT`; it covers the implicit API version
   * negotiation too, and for {@link DockerClient.json} the whole body. No default: Docker answers
   * some calls only when done.
   */
  readonly timeoutMs?: number | undefined;
  /** Set false to send the path as is, without the API version prefix. */
  readonly versioned?: boolean | undefined;
}

/**
 * A response whose body is a stream; read it, or destroy it to free the connection.
 *
 * @example
 * ```ts
 * const res: DockerResponse = await client.request({ path: '/events' });
 * res.body.on('data', (chunk: Buffer) => handle(chunk));
 * ```
 */
export interface DockerResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

/**
 * Options of {@link DockerClient}.
 *
 * @example
 * ```ts
 * const client = new DockerClient(connect, { apiVersion: '1.41', maxSockets: 8 });
 * ```
 */
export interface DockerClientOptions extends DockerAgentOptions {
  /** Use this agent instead of creating one from the connector (the client will not destroy it). */
  readonly agent?: Agent | undefined;
  /** Pin the API version (e.g. `'1.41'`) and skip negotiation. */
  readonly apiVersion?: string | undefined;
  /** Highest version to negotiate. Default {@link MAX_API_VERSION}. */
  readonly maxApiVersion?: string | undefined;
  /** Response header bytes, else `ERR_HTTP_PROTOCOL`. Default {@link DEFAULT_MAX_HEADER_SIZE}. */
  readonly maxHeaderSize?: number | undefined;
  /** Bytes {@link DockerClient.json} reads, else `ERR_HTTP_PROTOCOL`. Default {@link DEFAULT_MAX_JSON_BYTES}. */
  readonly maxJsonBytes?: number | undefined;
  /** Deadline of the implicit `/_ping` version negotiation, else `ERR_HTTP_TIMEOUT`. Default {@link DEFAULT_NEGOTIATE_TIMEOUT_MS}. */
  readonly negotiateTimeoutMs?: number | undefined;
  /**
   * Retry idempotent requests (GET, HEAD, without a stream body; never a hijack) whose stream or
   * connection died before any byte of the response arrived: replayed once on a fresh stream, as
   * browsers and undici do with a stale keep-alive socket. POST, PUT, DELETE are never replayed.
   * Default true.
   */
  readonly retryIdempotent?: boolean | undefined;
  /**
   * How long such a request keeps trying to get a fresh stream while the server refuses or drops
   * new connections (a restarting sshd), once this client has reached the daemon. Default
   * {@link DEFAULT_RECONNECT_WAIT_MS}.
   */
  readonly reconnectWaitMs?: number | undefined;
}

/** What one attempt of a request found out, for the retry decision. */
interface Attempt {
  /** Some byte of a response arrived on the attempt's stream. */
  readonly gotBytes: boolean;
}

function deadlineOf(req: DockerRequest): number | undefined {
  if (typeof req !== 'object' || req === null || req.timeoutMs === undefined) return undefined;
  checkPositive('timeoutMs', req.timeoutMs, 0);
  return Date.now() + req.timeoutMs;
}

interface Prepared {
  readonly method: string;
  readonly path: string;
  readonly logPath: string;
  readonly headers: Record<string, string | string[]>;
  readonly secrets: string[];
  readonly body: Readable | Buffer | undefined;
}

const METHOD = /^[A-Z]+$/;

function checkPositive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function isReadable(value: unknown): value is Readable {
  return value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function');
}

function buildQuery(query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else if (typeof value === 'object') params.append(key, JSON.stringify(value));
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * A small streaming client for the Docker Engine API on Node's `http`, over streams from a
 * connector. Bodies are streams both ways, the API version is negotiated from `/_ping`, errors
 * are {@link HttpError}s, credential headers never show up in errors or diagnostics.
 *
 * @example
 * ```ts
 * import { DockerClient, demux } from '@ssh-docker/http';
 *
 * const client = new DockerClient(() => transport.openStream());
 * const containers = await client.json<unknown[]>({ path: '/containers/json', query: { all: true } });
 * const logs = await client.request({ path: `/containers/${id}/logs`, query: { follow: true, stdout: true } });
 * demux(logs.body).stdout.pipe(process.stdout);
 * client.close();
 * ```
 */
export class DockerClient {
  readonly #agent: Agent;
  readonly #ownsAgent: boolean;
  readonly #maxApiVersion: string;
  readonly #maxHeaderSize: number;
  readonly #maxJsonBytes: number;
  readonly #negotiateTimeoutMs: number;
  readonly #retryIdempotent: boolean;
  readonly #reconnectWaitMs: number;
  #version: Promise<string> | undefined;
  #closed = false;
  // The daemon answered this client at least once: a refused connection is then a restart, not a wrong address.
  #reached = false;

  /**
   * @param connect - Opens one fresh stream to the daemon per call (ignored when `options.agent` is given).
   * @param options - Limits and version choices; every limit has a default.
   */
  constructor(connect: () => Promise<Duplex>, options: DockerClientOptions = {}) {
    if (options.agent === undefined) checkConnector(connect);
    this.#agent = options.agent ?? createDockerAgent(connect, options);
    this.#ownsAgent = options.agent === undefined;
    if (options.apiVersion !== undefined) {
      if (parseApiVersion(options.apiVersion) === undefined) throw new RangeError('apiVersion must look like "1.41"');
      this.#version = Promise.resolve(options.apiVersion);
    }
    const max = options.maxApiVersion ?? MAX_API_VERSION;
    if (parseApiVersion(max) === undefined) throw new RangeError('maxApiVersion must look like "1.47"');
    this.#maxApiVersion = max;
    this.#maxHeaderSize = checkPositive('maxHeaderSize', options.maxHeaderSize, DEFAULT_MAX_HEADER_SIZE);
    this.#maxJsonBytes = checkPositive('maxJsonBytes', options.maxJsonBytes, DEFAULT_MAX_JSON_BYTES);
    this.#negotiateTimeoutMs = checkPositive('negotiateTimeoutMs', options.negotiateTimeoutMs, DEFAULT_NEGOTIATE_TIMEOUT_MS);
    if (options.retryIdempotent !== undefined && typeof options.retryIdempotent !== 'boolean') throw new TypeError('retryIdempotent must be a boolean');
    this.#retryIdempotent = options.retryIdempotent ?? true;
    this.#reconnectWaitMs = checkPositive('reconnectWaitMs', options.reconnectWaitMs, DEFAULT_RECONNECT_WAIT_MS);
  }

  /**
   * The API version requests use: the daemon's `API-Version` from `/_ping`, capped at `maxApiVersion`.
   *
   * @example
   * ```ts
   * const version = await client.apiVersion(); // '1.41'
   * ```
   */
  apiVersion(): Promise<string> {
    if (this.#version === undefined) {
      const pending = this.#negotiate();
      this.#version = pending;
      // A failed negotiation is retried by the next request, not cached.
      pending.catch(() => {
        if (this.#version === pending) this.#version = undefined;
      });
    }
    return this.#version;
  }

  async #negotiate(): Promise<string> {
    const ms = this.#negotiateTimeoutMs;
    let res: DockerResponse;
    try {
      res = await this.request({ method: 'GET', path: '/_ping', versioned: false, timeoutMs: ms });
    } catch (err) {
      if (err instanceof HttpError && err.code === 'ERR_HTTP_TIMEOUT') {
        throw new HttpError(
          'ERR_HTTP_TIMEOUT',
          `the daemon did not answer GET /_ping (API version negotiation) within ${ms} ms; check that the stream reaches a running Docker daemon, raise negotiateTimeoutMs, or pin apiVersion`,
          { method: 'GET', path: '/_ping', cause: err },
        );
      }
      throw err;
    }
    res.body.resume();
    const header = res.headers['api-version'];
    const server = typeof header === 'string' && parseApiVersion(header) !== undefined ? header : FALLBACK_API_VERSION;
    const version = minApiVersion(server, this.#maxApiVersion);
    debug('api version', { version });
    return version;
  }

  /**
   * Sends one request; resolves when response headers arrive, with the body as a stream.
   * A status of 400 or more rejects with `ERR_HTTP_STATUS` carrying `statusCode` and `daemonMessage`.
   *
   * @example
   * ```ts
   * const res = await client.request({ method: 'GET', path: '/images/busybox/get' });
   * await pipeline(res.body, createWriteStream('busybox.tar'));
   * ```
   */
  async request(req: DockerRequest): Promise<DockerResponse> {
    return this.#request(req, deadlineOf(req));
  }

  async #request(req: DockerRequest, deadline: number | undefined): Promise<DockerResponse> {
    const prepared = await this.#prepare(req, 'GET', deadline);
    return new Promise<DockerResponse>((resolve, reject) => {
      this.#sendRetrying(prepared, req, deadline, (err, value) => {
        if (err !== null) reject(err);
        else resolve(value as DockerResponse);
      });
    });
  }

  /**
   * Sends a request; an idempotent one that failed before any byte of its response arrived because
   * its stream or SSH connection died is sent once more on a fresh stream. While the server refuses
   * new connections (a restart), opening that stream is tried again with backoff, for at most
   * `reconnectWaitMs`: a failed open sent nothing, so trying it again replays nothing.
   * Everything else (POST and the other methods, a stream body, a response that began) is reported.
   */
  #sendRetrying(p: Prepared, req: DockerRequest, deadline: number | undefined, done: (err: HttpError | null, value?: DockerResponse) => void): void {
    const eligible = this.#retryIdempotent && REPLAYABLE.has(p.method) && !isReadable(p.body);
    const where = { method: p.method, path: p.logPath };
    let replayed = false;
    let waitUntil: number | undefined;
    let backoffMs = 50;
    const { signal } = req;
    const later = (ms: number): void => {
      const onAbort = (): void => {
        clearTimeout(timer);
        done(new HttpError('ERR_HTTP_ABORTED', 'the request was aborted by its signal', { ...where, cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        attempt();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    };
    const attempt = (): void => {
      this.#send(p, req, deadline, false, (err, value, info) => {
        if (err === null || !eligible || this.#closed || signal?.aborted === true) {
          done(err, value as DockerResponse | undefined);
          return;
        }
        const left = (deadline ?? Infinity) - Date.now();
        if (!replayed && !(info?.gotBytes ?? true) && err.code === 'ERR_HTTP_CLOSED' && STREAM_DIED.has(err.causeCode ?? '') && left > REPLAY_PAUSE_MS) {
          // The stream died under the request before the daemon's answer began: replay it once,
          // after a short pause: a server that went down takes its other connections with it, and
          // their loss arrives a moment later; the replay must not land on one of them.
          replayed = true;
          debug('retry', { ...where, causeCode: err.causeCode });
          later(REPLAY_PAUSE_MS);
          return;
        }
        if (err.code === 'ERR_HTTP_CONNECT' && SERVER_DOWN.has(err.causeCode ?? '') && this.#reached) {
          // No stream was opened: nothing was sent. Wait for the server to come back, within bounds.
          waitUntil ??= Date.now() + this.#reconnectWaitMs;
          const wait = Math.min(backoffMs, Math.min(waitUntil, deadline ?? Infinity) - Date.now());
          if (wait > 0) {
            backoffMs = Math.min(backoffMs * 2, 1000);
            debug('reconnect wait', { ...where, causeCode: err.causeCode, waitMs: wait });
            later(wait);
            return;
          }
        }
        done(err);
      });
    };
    attempt();
  }

  /**
   * Sends a request and parses its JSON body (bounded by `maxJsonBytes`).
   *
   * @example
   * ```ts
   * const info = await client.json<{ ID: string }>({ path: '/info' });
   * ```
   */
  async json<T = unknown>(req: DockerRequest): Promise<T> {
    const deadline = deadlineOf(req);
    const res = await this.#request(req, deadline);
    let timer: NodeJS.Timeout | undefined;
    if (deadline !== undefined && req.timeoutMs !== undefined) {
      // json() hands back the whole body: a body that stalls after the headers is bounded too.
      const ms = req.timeoutMs;
      timer = setTimeout(() => {
        res.body.destroy(new HttpError('ERR_HTTP_TIMEOUT', `the response body did not complete within ${ms} ms; raise timeoutMs`, { method: req.method ?? 'GET', path: pathOnly(req.path) }));
      }, Math.max(1, deadline - Date.now()));
    }
    let buf: Buffer;
    try {
      buf = await readLimited(res.body, this.#maxJsonBytes, 'maxJsonBytes');
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    if (buf.length === 0) return undefined as T;
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw new HttpError('ERR_HTTP_PROTOCOL', 'the response body is not valid JSON; use request() to read it as a stream', {
        method: req.method ?? 'GET',
        path: pathOnly(req.path),
      });
    }
  }

  /**
   * Sends an upgrade request (attach, exec start) and resolves with the raw bidirectional stream
   * once the daemon answers `101`. `stream.end()` closes only the write side (stdin EOF); output
   * keeps flowing until the daemon ends it. Without a TTY the output is multiplexed: use {@link demux}.
   * Anything but 101 rejects with `ERR_HTTP_UPGRADE`.
   *
   * @example
   * ```ts
   * const stream = await client.hijack({ path: `/exec/${execId}/start`, body: { Detach: false, Tty: false } });
   * const { stdout } = demux(stream);
   * stream.end('input\n');
   * ```
   */
  async hijack(req: DockerRequest): Promise<Duplex> {
    const deadline = deadlineOf(req);
    const prepared = await this.#prepare(req, 'POST', deadline);
    return new Promise<Duplex>((resolve, reject) => {
      this.#send(prepared, req, deadline, true, (err, value) => {
        if (err !== null) reject(err);
        else resolve(value as Duplex);
      });
    });
  }

  /**
   * Closes idle connections of the agent this client created; later requests fail with `ERR_HTTP_CLOSED`.
   *
   * @example
   * ```ts
   * client.close();
   * ```
   */
  close(): void {
    this.#closed = true;
    if (this.#ownsAgent) this.#agent.destroy();
  }

  async #prepare(req: DockerRequest, defaultMethod: string, deadline: number | undefined): Promise<Prepared> {
    if (typeof req !== 'object' || req === null) throw new TypeError('request needs an object like { method, path }');
    if (typeof req.path !== 'string' || !req.path.startsWith('/') || /[\s#?]/.test(req.path)) {
      throw new TypeError('path must start with "/" and have no spaces, "?" or "#"; put query parameters in query');
    }
    const method = req.method ?? defaultMethod;
    if (typeof method !== 'string' || !METHOD.test(method)) throw new TypeError('method must be an upper-case HTTP method such as "GET"');
    if (req.timeoutMs !== undefined) checkPositive('timeoutMs', req.timeoutMs, 0);
    const headers = validateHeaders(req.headers ?? {});
    const secrets = credentialTexts(headers);
    if (this.#closed) throw new HttpError('ERR_HTTP_CLOSED', 'this DockerClient was closed; create a new one', { method, path: req.path });

    let body: Readable | Buffer | undefined;
    const raw = req.body;
    const has = (name: string): boolean => Object.keys(headers).some((k) => k.toLowerCase() === name);
    if (raw === undefined) {
      body = undefined;
    } else if (isReadable(raw)) {
      body = raw;
    } else if (typeof raw === 'string' || raw instanceof Uint8Array) {
      body = typeof raw === 'string' ? Buffer.from(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    } else if (typeof raw === 'object') {
      body = Buffer.from(JSON.stringify(raw));
      if (!has('content-type')) headers['Content-Type'] = 'application/json';
    } else {
      throw new TypeError('body must be a Readable, a Buffer, a string or a plain object');
    }
    if (Buffer.isBuffer(body) && !has('content-length')) headers['Content-Length'] = String(body.length);

    const versioned = req.versioned !== false && !/^\/v\d+\.\d+\//.test(req.path);
    const prefix = versioned ? `/v${await this.#versionWithin(req, method, deadline)}` : '';
    return { method, path: `${prefix}${req.path}${buildQuery(req.query)}`, logPath: `${prefix}${req.path}`, headers, secrets, body };
  }

  /** The negotiated version, waited for no longer than the request's own deadline and signal allow. */
  async #versionWithin(req: DockerRequest, method: string, deadline: number | undefined): Promise<string> {
    const pending = this.apiVersion();
    const { signal } = req;
    if (deadline === undefined && signal === undefined) return pending;
    const where = { method, path: pathOnly(req.path) };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<never>((_resolve, reject) => {
      if (deadline !== undefined) {
        const ms = req.timeoutMs ?? 0;
        timer = setTimeout(() => {
          reject(new HttpError('ERR_HTTP_TIMEOUT', `the API version negotiation (GET /_ping) did not finish within timeoutMs (${ms} ms); raise timeoutMs or pin apiVersion`, where));
        }, Math.max(1, deadline - Date.now()));
      }
      if (signal !== undefined) {
        onAbort = () => { reject(new HttpError('ERR_HTTP_ABORTED', 'the request was aborted by its signal', { ...where, cause: signal.reason })); };
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }
    });
    try {
      return await Promise.race([pending, stop]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  #send(
    p: Prepared,
    req: DockerRequest,
    deadline: number | undefined,
    upgrade: boolean,
    done: (err: HttpError | null, value?: DockerResponse | Duplex, attempt?: Attempt) => void,
  ): void {
    const started = Date.now();
    const where = { method: p.method, path: p.logPath };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let out: PassThrough | undefined;
    const { signal } = req;
    // Whether any byte of a response arrived decides whether a failed request may be replayed.
    let gotBytes = false;
    let stream: Duplex | undefined;
    const sawBytes = (): void => {
      gotBytes = true;
    };

    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    };
    const settle = (err: HttpError | null, value?: DockerResponse | Duplex): void => {
      if (settled) return;
      settled = true;
      cleanup();
      stream?.removeListener('data', sawBytes);
      if (err !== null) {
        signal?.removeEventListener('abort', onAbort);
        debug('request failed', { ...where, code: err.code, statusCode: err.statusCode });
        channels.error.publish({ ...where, code: err.code, statusCode: err.statusCode });
        if (isReadable(p.body)) p.body.unpipe();
      } else if (upgrade) {
        signal?.removeEventListener('abort', onAbort);
      }
      done(err, value, { gotBytes });
    };

    if (upgrade) {
      p.headers['Connection'] = 'Upgrade';
      p.headers['Upgrade'] = 'tcp';
    }
    debug('request', where);
    channels.request.publish({ ...where });

    let cr: ClientRequest;
    try {
      cr = httpRequest({
        agent: this.#agent,
        host: 'docker',
        port: 80,
        method: p.method,
        path: p.path,
        headers: { Host: 'docker', ...p.headers },
        maxHeaderSize: this.#maxHeaderSize,
      });
    } catch (err) {
      // Headers were validated already; what remains is Node refusing an option, never a header value.
      settle(new HttpError('ERR_HTTP_PROTOCOL', 'Node refused to build the request; check method and path', { ...where, cause: err }));
      return;
    }

    if (!upgrade) {
      // Node's parser already reads the stream in flowing mode: one more 'data' listener changes nothing.
      cr.once('socket', (socket: Duplex) => {
        if (settled) return;
        stream = socket;
        socket.on('data', sawBytes);
      });
    }

    cr.on('error', (err: Error) => {
      const mapped = this.#mapError(err, where);
      settle(mapped);
      out?.destroy(mapped);
    });

    function onAbort(): void {
      const err = new HttpError('ERR_HTTP_ABORTED', 'the request was aborted by its signal', { ...where, cause: signal?.reason });
      settle(err);
      cr.destroy(err);
      out?.destroy(err);
    }
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    if (deadline !== undefined) {
      const ms = req.timeoutMs ?? 0;
      timer = setTimeout(() => {
        const err = new HttpError('ERR_HTTP_TIMEOUT', `no response headers within ${ms} ms; raise timeoutMs`, where);
        settle(err);
        cr.destroy(err);
      }, Math.max(1, deadline - Date.now()));
    }

    cr.on('response', (res: IncomingMessage) => {
      this.#reached = true;
      // The time limit stays on until the error body (below) is read or the body is handed over:
      // a daemon that answers 500 and then stalls must not hang the request.
      const statusCode = res.statusCode ?? 0;
      debug('response', { ...where, statusCode, durationMs: Date.now() - started });
      channels.response.publish({ ...where, statusCode, durationMs: Date.now() - started });
      if (statusCode >= 400 || upgrade) {
        // Without a caller deadline the error body still gets one: the status alone is an answer.
        if (timer === undefined) {
          timer = setTimeout(() => {
            res.destroy();
          }, DEFAULT_ERROR_BODY_TIMEOUT_MS);
        }
        void readDaemonMessage(res, DEFAULT_MAX_ERROR_BODY_BYTES).then((message) => {
          const daemonMessage = message === undefined ? undefined : scrub(message, p.secrets);
          const detail = { ...where, statusCode, ...(daemonMessage === undefined ? {} : { daemonMessage }) };
          if (upgrade) {
            settle(
              new HttpError(
                'ERR_HTTP_UPGRADE',
                `the daemon answered ${statusCode} instead of 101 to an upgrade request${statusCode >= 400 ? '; see err.daemonMessage' : '; does this endpoint support hijacking?'}`,
                detail,
              ),
            );
          } else {
            settle(new HttpError('ERR_HTTP_STATUS', `the daemon answered ${statusCode}; see err.daemonMessage`, detail));
          }
        });
        return;
      }
      cleanup();
      const body = new PassThrough();
      out = body;
      rememberSecrets(body, p.secrets);
      // As Node's own IncomingMessage: an error nobody listens for yet must not crash the process.
      // The stream is still destroyed with it, so a later read, for await or pipeline() sees it.
      body.on('error', () => undefined);
      res.on('error', (err: Error) => body.destroy(this.#mapError(err, where)));
      // 'aborted' comes before 'error'; a response the agent failed with the stream's error already carries it.
      res.on('aborted', () => {
        body.destroy(res.errored === null ? new HttpError('ERR_HTTP_CLOSED', 'the connection closed before the response body was complete', where) : this.#mapError(res.errored, where));
      });
      body.on('close', () => {
        signal?.removeEventListener('abort', onAbort);
        // A consumer that stops early frees the connection by destroying it, never by reading on.
        if (!res.complete) res.destroy();
      });
      res.pipe(body);
      settle(null, { statusCode, headers: res.headers, body });
    });

    cr.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#reached = true;
      cleanup();
      const statusCode = res.statusCode ?? 0;
      debug('upgraded', { ...where, statusCode, durationMs: Date.now() - started });
      channels.response.publish({ ...where, statusCode, durationMs: Date.now() - started });
      if (head.length > 0) socket.unshift(head);
      if (settled) {
        socket.destroy();
        return;
      }
      if (!upgrade) {
        // A 101 to a request that did not ask to switch protocols: not a Docker daemon answering.
        socket.destroy();
        settle(new HttpError('ERR_HTTP_PROTOCOL', 'the daemon switched protocols on a request that did not ask to; check that the stream reaches a Docker daemon', where));
        return;
      }
      rememberSecrets(socket, p.secrets);
      settle(null, socket);
    });

    const body = p.body;
    if (body === undefined) {
      cr.end();
    } else if (Buffer.isBuffer(body)) {
      cr.end(body);
    } else {
      body.once('error', (err: Error) => {
        const mapped = new HttpError('ERR_HTTP_ABORTED', 'the request body stream failed; see err.cause', { ...where, cause: err });
        settle(mapped);
        cr.destroy(mapped);
      });
      body.pipe(cr);
    }
  }

  #mapError(err: Error, where: { method: string; path: string }): HttpError {
    // The stream's first bytes were not HTTP: the same error, now naming the request.
    if (err instanceof HttpError && err.code === 'ERR_REMOTE_NOT_HTTP' && err.path === undefined) return new HttpError(err.code, err.message, where);
    // Ours already (connector failure, abort, timeout): keep it as it is.
    if (err instanceof HttpError) return err;
    const code = codeOf(err) ?? '';
    if (code === 'HPE_HEADER_OVERFLOW') {
      return new HttpError(
        'ERR_HTTP_PROTOCOL',
        `the response headers are larger than maxHeaderSize (${this.#maxHeaderSize} bytes); raise maxHeaderSize if the daemon is trusted`,
        { ...where, cause: err },
      );
    }
    if (code.startsWith('HPE_')) {
      return new HttpError('ERR_HTTP_PROTOCOL', `the response is not valid HTTP/1.1 (${code}); check that the stream reaches a Docker daemon`, {
        ...where,
        cause: err,
      });
    }
    return closedMidResponse(err, where);
  }
}
