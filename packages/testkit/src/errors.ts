/**
 * The closed set of codes a {@link FixtureError} carries. Tests and callers `switch` on these.
 *
 * - `ERR_FIXTURE_MISSING_PACKAGE`: a program the fixture runs is not installed.
 * - `ERR_FIXTURE_PRIVILEGE`: the process lacks a privilege the fixture needs (root, network namespaces).
 * - `ERR_FIXTURE_START`: a program was present but did not start (its log tail is in the message).
 * - `ERR_FIXTURE_COMMAND`: a fault-injection or control command failed.
 * - `ERR_FIXTURE_UNSUPPORTED`: the operation needs an isolation mode this fixture does not have.
 * - `ERR_FIXTURE_STOPPED`: the fixture was already stopped.
 *
 * @example
 * ```ts
 * const code: FixtureErrorCode = 'ERR_FIXTURE_MISSING_PACKAGE';
 * ```
 */
export type FixtureErrorCode =
  | 'ERR_FIXTURE_MISSING_PACKAGE'
  | 'ERR_FIXTURE_PRIVILEGE'
  | 'ERR_FIXTURE_START'
  | 'ERR_FIXTURE_COMMAND'
  | 'ERR_FIXTURE_UNSUPPORTED'
  | 'ERR_FIXTURE_STOPPED';

/**
 * The one error class of `@ssh-docker/testkit`. The message says what is missing or failed and the
 * command that fixes it; `code` is stable.
 *
 * @example
 * ```ts
 * try {
 *   await startDockerSshFixture();
 * } catch (err) {
 *   if ((err as FixtureError).code === 'ERR_FIXTURE_MISSING_PACKAGE') console.error((err as Error).message);
 *   throw err;
 * }
 * ```
 */
export class FixtureError extends Error {
  /** Stable error code; see {@link FixtureErrorCode}. */
  readonly code: FixtureErrorCode;

  constructor(code: FixtureErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FixtureError';
    this.code = code;
  }
}
