import type { Duplex } from 'node:stream';
import { HttpError } from '../errors.js';

/** Every HTTP/1.x response, the first one on a stream included, begins with these bytes (RFC 9112 §4 status-line). */
const STATUS_LINE_START = Buffer.from('HTTP/');
/** How much of the text that came instead is quoted. */
const MAX_QUOTED = 120;

/**
 * Characters a terminal acts on instead of showing (C0 and C1 controls, DEL, bidi overrides and
 * isolates, line separators, lone surrogates): written out visibly (`\x1b`, `\u{202e}`) when remote
 * text is quoted, so it can neither recolour nor retitle a terminal nor reorder what is read.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

function visible(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (ch === '\t') return '\\t';
  if (ch === '\r') return '\\r';
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/**
 * The first line of bytes the remote side sent, safe to put in a message: decoded as UTF-8,
 * controls shown visibly, the password of anything shaped like a URL's userinfo masked, and cut
 * to {@link MAX_QUOTED} characters (`…` marks a cut).
 */
export function quoteFirstLine(bytes: Buffer): string {
  const line = bytes.toString('utf8').replace(/^[\s\uFEFF]+/, '').split('\n', 1)[0] ?? '';
  const masked = line.replace(/(\/\/[^\s/@:]*:)[^\s/@]*@/g, '$1[redacted]@');
  const shown = masked.trimEnd().replace(UNSAFE, visible);
  if (shown.length <= MAX_QUOTED) return shown;
  // Never cut a surrogate pair (or a visible escape) in two.
  const cut = /[\ud800-\udbff]$/.test(shown.slice(0, MAX_QUOTED)) ? MAX_QUOTED - 1 : MAX_QUOTED;
  return `${shown.slice(0, cut)}…`;
}

/** The error for a stream whose first bytes are not an HTTP response. */
export function notHttpError(first: Buffer): HttpError {
  const quoted = quoteFirstLine(first);
  return new HttpError(
    'ERR_REMOTE_NOT_HTTP',
    `the stream to the Docker daemon ${quoted === '' ? 'began with bytes that are not HTTP' : `began with "${quoted}"`}, not an HTTP answer: ` +
      'the remote account prints text of its own before the daemon answers — likely its login shell (nologin, a menu), ' +
      'a banner, or an rc file (~/.bashrc, ~/.profile) that prints in non-interactive sessions; `ssh USER@HOST true` must print nothing',
  );
}

/**
 * Watches the first bytes a fresh stream delivers: when they cannot begin an HTTP response, the
 * stream is destroyed with `ERR_REMOTE_NOT_HTTP` before Node's parser (or undici's) sees them, so
 * the request fails with that code instead of a parser's `HPE_INVALID_CONSTANT`. It hooks `push`,
 * through which every Readable implementation (a `net.Socket`, the transport's channel) delivers
 * data to both `'data'` listeners and `read()` callers; once `HTTP/` has been seen the hook is
 * removed and bytes flow untouched.
 */
export function expectHttp(stream: Duplex): Duplex {
  let seen = Buffer.alloc(0);
  const hadOwn = Object.hasOwn(stream, 'push');
  const original = (stream as { push: (this: Duplex, chunk: unknown, encoding?: BufferEncoding) => boolean }).push;
  const restore = (): void => {
    if (hadOwn) Object.defineProperty(stream, 'push', { configurable: true, writable: true, value: original });
    else delete (stream as { push?: unknown }).push;
  };
  Object.defineProperty(stream, 'push', {
    configurable: true,
    writable: true,
    value(this: Duplex, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null || chunk === undefined || seen.length >= STATUS_LINE_START.length) return Reflect.apply(original, this, [chunk, encoding]);
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
      const head = Buffer.concat([seen, bytes.subarray(0, STATUS_LINE_START.length - seen.length)]);
      if (!STATUS_LINE_START.subarray(0, head.length).equals(head)) {
        this.destroy(notHttpError(Buffer.concat([seen, bytes.subarray(0, 4096)])));
        return false;
      }
      seen = head;
      // Decided: the stream's own push from now on.
      if (seen.length >= STATUS_LINE_START.length) restore();
      return Reflect.apply(original, this, [chunk, encoding]);
    },
  });
  return stream;
}
