/**
 * Finds a secret in text in any form it is likely to take there, by decoding the text rather than
 * by listing encodings of the secret: raw; JSON-escaped (`\"`, `\\`, `\uXXXX` and surrogate pairs);
 * percent-encoded in either hex case, `+` or `%20` for space; base64 and base64url at every
 * alignment (alone, inside `user:pass`, inside a longer base64 text such as a JSON auth config);
 * and those nested up to {@link DEPTH} deep (a JSON-escaped password inside base64 JSON). Works for
 * secrets of any length: a 3-byte secret is found as surely as a 30-byte one.
 *
 * Pure: no Buffer, no I/O, so the same file serves any runtime.
 */

const encoder = new TextEncoder();
const lenient = new TextDecoder('utf-8');
const DEPTH = 2;

function includesBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0];
  if (first === undefined || needle.length > hay.length) return false;
  for (let i = hay.indexOf(first); i !== -1 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return true;
  }
  return false;
}

const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
// The same without `\\`: text may put a backslash before an escape that is not JSON's (fail closed).
const LOOSE_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|(["/bfnrt]))/g;
// Also: a backslash right before a `\uXXXX` kept as text, the escape after it decoded (the text
// before the secret may end in a backslash of its own: `\` + `\u00a0…`).
const EAGER_ESCAPE = /\\(?=\\u[0-9a-fA-F]{4})|\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g;
const SIMPLE: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** `\uXXXX` (surrogate pairs join up by themselves) and the one-letter escapes, turned back into characters. */
function jsonUnescape(text: string, pattern = JSON_ESCAPE): string {
  return text.replace(pattern, (_whole, hex: string | undefined, letter: string | undefined) =>
    hex !== undefined ? String.fromCharCode(Number.parseInt(hex, 16)) : letter === undefined ? '\\' : (SIMPLE[letter] ?? ''),
  );
}

/** The value of one hex digit byte, or -1. */
function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** `%XX` in either case to bytes; `+` to a space when `plus`. */
function percentDecode(text: string, plus: boolean): Uint8Array {
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const hi = b === 0x25 ? hexValue(bytes[i + 1]) : -1;
    const lo = hi === -1 ? -1 : hexValue(bytes[i + 2]);
    if (lo !== -1) {
      out[n++] = hi * 16 + lo;
      i += 2;
    } else {
      out[n++] = plus && b === 0x2b ? 0x20 : b;
    }
  }
  return out.subarray(0, n);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUE = new Map(Array.from(B64, (c, i) => [c, i]));
B64_VALUE.set('-', 62);
B64_VALUE.set('_', 63);
const B64_RUN = /[A-Za-z0-9+/_-]{2,}/g;

/** Decodes base64 or base64url characters (no padding), ignoring a dangling last character. */
function base64Decode(chars: string): Uint8Array {
  const out = new Uint8Array(Math.floor((chars.length * 3) / 4));
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (const c of chars) {
    acc = ((acc << 6) | (B64_VALUE.get(c) ?? 0)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

/** Every base64 reading of every run of base64 characters, at each of the four character offsets. */
function base64Readings(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [run] of text.matchAll(B64_RUN)) {
    for (let offset = 0; offset < 4 && run.length - offset >= 2; offset++) out.push(base64Decode(run.slice(offset)));
  }
  return out;
}

/**
 * What is looked for: the bytes of a live secret, or what a cleared one left (see `trace.ts`). Only
 * its length and a test on decoded bytes are needed, so this file stays pure.
 */
export interface Needle {
  readonly length: number;
  within(hay: Uint8Array): boolean;
}

/** A needle for bytes at hand (borrowed, not copied: the caller wipes them after the search). */
export function bytesNeedle(bytes: Uint8Array): Needle {
  return { length: bytes.length, within: (hay) => includesBytes(hay, bytes) };
}

function found(text: string, secret: Needle, depth: number): boolean {
  const texts = new Set([text, jsonUnescape(text), jsonUnescape(text, LOOSE_ESCAPE), jsonUnescape(text, EAGER_ESCAPE)]);
  for (const t of texts) {
    const decoded = [encoder.encode(t), percentDecode(t, false), percentDecode(t, true)];
    if (decoded.some((bytes) => secret.within(bytes))) return true;
    for (const bytes of base64Readings(t)) {
      if (secret.within(bytes)) return true;
      if (depth > 0 && bytes.length >= secret.length && found(lenient.decode(bytes), secret, depth - 1)) return true;
    }
    if (depth > 0) {
      for (const bytes of decoded.slice(1)) {
        const again = lenient.decode(bytes);
        if (again !== t && found(again, secret, depth - 1)) return true;
      }
    }
  }
  return false;
}

/** True when `text` holds `secret` (its UTF-8 bytes, or its trace) in any form described above. */
export function holdsSecret(text: string, secret: Needle): boolean {
  return found(text, secret, DEPTH);
}
