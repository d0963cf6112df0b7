/**
 * Stable codes of {@link TransportError}. Callers `switch (err.code)`; the set only grows.
 *
 * Host-key failures are not here: they are `HostKeyError`s from `@ssh-docker/hostkeys`
 * (`ERR_HOST_KEY_UNKNOWN`, `ERR_HOST_KEY_CHANGED`, `ERR_HOST_KEY_REVOKED`), passed through as they are.
 */
export type TransportErrorCode =
  | 'ERR_SSH_CONFIG'
  | 'ERR_DOCKER_CONTEXT'
  /** The ProxyCommand (ssh_config or the `proxyCommand` option) ended before the SSH handshake completed (its stderr is quoted in the message). */
  | 'ERR_PROXY_COMMAND'
  | 'ERR_AUTH_FAILED'
  /** A new connection needed a password or passphrase given as a Secret, already cleared by the first one: pass a provider. */
  | 'ERR_SECRET_SPENT'
  | 'ERR_CONNECT_TIMEOUT'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_HOST_NOT_FOUND'
  | 'ERR_HANDSHAKE_FAILED'
  | 'ERR_CONNECTION_LOST'
  | 'ERR_REMOTE_DOCKER_MISSING'
  | 'ERR_DAEMON_UNREACHABLE'
  | 'ERR_CHANNEL_REFUSED'
  | 'ERR_TRANSPORT_CLOSED'
  /** The remote account printed text where the Docker API should answer (a login shell, a banner, an rc file). */
  | 'ERR_REMOTE_NOT_HTTP'
  /** A remote command of `check()` (`docker --version`) did not finish within its deadline. */
  | 'ERR_REMOTE_TIMEOUT'
  /** The remote daemon did not answer (or stopped half-way) within a `check()` step's deadline. */
  | 'ERR_DAEMON_TIMEOUT';

/** Where the failure happened, for messages and diagnostics. Never holds a credential. */
export interface TransportErrorTarget {
  readonly host: string;
  readonly port?: number;
  readonly user?: string;
}

/**
 * The one error class of `@ssh-docker/transport`. Its message names the host and the fix;
 * it never contains a credential, and its `cause` (when present) was redacted too.
 *
 * @example
 * ```ts
 * try {
 *   await transport.openStream();
 * } catch (err) {
 *   if (isSshDockerError(err) && err.code === 'ERR_AUTH_FAILED') {
 *     // ask for other credentials
 *   }
 * }
 * ```
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  readonly host?: string;
  readonly port?: number;

  constructor(code: TransportErrorCode, message: string, options?: { cause?: Error; target?: TransportErrorTarget }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.target !== undefined) {
      this.host = options.target.host;
      if (options.target.port !== undefined) this.port = options.target.port;
    }
  }
}
