/**
 * ssh_config resolution for `@ssh-docker/transport`: `resolveSshTarget()` gives what
 * `ssh -G` (OpenSSH 9.2p1) gives for a target, from an `ssh://` URL or a `[user@]host` alias.
 */
export { resolveSshTarget } from './resolve.js';
export type { ResolveSshTargetOptions, SshTarget } from './resolve.js';
export type { SshConfigOverrides } from './overrides.js';
export type { ConfigWarning, ResolvedSshTarget } from './types.js';
export { localHomeDir } from './local.js';
