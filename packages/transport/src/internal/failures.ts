import { redact, scrubRemoteText } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';
import { TransportError } from '../errors.js';
import { firstLine } from '../printable.js';
import type { TransportErrorCode, TransportErrorTarget } from '../errors.js';

/** How much of a cause's message is kept (ssh2 messages are short; a server's description need not be). */
const MAX_CAUSE_MESSAGE = 4096;

/**
 * Bytes from the remote side (a command's stderr or stdout), kept up to `limit` bytes. What comes
 * after the limit is dropped, and so is the line the limit cut: a secret cut in two would show its
 * first half, which no scrubbing can recognise. Decoded as UTF-8 once, at the end, so a character
 * split between two chunks is not garbled (which would hide the secret it is part of).
 */
export class RemoteBytes {
  readonly #limit: number;
  readonly #parts: Buffer[] = [];
  #size = 0;
  #cut = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    if (this.#cut) return;
    const room = this.#limit - this.#size;
    if (chunk.length > room) this.#cut = true;
    const kept = Buffer.from(chunk.subarray(0, room));
    this.#parts.push(kept);
    this.#size += kept.length;
  }

  /** The text kept: whole lines only, once the limit was reached. */
  text(): string {
    return cutToLines(Buffer.concat(this.#parts).toString('utf8'), this.#cut);
  }
}

/** `text` without its last, unfinished line when `cut` (it was cut at a bound). */
export function cutToLines(text: string, cut: boolean): string {
  if (!cut) return text;
  const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
  return end < 0 ? '' : text.slice(0, end + 1);
}

/**
 * The first line of remote text, scrubbed of `secrets` (a line holding one is withheld whole), made
 * printable and cut to `max` characters. Only the first 4 KiB of the line are examined: far more
 * than is shown, so a secret that reaches into what is shown lies wholly inside them.
 */
export function quoteRemote(text: string, secrets: readonly Secret[], max = 120): string {
  const line = text.replace(/^\s+/, '').split(/\r\n|\n|\r/, 1)[0] ?? '';
  return firstLine(scrubRemoteText(line.slice(0, QUOTE_SCAN), secrets), max);
}
const QUOTE_SCAN = 4096;

/** `host` or `host:port`, as messages show where the failure happened. */
export function where(target: TransportErrorTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return target.port === undefined || target.port === 22 ? host : `${host}:${target.port}`;
}

/**
 * An OpenSSH command line that runs `remote` on the target, for a person to paste: `ssh -p PORT
 * user@host …`. ssh(1) takes the port only from `-p` (a `host:port` destination is a host name); an
 * IPv6 address goes bare (`user@::1`), since brackets are only for the URL form; port 22 and an
 * unknown user are left out, as ssh then uses its own defaults. Hosts and users starting with `-` or
 * holding shell metacharacters never get this far (the URL and config checks refuse them).
 */
export function sshCommandLine(target: TransportErrorTarget, remote: string): string {
  const host = target.host.replace(/^\[(.*)\]$/, '$1');
  const port = target.port === undefined || target.port === 22 ? '' : `-p ${target.port} `;
  const user = target.user === undefined || target.user === '' ? '' : `${target.user}@`;
  return `ssh ${port}${user}${host} ${remote}`;
}

/**
 * A copy of `err` safe to keep as a `cause`: its message scrubbed, nothing else carried over. The
 * message of an ssh2 error may be the server's own text (a disconnect or channel-open-failure
 * description), so it is scrubbed as remote text: every line that holds one of `secrets` (live or
 * cleared, in any encoding) is withheld whole, and URL passwords are masked.
 */
export function safeCause(err: unknown, secrets: readonly Secret[] = []): Error | undefined {
  if (!(err instanceof Error)) return undefined;
  const copy = new Error(scrubRemoteText(err.message.slice(0, MAX_CAUSE_MESSAGE), secrets));
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
  // Our own words are never searched for the secrets: a mask inside them ("authorized_[redacted]s")
  // would tell a short secret by where it lands. Remote text in `message` was scrubbed where it entered.
  return new TransportError(code, redact(message), { target, ...(safe === undefined ? {} : { cause: safe }) });
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
  secrets: readonly Secret[] = [],
): TransportError {
  // Scrubbed whole (it is bounded by the collector: RemoteBytes), then cut: a cut never shows part of a secret.
  const shown = scrubRemoteText(stderr, secrets).trim().slice(0, MAX_STDERR_IN_MESSAGE);
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
