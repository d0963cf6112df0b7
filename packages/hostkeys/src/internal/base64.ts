/**
 * Strict base64, as OpenSSH's `__b64_pton` (openbsd-compat/base64.c) decodes it: whitespace
 * anywhere is skipped, the padding must be exact and the unused bits after the last byte must be
 * zero. Node's `Buffer.from(s, 'base64')` accepts much more (missing padding, junk), which would
 * make lines valid here that OpenSSH rejects.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** isspace() in the C locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

/** Returns the decoded bytes, or `undefined` when OpenSSH would reject the text. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  let clean = '';
  let simple = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      simple = false;
      break;
    }
  }
  if (simple) clean = text;
  else {
    for (let i = 0; i < text.length; i++) if (!isSpace(text.charCodeAt(i))) clean += text.charAt(i);
  }
  const n = clean.length;
  if (n === 0) return Buffer.alloc(0);
  if (n % 4 !== 0) return undefined;
  let pad = 0;
  if (clean.endsWith('==')) pad = 2;
  else if (clean.endsWith('=')) pad = 1;
  for (let i = 0; i < n - pad; i++) {
    const c = clean.charCodeAt(i);
    if (c > 255 || VALUE[c] === -1) return undefined;
  }
  // Trailing bits of the last quantum must be zero (__b64_pton checks the spare bits).
  if (pad === 1) {
    const last = VALUE[clean.charCodeAt(n - 2)] ?? 0;
    if ((last & 0x03) !== 0) return undefined;
  } else if (pad === 2) {
    const last = VALUE[clean.charCodeAt(n - 3)] ?? 0;
    if ((last & 0x0f) !== 0) return undefined;
  }
  return Buffer.from(clean, 'base64');
}
