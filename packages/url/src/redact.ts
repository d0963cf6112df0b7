import { copySecretBytes, encodeSecret, secretBytes } from './internal/bytes.js';
import { bytesNeedle, holdsSecret } from './internal/detect.js';
import type { Needle } from './internal/detect.js';
import { percentEncode } from './internal/percent.js';
import { keptTrace, traceWithin } from './internal/trace.js';
import { Secret } from './secret.js';

const MASKS = ['[redacted]', '***'] as const;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A scheme and `//`, then the run of text up to the next whitespace. The userinfo, if any, ends at
 * the last `@` of that run: a password may hold an unencoded `@`, `/` or `#`, and masking a little
 * too much is the safe way to be wrong.
 */
const URL_RUN = /([A-Za-z][A-Za-z0-9+.-]*:\/\/)(\S+)/g;

function maskUrlPasswords(text: string, mask: string): string {
  return text.replace(URL_RUN, (whole, scheme: string, run: string) => {
    const at = run.lastIndexOf('@');
    if (at < 0) return whole;
    const colon = run.indexOf(':');
    if (colon < 0 || colon > at) return whole; // a user without a password
    return `${scheme}${run.slice(0, colon + 1)}${mask}${run.slice(at)}`;
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Every way the bytes are likely to show up in text: raw, JSON-escaped, percent-encoded (either
 * hex case, `+` for space), and base64 — standard and URL-safe, padded or not, and at each of the
 * three alignments it can take inside a longer base64 text such as a Basic auth header.
 */
function formsOf(bytes: Uint8Array): { exact: string[]; anyCase: string[] } {
  const exact = new Set<string>();
  const anyCase = new Set<string>();
  try {
    const raw = strictUtf8.decode(bytes);
    exact.add(raw);
    exact.add(JSON.stringify(raw).slice(1, -1));
  } catch {
    // Not UTF-8: it can only appear encoded.
  }
  for (const encoding of ['unreserved', 'component', 'uri', 'all'] as const) {
    const encoded = percentEncode(bytes, encoding);
    anyCase.add(encoded);
    anyCase.add(encoded.replace(/%20/g, '+'));
  }
  for (let offset = 0; offset < 3; offset++) {
    const padded = secretBytes(offset + bytes.length);
    padded.set(bytes, offset);
    let b64 = toBase64(padded).replace(/=+$/, '');
    if (offset > 0) {
      // The first characters depend on the unknown bytes before; drop them. Only the full form is
      // kept for short secrets, whose aligned cores would be too short to be specific.
      b64 = b64.slice(Math.ceil((offset * 4) / 3));
      const tail = (offset + bytes.length) % 3;
      if (tail !== 0) b64 = b64.slice(0, -1);
      if (b64.length < 6) continue;
    } else {
      exact.add(toBase64(bytes));
      const tail = bytes.length % 3;
      if (tail !== 0 && b64.length >= 6) exact.add(b64.slice(0, -1));
    }
    exact.add(b64);
  }
  for (const form of [...exact]) exact.add(form.replace(/\+/g, '-').replace(/\//g, '_'));
  exact.delete('');
  anyCase.delete('');
  return { exact: [...exact], anyCase: [...anyCase] };
}

function bytesOf(secret: Secret | string | Uint8Array): Uint8Array | null {
  // Always a copy into a plain Uint8Array (never Buffer#slice, a view): the caller wipes it after use.
  if (secret instanceof Secret) return secret.cleared ? null : secret.use(copySecretBytes);
  if (typeof secret === 'string') return encodeSecret(secret);
  if (secret instanceof Uint8Array) return copySecretBytes(secret);
  throw new TypeError('redact() takes secrets as Secret, string or Uint8Array');
}

/**
 * Masks credentials in free text: the password of every `scheme://user:password@` (failing closed:
 * when the end of the userinfo is unclear, more is masked rather than less), and every given secret
 * in its raw, JSON-escaped, percent-encoded and base64 forms. Every error message, log line and
 * `inspect` of this project goes through it. The input is never changed; the mask is constant.
 *
 * Masks land where the secret was: fine for text that carries a credential on purpose (a header,
 * a URL), but a short secret that also occurs inside ordinary words would be told by where the masks
 * land ("authorized_[redacted]s"). So: text we write ourselves is built never to contain a secret
 * and is given no secrets here (URL passwords are still masked), and text from the other side goes
 * through {@link scrubRemoteText}, which withholds whole lines with a constant marker.
 *
 * @example
 * ```ts
 * import { redact, Secret } from '@ssh-docker/url';
 *
 * redact('connect ssh://ci:hunter2@build-1 failed');          // 'connect ssh://ci:[redacted]@build-1 failed'
 * redact('auth aHVudGVyMg== refused', [Secret.from('hunter2')]); // 'auth [redacted] refused'
 * ```
 */
export function redact(text: string, secrets: readonly (Secret | string | Uint8Array)[] = []): string {
  if (typeof text !== 'string') throw new TypeError('redact() takes text as a string');
  const patterns: RegExp[] = [];
  for (const secret of secrets) {
    const bytes = bytesOf(secret);
    if (bytes === null || bytes.length === 0) continue;
    const { exact, anyCase } = formsOf(bytes);
    bytes.fill(0);
    const byLength = (a: string, b: string): number => b.length - a.length;
    if (exact.length > 0) patterns.push(new RegExp(exact.sort(byLength).map(escapeRegExp).join('|'), 'gu'));
    if (anyCase.length > 0) patterns.push(new RegExp(anyCase.sort(byLength).map(escapeRegExp).join('|'), 'giu'));
  }
  const found = (value: string): boolean => patterns.some((re) => new RegExp(re.source, re.flags.replace('g', '')).test(value));
  // The mask must not itself contain a secret, or masking would write it back.
  const mask = MASKS.find((candidate) => !found(candidate)) ?? MASKS[1];

  let out = maskUrlPasswords(text, mask);
  // Masking can join text around a mask into a new match; repeat until nothing matches. Each pass
  // consumes original characters, so this ends.
  for (let pass = 0; pass <= out.length && patterns.length > 0; pass++) {
    let changed = false;
    for (const re of patterns) {
      const next = out.replace(re, mask);
      if (next !== out) {
        out = next;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return out;
}

/**
 * The marker {@link scrubRemoteText} puts in place of a line it withholds. Constant: it says that a
 * line was withheld, never where a secret was inside it or how long it was.
 *
 * @example
 * ```ts
 * if (shown.includes(WITHHELD)) console.error('(part of the server output was withheld)');
 * ```
 */
export const WITHHELD = '[withheld: it may contain a credential]';
const WITHHELD_FALLBACKS = [WITHHELD, '[withheld]', '***', '###'] as const;

/**
 * True when `text` holds any of `secrets`, of any length, in any form it is likely to take in
 * text: raw, JSON-escaped (`\"`, `\uXXXX`), percent-encoded (either hex case, `+` for space),
 * base64 or base64url at any alignment (alone, as `user:pass`, inside a base64 JSON auth config),
 * and those forms nested. Found by decoding the text, so no length floor applies. A Secret that was
 * cleared is still found: it kept a keyed digest of its bytes (see {@link Secret.clear}), and every
 * window of the decoded text is compared with it.
 *
 * @example
 * ```ts
 * containsSecret('auth dTpwcQ== refused', ['pq']); // true: base64 of "u:pq"
 * ```
 */
export function containsSecret(text: string, secrets: readonly (Secret | string | Uint8Array)[]): boolean {
  if (typeof text !== 'string') throw new TypeError('containsSecret() takes text as a string');
  return withNeedles(secrets, (needles) => needles.some((needle) => holdsSecret(text, needle)));
}

/**
 * Lends `fn` a needle for each secret: its bytes (a copy, wiped afterwards), or, for a Secret that
 * was cleared, the keyed digest it kept (see `internal/trace.ts`).
 */
function withNeedles<T>(secrets: readonly (Secret | string | Uint8Array)[], fn: (needles: Needle[]) => T): T {
  const wipe: Uint8Array[] = [];
  const needles: Needle[] = [];
  try {
    for (const secret of secrets) {
      const bytes = bytesOf(secret);
      if (bytes !== null) {
        wipe.push(bytes);
        if (bytes.length > 0) needles.push(bytesNeedle(bytes));
        continue;
      }
      const trace = keptTrace(secret as Secret);
      if (trace !== undefined) needles.push({ length: trace.length, within: (hay) => traceWithin(trace, hay) });
    }
    return fn(needles);
  } finally {
    for (const bytes of wipe) bytes.fill(0);
  }
}

/**
 * Makes text that came from the other side (a server's stderr, a daemon's message, an error cause
 * from a peer) safe to show, without telling anything about the secrets by the shape of what it
 * changed. URL passwords are masked as {@link redact} does; then every line that holds a listed
 * secret in any form {@link containsSecret} finds, of any length, is replaced as a whole by the
 * constant {@link WITHHELD}. Lines without a secret are kept as they are. Secrets cleared after the
 * handshake are still found (see {@link containsSecret}).
 *
 * The work grows with the text (a few hundred ms for 8 KiB of base64 against a cleared Secret):
 * bound what you read from the other side, and when you cut it, cut it before a line break, or a
 * secret cut in two shows its first half.
 *
 * Use it where remote text enters a message. Text this project writes itself is built never to
 * contain a secret, so it needs no in-word substitution: running {@link redact} with a short secret
 * over prose ("authorized_keys" with the passphrase `key`) would disclose the secret by where the
 * masks land.
 *
 * @example
 * ```ts
 * import { scrubRemoteText, Secret } from '@ssh-docker/url';
 *
 * scrubRemoteText('login ok\nbad password: hunter2', [Secret.from('hunter2')]);
 * // 'login ok\n[withheld: it may contain a credential]'
 * ```
 */
export function scrubRemoteText(text: string, secrets: readonly (Secret | string | Uint8Array)[]): string {
  if (typeof text !== 'string') throw new TypeError('scrubRemoteText() takes text as a string');
  return withNeedles(secrets, (needles) => {
    const holds = (value: string): boolean => needles.some((needle) => holdsSecret(value, needle));
    const marker = WITHHELD_FALLBACKS.find((candidate) => !holds(candidate)) ?? '';
    const masked = maskUrlPasswords(text, MASKS.find((candidate) => !holds(candidate)) ?? '');
    if (needles.length === 0) return masked;
    const parts = masked.split(/(\r\n|\n|\r)/);
    for (let i = 0; i < parts.length; i += 2) if (holds(parts[i] ?? '')) parts[i] = marker;
    const out = parts.join('');
    // A secret that spans lines (a raw one with a newline in it) is caught here: all is withheld.
    return holds(out) ? marker : out;
  });
}
