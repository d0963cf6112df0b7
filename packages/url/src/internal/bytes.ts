const encoder = new TextEncoder();

/**
 * A zero-filled byte array whose storage is outside the JavaScript heap. V8 keeps the bytes of a
 * small typed array (up to 64 of them) inside the heap object itself, and the moving garbage
 * collector copies heap objects: a wiped password could survive as a stale copy in the old space.
 * An explicit ArrayBuffer always gets an off-heap backing store that never moves, so `fill(0)`
 * reaches the only copy.
 */
export function secretBytes(length: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(length));
}

/** Copies `bytes` into off-heap storage (see {@link secretBytes}). */
export function copySecretBytes(bytes: Uint8Array): Uint8Array {
  const out = secretBytes(bytes.byteLength);
  out.set(bytes);
  return out;
}

/** Encodes `text` as UTF-8 straight into off-heap storage, with no intermediate heap array. */
export function encodeSecret(text: string): Uint8Array {
  const scratch = secretBytes(text.length * 3);
  const { written } = encoder.encodeInto(text, scratch);
  const out = copySecretBytes(scratch.subarray(0, written));
  scratch.fill(0);
  return out;
}
