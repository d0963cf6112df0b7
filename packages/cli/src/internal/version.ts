/**
 * The version of `@ssh-docker/cli`, as `ssh-docker --version` prints it (a unit test keeps it equal
 * to package.json's).
 *
 * @example
 * ```ts
 * import { VERSION } from '@ssh-docker/cli';
 * console.log(`ssh-docker ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
