/**
 * Stable codes of {@link UrlError}; callers `switch (err.code)`, never `instanceof`
 * (two copies of this package in one node_modules are normal).
 */
export type UrlErrorCode =
  | 'ERR_SSH_URL_SCHEME'
  | 'ERR_SSH_URL_HOST'
  | 'ERR_SSH_URL_PORT'
  | 'ERR_SSH_URL_CHARS'
  | 'ERR_SSH_URL_INJECTION'
  | 'ERR_SSH_URL_QUERY'
  | 'ERR_SSH_URL_PASSWORD'
  | 'ERR_SSH_URL_MALFORMED';

/**
 * A refused `ssh://` URL. The message names the rule that was broken and how to fix it; it never
 * repeats the input, which may hold a password, and the error has no `cause` for the same reason.
 *
 * @example
 * ```ts
 * import { parseSshUrl } from '@ssh-docker/url';
 *
 * try {
 *   parseSshUrl('ssh://-oProxyCommand=x');
 * } catch (err) {
 *   // err.code === 'ERR_SSH_URL_INJECTION'
 * }
 * ```
 */
export class UrlError extends Error {
  override readonly name = 'UrlError';
  readonly code: UrlErrorCode;

  /** @internal */
  constructor(code: UrlErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
