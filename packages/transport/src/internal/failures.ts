import { redact } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';
import { TransportError } from '../errors.js';
import type { TransportErrorCode, TransportErrorTarget } from '../errors.js';

/** `host` or `host:port`, as messages show where the failure happened. */
export function where(target: TransportErrorTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return target.port === undefined || target.port === 22 ? host : `${host}:${target.port}`;
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
    `docker system dial-stdio on ${at} ended early with ${status}: run \`ssh ${at} docker system dial-stdio\` to see why.${tail}`,
    target,
  );
}
