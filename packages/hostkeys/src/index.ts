/**
 * `@ssh-docker/hostkeys`: OpenSSH known_hosts parsing and host-key verification, strict by default.
 *
 * @packageDocumentation
 */
export { KnownHosts } from './known-hosts.js';
export type {
  HostKeyStatus,
  KnownHostsMatch,
  KnownHostsWarning,
  LookupOptions,
  VerifyOptions,
  VerifyResult,
} from './known-hosts.js';
export { fingerprint, hashHostName } from './fingerprint.js';
export { appendKnownHost } from './append.js';
export type { AppendOptions, AppendTarget } from './append.js';
export { createHostKeyVerifier } from './verifier.js';
export type { HostKeyDecision, HostKeyPolicy, HostKeyVerifier, HostKeyVerifierOptions, PendingRecord } from './verifier.js';
export { HostKeyError } from './errors.js';
export type { HostKeyErrorCode, HostKeyErrorDetails } from './errors.js';
