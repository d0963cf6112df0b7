import { redact } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';
import { TransportError } from '../errors.js';
import type { TransportErrorCode, TransportErrorTarget } from '../errors.js';

/** `host` or `host:port`, as messages show where the failure happened. */
export function where(target: TransportErrorTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return target.port === undefined || target.port === 22 ? host : `${host}:${target.port}`;
}

/** An ssh command line a person can run (`ssh -p PORT user@host COMMAND`): `host:port` is not one. */
export function sshCommandLine(target: TransportErrorTarget, command: string): string {
  const port = target.port === undefined || target.port === 22 ? '' : `-p ${target.port} `;
  const user = target.user === undefined ? '' : `${target.user}@`;
  return `ssh ${port}${user}${target.host} ${command}`;
}

/** A copy of `err` safe to keep as a `cause`: its message redacted, nothing else carried over. */
export function safeCause(err: unknown, secrets: readonly Secret[] = []): Error | undefined {
  if (!(err instanceof Error)) return undefined;
  const copy = new Error(redact(err.message, secrets));
  Object.defineProperty(copy, 'name', { value: err.name, enumerable: false, configurable: true, writable: true });
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') Object.defineProperty(copy, 'code', { value: code, enumerable: true });
  return copy;
}

export function transportError(
  code: TransportErrorCode,
  message: string,
  target: TransportErrorTarget,
  cause?: unknown,
  secrets: readonly Secret[] = [],
): TransportError {
  const safe = safeCause(cause, secrets);
  return new TransportError(code, redact(message, secrets), { target, ...(safe === undefined ? {} : { cause: safe }) });
}

/** Maps a failure of the TCP connect (or of ssh2 before the handshake) to our codes. */
export function connectFailure(err: unknown, target: TransportErrorTarget): TransportError {
  const code = (err as { code?: unknown }).code;
  const at = where(target);
  switch (code) {
    case 'ECONNREFUSED':
      return transportError('ERR_CONNECTION_REFUSED', `SSH connection to ${at} was refused: is sshd running and listening on port ${target.port ?? 22}?`, target, err);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return transportError('ERR_HOST_NOT_FOUND', `SSH host ${target.host} was not found: check the name, or set HostName for it in ~/.ssh/config`, target, err);
    case 'ETIMEDOUT':
      return transportError('ERR_CONNECT_TIMEOUT', `SSH connection to ${at} timed out: check the address, the port and any firewall on the way`, target, err);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return transportError('ERR_CONNECT_TIMEOUT', `SSH host ${at} is unreachable: check the address and the network route to it`, target, err);
    default:
      return transportError('ERR_CONNECTION_LOST', `SSH connection to ${at} failed before the handshake completed: check that port ${target.port ?? 22} is an SSH server`, target, err);
  }
}

/** What the handshake knew when ssh2 failed, for {@link handshakeFailure}. Never holds a credential's value. */
export interface HandshakeState {
  readonly target: TransportErrorTarget & { readonly user: string };
  /** The key exchange completed and authentication began. */
  readonly authStarted: boolean;
  /** The methods that were to be tried (no secret), once the credentials were prepared. */
  readonly described: readonly string[];
  /** A password or passphrase given directly had been cleared by an earlier handshake. */
  readonly spent: boolean;
  /** Secrets to redact from ssh2's message. */
  readonly secrets: readonly Secret[];
}

/**
 * Maps an ssh2 `error` during the handshake (before `ready`) to our codes, from its `level` and
 * message: authentication, ssh2's own timeout, a drop before the key exchange (MaxStartups, a
 * transient loss the pool retries), no common algorithm, or a TCP-level failure.
 */
