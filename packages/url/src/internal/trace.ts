import { createHmac, randomBytes } from 'node:crypto';

/**
 * What a cleared Secret keeps so that remote text can still be checked for it: never the bytes, only
 * their length and two keyed digests made with keys drawn at random once per process and never shown:
 *
 * - `mac`: HMAC-SHA-256 of the bytes. It decides: a window of text matches only when its HMAC is equal.
 * - `tag`: 16 bits of a keyed rolling hash of the bytes (a polynomial hash modulo 2^32 with a random
 *   odd base, then a keyed mix). It only filters: checking every window of every decoding of a few
 *   KiB of text with HMAC alone would take seconds, so a window's HMAC is computed only when its tag
 *   matches (1 window in 65,536 by chance).
 *
 * Why not an HMAC of each encoded form of the secret: the text is decoded instead (raw, JSON
 * escapes, percent, base64 at every alignment, nested: see `detect.ts`), so one digest of the raw
 * bytes covers every form, exactly as the live bytes do.
 *
 * What this does not protect against: anyone who can read this process's memory reads the keys too,
 * and can then test guesses of the password against `mac` offline, as against any stored verifier;
 * a weak password falls to that. The promise kept is the one of a cleared Secret: its bytes, in
 * any form, are no longer in memory.
 */
export interface Trace {
  readonly length: number;
  readonly tag: number;
  readonly mac: Uint8Array;
}

const MAC_KEY = randomBytes(32);
const seeds = randomBytes(8);
const BASE = (seeds.readUInt32LE(0) | 1) >>> 0;
const MIX = seeds.readUInt32LE(4);

function mac(bytes: Uint8Array): Buffer {
  return createHmac('sha256', MAC_KEY).update(bytes).digest();
}

/** BASE^(n) modulo 2^32. */
function power(n: number): number {
  let out = 1;
  for (let i = 0; i < n; i++) out = Math.imul(out, BASE);
  return out >>> 0;
}

/** A keyed bijective mix of the rolling hash, cut to 16 bits. */
function tagOf(hash: number): number {
  let h = (hash ^ MIX) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 16;
}

function rolling(bytes: Uint8Array, start: number, length: number): number {
  let h = 0;
  for (let i = start; i < start + length; i++) h = (Math.imul(h, BASE) + (bytes[i] ?? 0)) | 0;
  return h;
}

/** The trace of `bytes` (which the caller then wipes). */
export function traceOf(bytes: Uint8Array): Trace {
  return { length: bytes.length, tag: tagOf(rolling(bytes, 0, bytes.length)), mac: new Uint8Array(mac(bytes)) };
}

const powers = new Map<number, number>();

/** True when some `trace.length`-byte window of `hay` has the traced bytes. */
export function traceWithin(trace: Trace, hay: Uint8Array): boolean {
  const n = trace.length;
  if (n === 0 || hay.length < n) return false;
  let top = powers.get(n);
  if (top === undefined) {
    top = power(n - 1);
    if (powers.size < 256) powers.set(n, top);
  }
  let h = rolling(hay, 0, n);
  for (let i = 0; ; i++) {
    if (tagOf(h) === trace.tag) {
      const window = hay.subarray(i, i + n);
      const digest = mac(window);
      if (digest.equals(trace.mac)) return true;
    }
    if (i + n >= hay.length) return false;
    // Drop hay[i], take in hay[i + n].
    h = (Math.imul((h - Math.imul(hay[i] ?? 0, top)) | 0, BASE) + (hay[i + n] ?? 0)) | 0;
  }
}

const kept = new WeakMap<object, Trace>();

/** Remembers the trace of `bytes` for `owner` (a Secret about to be cleared). */
export function keepTrace(owner: object, bytes: Uint8Array): void {
  if (bytes.length > 0 && !kept.has(owner)) kept.set(owner, traceOf(bytes));
}

/** The trace kept for `owner`, if it was cleared after holding bytes. */
export function keptTrace(owner: object): Trace | undefined {
  return kept.get(owner);
}
