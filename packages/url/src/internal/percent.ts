import { copySecretBytes, encodeSecret, secretBytes } from './bytes.js';

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes `text` to bytes (RFC 3986 section 2.1), without ever building the decoded
 * string: a password goes from the URL straight into a Secret's buffer. Returns null on a `%` not
 * followed by two hex digits.
 */
export function percentDecode(text: string): Uint8Array | null {
  const raw = encodeSecret(text);
  const out = secretBytes(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i] ?? 0;
    if (byte !== 0x25) {
      out[n++] = byte;
      continue;
    }
    const hi = hexValue(raw[i + 1] ?? -1);
    const lo = hexValue(raw[i + 2] ?? -1);
    if (hi < 0 || lo < 0) {
      raw.fill(0);
      out.fill(0);
      return null;
    }
    out[n++] = (hi << 4) | lo;
    i += 2;
  }
  raw.fill(0);
  const result = copySecretBytes(out.subarray(0, n));
  out.fill(0);
  return result;
}

/** Bytes each encoding leaves as they are, beyond letters and digits. */
const KEPT = {
  /** RFC 3986 unreserved: what this package writes. */
  unreserved: "-._~",
  /** What `encodeURIComponent` leaves. */
  component: "-._~!*'()",
  /** What `encodeURI` leaves. */
  uri: "-._~!*'();/?:@&=+$,#",
  all: '',
} as const;

/** How {@link percentEncode} encodes: which bytes it leaves unencoded. */
export type PercentEncoding = keyof typeof KEPT;

function isKept(byte: number, encoding: PercentEncoding): boolean {
  if (encoding === 'all') return false;
  const alnum = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
  return alnum || (byte < 0x80 && KEPT[encoding].includes(String.fromCharCode(byte)));
}

/**
 * Percent-encodes, as upper-case `%XX`, every byte that `encoding` does not leave as it is. This
 * package writes `unreserved`; `redact()` also looks for the other forms.
 */
export function percentEncode(bytes: Uint8Array, encoding: PercentEncoding = 'unreserved'): string {
  let out = '';
  for (const byte of bytes) {
    out += isKept(byte, encoding) ? String.fromCharCode(byte) : `%${HEX.charAt(byte >> 4)}${HEX.charAt(byte & 15)}`;
  }
  return out;
}
