import type { Duplex } from 'node:stream';
import { HttpError, codeOf } from '../errors.js';
import { channels, debug } from './diagnostics.js';
import { expectHttp } from './sniff.js';
import { asSocket } from './socket.js';

/** Opens one fresh byte stream to the Docker daemon (for the transport: one dial-stdio channel). */
export type Connector = () => Promise<Duplex>;

/**
 * Default bound on how long the connector may take to open a stream.
 *
 * @example
 * ```ts
 * createDockerAgent(connect, { connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS * 2 });
 * ```
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

interface OpenOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  /**
   * Fail the stream with `ERR_REMOTE_NOT_HTTP` when its first bytes cannot begin an HTTP response
   * (default true). The socket proxy turns it off: it relays bytes untouched.
   */
  readonly expectHttp?: boolean | undefined;
}

/** Caller mistakes are TypeErrors, thrown at construction, not at the first request. */
export function checkConnector(connect: unknown): asserts connect is Connector {
  if (typeof connect !== 'function') {
    throw new TypeError('connect must be a function returning a Promise of a Duplex, e.g. () => transport.openStream()');
  }
}

/** Checks a limit option: a positive integer number of milliseconds, or `undefined` for the default. */
export function checkMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer number of milliseconds`);
  }
  return value;
}

function isDuplex(value: unknown): value is Duplex {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['on', 'read', 'write', 'end', 'destroy', 'pipe'].every((k) => typeof v[k] === 'function');
}

/**
 * Calls the connector once and calls back exactly once: with the stream, or with an HttpError
 * (`ERR_HTTP_CONNECT` keeping the connector's error as `cause`, `ERR_HTTP_TIMEOUT`, `ERR_HTTP_ABORTED`).
 * A stream that arrives after the deadline or the abort is destroyed, never leaked.
 */
export function openStream(connect: Connector, options: OpenOptions, callback: (err: HttpError | null, stream?: Duplex) => void): void {
  const started = Date.now();
  let settled = false;
  const { signal } = options;

  const finish = (err: HttpError | null, stream?: Duplex): void => {
    if (settled) {
      // Too late: the caller has moved on; close what the connector opened.
      stream?.destroy();
      return;
    }
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (err !== null) {
      debug('connect failed', { code: err.code, causeCode: err.causeCode });
      channels.connect.publish({ code: err.code, causeCode: err.causeCode });
      callback(err);
      return;
    }
    const durationMs = Date.now() - started;
    debug('connected', { durationMs });
    channels.connect.publish({ durationMs });
    callback(null, stream);
  };

  function onAbort(): void {
    finish(new HttpError('ERR_HTTP_ABORTED', 'the request was aborted before the connector opened a stream', { cause: signal?.reason }));
  }

  const timer = setTimeout(() => {
    finish(
      new HttpError(
        'ERR_HTTP_TIMEOUT',
        `the connector did not open a stream within ${options.timeoutMs} ms; raise connectTimeoutMs or check the transport`,
      ),
    );
  }, options.timeoutMs);
  if (signal?.aborted === true) {
    onAbort();
    return;
  }
  signal?.addEventListener('abort', onAbort, { once: true });

  let pending: unknown;
  try {
    pending = connect();
  } catch (err) {
    finish(connectError(err));
    return;
  }
  if (typeof pending !== 'object' || pending === null || typeof (pending as { then?: unknown }).then !== 'function') {
    finish(new HttpError('ERR_HTTP_CONNECT', 'the connector must return a Promise of a Duplex; make it an async function'));
    return;
  }
  // Settled on a tick of its own, outside the promise chain: what the callback runs (Node's Agent,
  // undici, their users) must not throw into a promise nobody holds, but to the program, as a
  // socket's 'connect' handler would.
  (pending as Promise<unknown>).then(
    (stream) => {
      process.nextTick(arrived, stream);
    },
    (err: unknown) => {
      process.nextTick(() => {
        finish(connectError(err));
      });
    },
  );

  function arrived(stream: unknown): void {
      if (!isDuplex(stream)) {
        finish(new HttpError('ERR_HTTP_CONNECT', 'the connector resolved with something that is not a Duplex stream; resolve with the stream it opened'));
        return;
      }
      if (stream.destroyed) {
        // A stream the transport destroyed in the meantime (its connection dropped) carries why.
        // (`?? undefined`: a Duplex from another stream library may have no `errored` at all.)
        const why = stream.errored ?? undefined;
        finish(
          why === undefined
            ? new HttpError('ERR_HTTP_CONNECT', 'the connector resolved with a stream that is already destroyed; open a fresh stream per call')
            : connectError(why),
        );
        return;
      }
      finish(null, asSocket(options.expectHttp === false ? stream : expectHttp(stream)));
  }
}

function connectError(cause: unknown): HttpError {
  const code = codeOf(cause);
  // Only a code-shaped code is quoted; anything else stays in `cause`.
  const why = code !== undefined && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? ` (${code})` : '';
  return new HttpError('ERR_HTTP_CONNECT', `the connector failed to open a stream to the daemon${why}; see err.cause for what the transport reported`, {
    cause,
  });
}
