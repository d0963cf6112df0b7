import type { HostKeyError, HostKeyErrorCode } from '@ssh-docker/hostkeys';
import type { UrlError, UrlErrorCode } from '@ssh-docker/url';
import type { TransportError, TransportErrorCode } from './errors.js';

// It lives here, not in a package of its own: transport already sees url and hostkeys, whose
// errors it passes through, and is what a program that uses ssh-docker imports. http knows none
// of the others and may not be imported from here (scripts/check-deps.mjs), so its error is
// recognised by shape: its codes are written out below, and a test compares them with http's union.

/**
 * The codes of `HttpError` from `@ssh-docker/http`, as that package declares them in `HttpErrorCode`.
 * (transport may not import http, so they are repeated here; `error-guard.test.ts` fails on a drift.)
 */
export type HttpErrorShapeCode =
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
 * An `HttpError` of `@ssh-docker/http`, as far as its shape goes: for `statusCode`, `daemonMessage`
 * and the rest, narrow further with `err.name === 'HttpError'` and read them, or cast to `HttpError`.
 */
export interface HttpErrorShape extends Error {
  readonly name: 'HttpError';
  readonly code: HttpErrorShapeCode;
  readonly statusCode?: number;
  readonly daemonMessage?: string;
  readonly method?: string;
  readonly path?: string;
  readonly causeCode?: string;
}

/** Any error an ssh-docker package throws or rejects with. Test-only errors (testkit's `FixtureError`) are not among them. */
export type SshDockerError = UrlError | HostKeyError | TransportError | HttpErrorShape;

/** Every code of every {@link SshDockerError}: `switch (err.code)` over it is checked for exhaustiveness. */
export type SshDockerErrorCode = UrlErrorCode | HostKeyErrorCode | TransportErrorCode | HttpErrorShapeCode;

// Records, so that the compiler fails here when a union gains or loses a code.
const URL_CODES: Record<UrlErrorCode, true> = {
  ERR_SSH_URL_SCHEME: true,
  ERR_SSH_URL_HOST: true,
  ERR_SSH_URL_PORT: true,
  ERR_SSH_URL_CHARS: true,
  ERR_SSH_URL_INJECTION: true,
  ERR_SSH_URL_QUERY: true,
  ERR_SSH_URL_PASSWORD: true,
  ERR_SSH_URL_MALFORMED: true,
};
const HOST_KEY_CODES: Record<HostKeyErrorCode, true> = {
  ERR_HOST_KEY_UNKNOWN: true,
  ERR_HOST_KEY_CHANGED: true,
  ERR_HOST_KEY_REVOKED: true,
};
const TRANSPORT_CODES: Record<TransportErrorCode, true> = {
  ERR_SSH_CONFIG: true,
  ERR_DOCKER_CONTEXT: true,
  ERR_PROXY_COMMAND: true,
  ERR_AUTH_FAILED: true,
  ERR_SECRET_SPENT: true,
  ERR_CONNECT_TIMEOUT: true,
  ERR_CONNECTION_REFUSED: true,
  ERR_HOST_NOT_FOUND: true,
  ERR_HANDSHAKE_FAILED: true,
  ERR_CONNECTION_LOST: true,
  ERR_REMOTE_DOCKER_MISSING: true,
  ERR_DAEMON_UNREACHABLE: true,
  ERR_CHANNEL_REFUSED: true,
  ERR_TRANSPORT_CLOSED: true,
  ERR_REMOTE_NOT_HTTP: true,
  ERR_REMOTE_TIMEOUT: true,
  ERR_DAEMON_TIMEOUT: true,
};
const HTTP_CODES: Record<HttpErrorShapeCode, true> = {
  ERR_HTTP_STATUS: true,
  ERR_HTTP_CONNECT: true,
  ERR_HTTP_PROTOCOL: true,
  ERR_HTTP_UPGRADE: true,
  ERR_HTTP_ABORTED: true,
  ERR_HTTP_TIMEOUT: true,
  ERR_HTTP_CLOSED: true,
  ERR_HTTP_UNSAFE_PATH: true,
  ERR_HTTP_SOCKET_PATH: true,
  ERR_HTTP_SOCKET_IN_USE: true,
  ERR_REMOTE_NOT_HTTP: true,
};

/** Each class's `name`, and the codes it may carry. */
const CODES_BY_NAME: ReadonlyMap<string, Readonly<Record<string, true>>> = new Map<string, Readonly<Record<string, true>>>([
  ['UrlError', URL_CODES],
  ['HostKeyError', HOST_KEY_CODES],
  ['TransportError', TRANSPORT_CODES],
  ['HttpError', HTTP_CODES],
]);

/**
 * Whether `err` is an error of an ssh-docker package — `UrlError` (`@ssh-docker/url`),
 * `HostKeyError` (`@ssh-docker/hostkeys`), `TransportError` (this package) or `HttpError`
 * (`@ssh-docker/http`) — so that `err.code` is typed as {@link SshDockerErrorCode} with no
 * `'code' in err` check and no cast.
 *
 * It goes by the class's `name` and a code that class declares, not by `instanceof`: two copies of
 * a package in one `node_modules` are normal, and an error of the other copy is recognised too. A
 * plain `Error` with a `code` of ours, or any value that is not an `Error`, is not one.
 *
 * @example
 * ```ts
 * import { createDockerSshTransport, isSshDockerError } from '@ssh-docker/transport';
 *
 * try {
 *   await transport.openStream();
 * } catch (err) {
 *   if (!isSshDockerError(err)) throw err;
 *   switch (err.code) {
 *     case 'ERR_AUTH_FAILED': // ask for other credentials
 *       break;
 *     case 'ERR_HOST_KEY_UNKNOWN': // offer to trust the key: err.name === 'HostKeyError'
 *       break;
 *   }
 * }
 * ```
 */
export function isSshDockerError(err: unknown): err is SshDockerError {
  if (!(err instanceof Error)) return false;
  const codes = CODES_BY_NAME.get(err.name);
  if (codes === undefined) return false;
  const { code } = err as { code?: unknown };
  return typeof code === 'string' && Object.hasOwn(codes, code);
}
