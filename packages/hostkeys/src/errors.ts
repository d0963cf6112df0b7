import type { KnownHostsMatch } from './known-hosts.js';

/**
 * Stable codes of {@link HostKeyError}; callers `switch (err.code)`.
 * - `ERR_HOST_KEY_UNKNOWN`: no key is known for the host (OpenSSH HOST_NEW) and the policy refuses it.
 * - `ERR_HOST_KEY_CHANGED`: the host has known keys and the presented one is not among them (HOST_CHANGED),
 *   or it is not a pinned fingerprint, or it changed during a re-key.
 * - `ERR_HOST_KEY_REVOKED`: the presented key is listed under `@revoked` (HOST_REVOKED).
 *
 * @example
 * ```ts
 * switch (err.code) {
 *   case 'ERR_HOST_KEY_UNKNOWN': offerAcceptNew(); break;
 *   case 'ERR_HOST_KEY_CHANGED':
 *   case 'ERR_HOST_KEY_REVOKED': alert(err.message); break;
 * }
 * ```
 */
export type HostKeyErrorCode = 'ERR_HOST_KEY_UNKNOWN' | 'ERR_HOST_KEY_CHANGED' | 'ERR_HOST_KEY_REVOKED';

/**
 * What a {@link HostKeyError} is about. Holds no secret: host, port and public fingerprints only.
 *
 * @example
 * ```ts
 * const { host, port, presented, matches } = err; // err: HostKeyError
 * ```
 */
export interface HostKeyErrorDetails {
  readonly host: string;
  readonly port: number;
  /** The name looked up in known_hosts (alias, host, or `[host]:port`). */
  readonly lookupName: string;
  readonly presented: { readonly keyType: string; readonly fingerprint: string };
  readonly matches: readonly KnownHostsMatch[];
}

/**
 * The one error class of `@ssh-docker/hostkeys`: a refused host key. The message says what
 * OpenSSH rule refused it and how to fix it; the typed properties carry host, port and
 * fingerprints (public values, never secrets).
 *
 * @example
 * ```ts
 * const verifier = createHostKeyVerifier({ knownHosts, host, port });
 * client.on('error', () => {
 *   const err = verifier.decision?.error;
 *   if (err?.code === 'ERR_HOST_KEY_CHANGED') console.error(err.message, err.matches);
 * });
 * ```
 */
export class HostKeyError extends Error {
  override readonly name = 'HostKeyError';
  readonly code: HostKeyErrorCode;
  readonly host: string;
  readonly port: number;
  readonly lookupName: string;
  /** The offered key: its type and `SHA256:` fingerprint. */
  readonly presented: { readonly keyType: string; readonly fingerprint: string };
  /** The known_hosts lines involved (file and line), see {@link VerifyResult.matches}. */
  readonly matches: readonly KnownHostsMatch[];

  /**
   * @example
   * ```ts
   * new HostKeyError('ERR_HOST_KEY_UNKNOWN', 'No key is known for example.com.', details);
   * ```
   */
  constructor(code: HostKeyErrorCode, message: string, details: HostKeyErrorDetails) {
    super(message);
    this.code = code;
    this.host = details.host;
    this.port = details.port;
    this.lookupName = details.lookupName;
    this.presented = details.presented;
    this.matches = details.matches;
  }

  /** The offered key's `SHA256:` fingerprint (same as `presented.fingerprint`). */
  get fingerprint(): string {
    return this.presented.fingerprint;
  }
}
