/**
 * Stable codes of {@link HttpError}. Callers `switch (err.code)`; the set only grows.
 *
 * - `ERR_HTTP_STATUS`: the daemon answered with a status of 400 or more.
 * - `ERR_HTTP_CONNECT`: the connector failed; its error is the `cause` and its code is `causeCode`.
 * - `ERR_HTTP_PROTOCOL`: the response was malformed (bad chunk, oversized headers, bad stream frame).
 * - `ERR_HTTP_UPGRADE`: a hijack (attach, exec) was not answered with `101 Switching Protocols`.
 * - `ERR_HTTP_ABORTED`: the caller aborted through its `AbortSignal`.
 * - `ERR_HTTP_TIMEOUT`: a limit on time ran out (connect timeout, request timeout).
 * - `ERR_HTTP_CLOSED`: the connection closed before the response was complete, or the agent or client was closed.
 * - `ERR_HTTP_UNSAFE_PATH`: a local socket path is in a directory that others can write to or own
 *   (the directory itself or any directory above it).
 * - `ERR_HTTP_SOCKET_PATH`: the socket path cannot be used: its directory is missing, or something
 *   other than a stale socket of ours is there, or the file system refused (the message names it).
 * - `ERR_HTTP_SOCKET_IN_USE`: another process is listening on the socket path.
 * - `ERR_REMOTE_NOT_HTTP`: the first bytes on a fresh stream were not an HTTP answer: the remote
 *   account printed text of its own (a `nologin` shell, a banner, an rc file). The message quotes
 *   their first line, made printable and cut short. The same code as the transport's `check()`.
 *
 * @example
 * ```ts
 * switch ((err as HttpError).code) {
 *   case 'ERR_HTTP_CONNECT': // the transport could not open a channel
 *   case 'ERR_HTTP_STATUS': // the daemon said no
 * }
 * ```
 */
export type HttpErrorCode =
  | 'ERR_HTTP_STATUS'
  | 'ERR_HTTP_CONNECT'
  | 'ERR_HTTP_PROTOCOL'
  | 'ERR_HTTP_UPGRADE'
  | 'ERR_HTTP_ABORTED'
  | 'ERR_HTTP_TIMEOUT'
  | 'ERR_HTTP_CLOSED'
  | 'ERR_HTTP_UNSAFE_PATH'
  | 'ERR_HTTP_SOCKET_PATH'
  | 'ERR_HTTP_SOCKET_IN_USE'
  | 'ERR_REMOTE_NOT_HTTP';

/**
 * Safe facts an {@link HttpError} may carry. None of them is ever a header value.
 *
 * @example
 * ```ts
 * throw new HttpError('ERR_HTTP_STATUS', 'the daemon answered 404', { statusCode: 404, method: 'GET', path: '/v1.41/info' });
 * ```
 */
export interface HttpErrorDetails {
  /** Underlying error. For `ERR_HTTP_CONNECT` it is the connector's own error, kept as it is. */
  readonly cause?: unknown;
  /** HTTP status of the daemon's answer, when there was one. */
  readonly statusCode?: number;
  /** The daemon's JSON `message`, with every credential the request carried removed. */
  readonly daemonMessage?: string;
  /** Request method. */
  readonly method?: string;
  /** Request path, without its query string. */
  readonly path?: string;
}

/**
 * The one error class of `@ssh-docker/http`. Its message names the rule and the fix; it never
 * contains a header value, and a daemon message it quotes has had the request's credentials removed.
 *
 * Rely on `err.code`, not `instanceof` (two copies of this package in `node_modules` are normal).
 *
 * @example
 * ```ts
 * try {
 *   await client.request({ method: 'GET', path: '/containers/nope/json' });
 * } catch (err) {
 *   if ((err as HttpError).code === 'ERR_HTTP_STATUS' && (err as HttpError).statusCode === 404) {
 *     // no such container
 *   }
 * }
 * ```
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  readonly statusCode?: number;
  readonly daemonMessage?: string;
  readonly method?: string;
  readonly path?: string;
  /** The `code` of `cause` when it has a string one (e.g. `ERR_CONNECTION_LOST` from the transport). */
  readonly causeCode?: string;

  constructor(code: HttpErrorCode, message: string, details: HttpErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.statusCode !== undefined) this.statusCode = details.statusCode;
    if (details.daemonMessage !== undefined) this.daemonMessage = details.daemonMessage;
    if (details.method !== undefined) this.method = details.method;
    if (details.path !== undefined) this.path = details.path;
    const causeCode = codeOf(details.cause);
    if (causeCode !== undefined) this.causeCode = causeCode;
  }
}

/** A response cut off by its connection: `cause` is why (for the transport, `ERR_CONNECTION_LOST`). */
export function closedMidResponse(cause: unknown, where: { method?: string; path?: string }): HttpError {
  return new HttpError('ERR_HTTP_CLOSED', 'the connection closed before the response was complete; see err.cause', { ...where, cause });
}

/** Reads a string `code` from any thrown value. */
export function codeOf(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const { code } = err;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
