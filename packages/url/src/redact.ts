import { percentEncode } from './internal/percent.js';
import { Secret } from './secret.js';

const MASKS = ['[redacted]', '***'] as const;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

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
    const padded = new Uint8Array(offset + bytes.length);
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
  if (secret instanceof Secret) return secret.cleared ? null : secret.use((bytes) => new Uint8Array(bytes));
  if (typeof secret === 'string') return encoder.encode(secret);
  if (secret instanceof Uint8Array) return new Uint8Array(secret);
  throw new TypeError('redact() takes secrets as Secret, string or Uint8Array');
}

/**
 * Masks credentials in free text: the password of every `scheme://user:password@` (failing closed:
 * when the end of the userinfo is unclear, more is masked rather than less), and every given secret
 * in its raw, JSON-escaped, percent-encoded and base64 forms. Every error message, log line and
 * `inspect` of this project goes through it. The input is never changed; the mask is constant.
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
