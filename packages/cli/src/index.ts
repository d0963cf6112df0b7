/**
 * `@ssh-docker/cli`: the `ssh-docker` command (`check`, `proxy`, `demo`), and `main()` to run it
 * in-process.
 *
 * @packageDocumentation
 */
export { main } from './main.js';
export type { CliIo } from './main.js';
export { VERSION } from './internal/version.js';