export function handshakeFailure(err: Error & { level?: string }, state: HandshakeState): TransportError {
  const { target, secrets } = state;
  if (err.level === 'client-authentication' && state.spent) {
    return transportError(
      'ERR_SECRET_SPENT',
      `SSH authentication as ${target.user} on ${where(target)} failed on a new connection: the password or passphrase given as a Secret was cleared after the first connection and cannot be used again. Pass a provider function (() => Promise<Secret>) to reconnect with it`,
      target,
      undefined,
      secrets,
    );
  }
  if (err.level === 'client-authentication') {
    const tried = state.described.length === 0 ? 'no credentials (no agent, no identity file found, no password)' : state.described.join(', ');
    return transportError(
      'ERR_AUTH_FAILED',
      `SSH authentication as ${target.user} on ${where(target)} failed: tried ${tried}. Check the user name and that the public key is in ~/.ssh/authorized_keys there`,
      target,
      undefined,
      secrets,
    );
  }
  if (err.level === 'client-timeout') {
    return transportError('ERR_CONNECT_TIMEOUT', `SSH handshake with ${where(target)} timed out`, target, err, secrets);
  }
  // sshd's MaxStartups drops a new connection before or during the key exchange: a transient
  // loss the pool retries with backoff, not a handshake incompatibility.
  if (!state.authStarted && /connection lost before handshake/i.test(err.message)) {
    return handshakeClosed(target, err, secrets);
  }
  if (!state.authStarted && /handshake|algorithm|kex|no matching/i.test(err.message)) {
    return transportError(
      'ERR_HANDSHAKE_FAILED',
      `SSH handshake with ${where(target)} failed: the server and the hardened algorithm profile have nothing in common, or the server ended the key exchange. Check the server's sshd_config, or pass \`algorithms\``,
      target,
      err,
      secrets,
    );
  }
  return connectFailure(err, target);
}

/** The server closed the connection before the handshake completed (ssh2 `close`, or an early loss). */
export function handshakeClosed(target: TransportErrorTarget, cause?: unknown, secrets: readonly Secret[] = []): TransportError {
  return transportError(
    'ERR_CONNECTION_LOST',
    `SSH connection to ${where(target)} closed during the handshake: the server may be dropping new connections (MaxStartups) or refusing this client`,
    target,
    cause,
    secrets,
  );
}

/** True when ssh2 failed a channel open because the server refused it (SSH_MSG_CHANNEL_OPEN_FAILURE), not because the connection died. */
export function isChannelRefusal(err: Error | undefined): boolean {
  // ssh2 puts the SSH_MSG_CHANNEL_OPEN_FAILURE reason code on `reason`; servers may send no text.
  return typeof (err as { reason?: unknown } | undefined)?.reason === 'number' || /open failed|prohibited|resource shortage|administratively/i.test(err?.message ?? '');
}

/** How long the remote stderr kept in a message may be. */
const MAX_STDERR_IN_MESSAGE = 512;

/**
 * Maps an early exit of `docker system dial-stdio` to our codes, from its exit status and stderr:
 * 127 or "command not found" means no docker CLI on the remote PATH; "Cannot connect to the Docker
 * daemon" or "permission denied" means the CLI is there but the daemon is not reachable.
 */
export function dialStdioFailure(
  exitCode: number | null,
  signal: string | null,
  stderr: string,
  target: TransportErrorTarget,
): TransportError {
  const shown = redact(stderr.trim()).slice(0, MAX_STDERR_IN_MESSAGE);
  const tail = shown === '' ? '' : ` Remote said: ${shown}`;
  const at = where(target);
  if (exitCode === 127 || (/command not found|not found/i.test(stderr) && !/daemon|connect/i.test(stderr))) {
    return transportError(
      'ERR_REMOTE_DOCKER_MISSING',
      `the docker CLI was not found on ${at} for user ${target.user ?? '(default)'}: install it there (docker-ce-cli) and make sure it is on the PATH of non-interactive SSH sessions, or use socketPath with streamlocal.${tail}`,
      target,
    );
  }
  if (/Cannot connect to the Docker daemon|permission denied|connect: no such file|connection refused|Is the docker daemon running/i.test(stderr)) {
    return transportError(
      'ERR_DAEMON_UNREACHABLE',
      `docker on ${at} cannot reach its daemon: start dockerd there, or give user ${target.user ?? '(default)'} access to the socket (the docker group).${tail}`,
      target,
    );
  }
  const status = signal === null ? `exit status ${exitCode ?? 'unknown'}` : `signal ${signal}`;
  return transportError(
    'ERR_DAEMON_UNREACHABLE',
    `docker system dial-stdio on ${at} ended early with ${status}: run \`${sshCommandLine(target, 'docker system dial-stdio')}\` to see why.${tail}`,
    target,
  );
}
