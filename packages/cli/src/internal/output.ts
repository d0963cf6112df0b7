import type { Writable } from 'node:stream';
import { redact } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';

/**
 * A terminal stream that every byte of output goes through: each write is passed through
 * `redact()` with the secrets read from stdin, so no code path can print one by mistake.
 */
export class Printer {
  readonly #stream: Writable;
  readonly #secrets: readonly Secret[];

  constructor(stream: Writable, secrets: readonly Secret[]) {
    this.#stream = stream;
    this.#secrets = secrets;
  }

  /** True when the stream is a terminal (progress lines may then be redrawn). */
  get isTTY(): boolean {
    return (this.#stream as Writable & { isTTY?: boolean }).isTTY === true;
  }

  /** Writes `text` as it is, redacted. */
  write(text: string): void {
    this.#stream.write(this.redact(text));
  }

  /** Writes one line, redacted. */
  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** The text with every secret and every URL password masked. */
  redact(text: string): string {
    return redact(text, this.#secrets);
  }
}

/** What to try, for each code this program can meet. The transport's `check()` gives its own. */
export const FIXES: Readonly<Record<string, string>> = {
  ERR_SSH_CONFIG: 'fix the ssh_config entry named in the message (`ssh -G <host>` shows what ssh sees)',
  ERR_SSH_URL_SCHEME: 'write the target as ssh://[user@]host[:port], or as a Host alias from ssh_config',
  ERR_SSH_URL_HOST: 'write the target as ssh://[user@]host[:port] with a host name or address',
  ERR_SSH_URL_PORT: 'use a port from 1 to 65535',
  ERR_SSH_URL_CHARS: 'remove spaces and control characters from the target',
  ERR_SSH_URL_INJECTION: "a host or user may not start with '-'",
  ERR_SSH_URL_QUERY: 'remove the ?query or #fragment from the target',
  ERR_SSH_URL_PASSWORD: 'leave the password out of the URL and pipe it to --password-stdin, or use a key (-i) or ssh-agent',
  ERR_SSH_URL_MALFORMED: 'write the target as ssh://[user@]host[:port]',
  ERR_CONNECTION_REFUSED: 'start sshd on the host, or check the port (-p)',
  ERR_HOST_NOT_FOUND: 'check the host name, or add a HostName for it in ~/.ssh/config',
  ERR_CONNECT_TIMEOUT: 'check the address, the port and firewalls between here and the host',
  ERR_HANDSHAKE_FAILED: "check the server's sshd_config algorithms (ssh-audit shows them)",
  ERR_HOST_KEY_UNKNOWN:
    'verify the fingerprint with the host owner, then add it: ssh-keyscan -H -p PORT HOST >> ~/.ssh/known_hosts, or -o StrictHostKeyChecking=accept-new once',
  ERR_HOST_KEY_CHANGED: 'find out why the key changed; if expected, remove the old entry with ssh-keygen -R and add the new one',
  ERR_HOST_KEY_REVOKED: 'the host key is revoked in known_hosts: do not connect; ask the host owner',
  ERR_AUTH_FAILED: 'check the user (-l or user@), the key (-i) and ~/.ssh/authorized_keys on the host, or load the key into ssh-agent',
  ERR_REMOTE_DOCKER_MISSING: 'install the docker CLI on the host and make sure it is on the PATH of non-interactive SSH sessions',
  ERR_DAEMON_UNREACHABLE: 'start dockerd on the host (systemctl start docker) and add the user to the docker group',
  ERR_CHANNEL_REFUSED: 'raise MaxSessions in the host sshd_config, or allow stream-local forwarding for --remote-socket',
  ERR_CONNECTION_LOST: 'the connection dropped: check the network and the sshd logs on the host',
  ERR_TRANSPORT_CLOSED: 'the connection was closed while in use; run the command again',
  ERR_HTTP_UNSAFE_PATH: 'choose a --socket path in a directory you own that others cannot write to, or leave --socket out',
  ERR_HTTP_TIMEOUT: 'the remote daemon did not answer in time: run ssh-docker check on the same target',
  ERR_STDIN: 'pipe the secret in: ssh-docker check TARGET --password-stdin < password-file',
  ERR_INVALID_ARG: 'see --help for the values each option takes',
};

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The code of any error: our codes as they are; caller mistakes (TypeError, RangeError) as ERR_INVALID_ARG. */
export function errorCode(err: unknown): string {
  const code = codeOf(err);
  if (code !== undefined && /^ERR_[A-Z0-9_]+$/.test(code)) return code;
  if (err instanceof TypeError || err instanceof RangeError) return 'ERR_INVALID_ARG';
  return 'ERR_UNEXPECTED';
}

/**
 * The transport's own error when an HTTP error only wraps it (`ERR_HTTP_CONNECT` and the like with
 * a `cause` that has its own code, e.g. `ERR_AUTH_FAILED`): that code is the one with a fix.
 */
export function unwrapConnectError(err: unknown): unknown {
  const code = codeOf(err);
  const cause = err instanceof Error ? err.cause : undefined;
  const causeCode = codeOf(cause);
  if (code?.startsWith('ERR_HTTP_') === true && causeCode !== undefined && !causeCode.startsWith('ERR_HTTP_') && FIXES[causeCode] !== undefined) return cause;
  return err;
}

/**
 * An error as the user sees it: `✗ CODE: message`, the cause when it adds something, and the fix.
 * Redacted by the printer it goes to.
 */
export function renderError(err: unknown, context = ''): string {
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : 'an unexpected failure';
  const lines = [`✗ ${context === '' ? '' : `${context}: `}${code}: ${message}`];
  const cause = err instanceof Error ? (err.cause as { message?: unknown } | undefined) : undefined;
  if (cause !== undefined && typeof cause.message === 'string' && cause.message !== '' && !message.includes(cause.message)) {
    lines.push(`  cause: ${cause.message}`);
  }
  const fix = FIXES[code];
  if (fix !== undefined) lines.push(`  fix: ${fix}`);
  return `${lines.join('\n')}\n`;
}

/** A duration as people read it: `0.42 ms`, `12 ms`, `1.3 s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(ms < 1 ? 2 : 1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
