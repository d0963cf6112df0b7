import { copySecretBytes, encodeSecret } from './internal/bytes.js';
import { keepTrace } from './internal/trace.js';

const REDACTED = '[redacted]';
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/**
 * A password or passphrase held as bytes in a `#private` field, so that no rendering of it —
 * `String()`, template literals, `JSON.stringify`, `util.inspect` even with `showHidden` — can
 * show it. `use()` lends the bytes to code that needs them; `clear()` zero-fills them.
 *
 * A JavaScript string the Secret was made from cannot be wiped; keep the bytes in a Buffer
 * from the start where the heap matters (`Secret.from(buffer)` copies, so wipe the buffer too).
 *
 * @example
 * ```ts
 * import { Secret } from '@ssh-docker/url';
 *
 * const password = Secret.from(process.env.DOCKER_SSH_PASSWORD ?? '');
 * `${password}`;                                  // '[redacted]'
 * password.use((bytes) => bytes.length);          // the bytes, lent
 * password.clear();                               // zero-filled; password.cleared === true
 * ```
 */
export class Secret {
  #bytes: Uint8Array;
  #cleared = false;

  private constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Copies `value` (a string is taken as UTF-8) into a new Secret. */
  static from(value: string | Uint8Array): Secret {
    if (typeof value === 'string') return new Secret(encodeSecret(value));
    // A copy, never a view (Buffer#slice would share the caller's bytes, and a pooled Buffer shares
    // its memory with others), held off the JavaScript heap so the GC cannot leave stale copies.
    if (value instanceof Uint8Array) return new Secret(copySecretBytes(value));
    throw new TypeError('Secret.from() takes a string or a Uint8Array');
  }

  /** True once {@link Secret.clear} has run: the bytes are gone. */
  get cleared(): boolean {
    return this.#cleared;
  }

  /** The number of bytes held (0 once cleared). Safe to show. */
  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  /**
   * Lends the bytes to `fn` and returns what it returns. The bytes are the Secret's own, not a
   * copy: do not keep them, and do not change them.
   *
   * @throws TypeError when the Secret was cleared.
   */
  use<T>(fn: (bytes: Uint8Array) => T): T {
    if (this.#cleared) throw new TypeError('this Secret was cleared after use; supply a new one');
    return fn(this.#bytes);
  }

  /**
   * Zero-fills the bytes and drops them. Idempotent. What stays is a keyed digest of them (HMAC-SHA-256
   * with a key drawn once per process, never shown), so that `scrubRemoteText()` and `containsSecret()`
   * still find them in text a server sends back after the handshake.
   */
  clear(): void {
    if (!this.#cleared) keepTrace(this, this.#bytes);
    this.#bytes.fill(0);
    this.#bytes = new Uint8Array(0);
    this.#cleared = true;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspectCustom](): string {
    return REDACTED;
  }
}



