import type { Writable } from 'node:stream';
import { FIX_CODES, fixFor, printable } from '@ssh-docker/transport';
import { redact } from '@ssh-docker/url';

/** The terminal sequences this program itself writes; nothing else may reach the terminal as a control. */
export const TERMINAL = {
  /** Back to column 0 and erase the line: replaces a `… step` progress line with its result. */
  clearLine: '\r\x1b[2K',
} as const;

/**
 * A terminal stream that every byte of output goes through, the one place output is printed:
 * - each write has its URL passwords masked (`redact()`). Secrets read from stdin are not searched
 *   for here: masking a short passphrase inside the program's own words ("authorized_[redacted]s")
 *   tells its letters by the shape of the masks. They are kept out at the source instead: the CLI
 *   never formats one, and the library scrubs every piece of remote text (stderr, banners, daemon
 *   answers, server disconnect text) with the connection's secrets where it enters, withholding
 *   the whole line that holds one;
 * - then through `printable()`: every control character (ESC, the other C0 controls but `\n`, DEL,
 *   C1, bidi overrides) is shown visibly (`\x1b`), so text from the remote side (`docker
 *   --version`, a ping body, the version JSON, dial-stdio's stderr) can never act on the terminal.
 *   The program's own sequences go through {@link Printer.control}, which takes only {@link TERMINAL}'s.
 */
export class Printer {
  readonly #stream: Writable;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  /** True when the stream is a terminal (progress lines may then be redrawn). */
  get isTTY(): boolean {
    return (this.#stream as Writable & { isTTY?: boolean }).isTTY === true;
  }

  /** Writes `text`, redacted, with every control character but `\n` made visible. */
  write(text: string): void {
    this.#stream.write(printable(this.redact(text), { keepNewlines: true }));
  }

  /** Writes one line, redacted and made printable. */
  line(text = ''): void {
    this.write(`${text}\n`);
  }

  /** Writes one of the program's own terminal sequences, and only on a terminal. */
  control(sequence: (typeof TERMINAL)[keyof typeof TERMINAL]): void {
    if (this.isTTY) this.#stream.write(sequence);
  }

  /** The text with every URL password masked. */
  redact(text: string): string {
    return redact(text);
  }
}

/** What to try for `code`, in the CLI's words (flags, not library options); from the one table in the transport. */
export function cliFix(code: string): string | undefined {
  return fixFor(code, 'cli');
}

/** Every code with a fix, in the CLI's words: derived from the transport's one table, never written here. */
export const FIXES: Readonly<Record<string, string>> = Object.fromEntries(FIX_CODES.map((code) => [code, fixFor(code, 'cli') ?? '']));

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
  if (code?.startsWith('ERR_HTTP_') === true && causeCode !== undefined && !causeCode.startsWith('ERR_HTTP_') && cliFix(causeCode) !== undefined) return cause;
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
  const fix = cliFix(code);
  if (fix !== undefined) lines.push(`  fix: ${fix}`);
  return `${lines.join('\n')}\n`;
}

/** A duration as people read it: `0.42 ms`, `12 ms`, `1.3 s`. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(ms < 1 ? 2 : 1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}
