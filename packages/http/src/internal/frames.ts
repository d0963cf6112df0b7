/**
 * Parser for Docker's multiplexed stream (attach, logs and exec without a TTY): frames of an
 * 8-byte header `[type, 0, 0, 0, size (uint32 big-endian)]` followed by `size` bytes of payload.
 * Type 0 is stdin (written to stdout, as Docker's own stdcopy does), 1 stdout, 2 stderr,
 * 3 an error from the daemon. Payload is handed out as it arrives, never gathered whole.
 */

const HEADER_BYTES = 8;

type FrameEvent =
  | { readonly kind: 'data'; readonly stream: 'stdout' | 'stderr'; readonly data: Buffer }
  | { readonly kind: 'systemerr'; readonly message: string }
  | { readonly kind: 'invalid' };

/** Most bytes of a type-3 (daemon error) frame kept for its message. */
const MAX_SYSTEMERR_BYTES = 64 * 1024;

export class FrameParser {
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #headerFill = 0;
  #remaining = 0;
  #type = 0;
  #errorParts: Buffer[] = [];
  #errorBytes = 0;
  #errorCut = false;
  #failed = false;

  /** True when the input so far ends exactly on a frame boundary. */
  get atBoundary(): boolean {
    return this.#headerFill === 0 && this.#remaining === 0;
  }

  /** Feeds one chunk; returns what it completed, in order. */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    if (this.#failed) return events;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(HEADER_BYTES - this.#headerFill, chunk.length - offset);
        chunk.copy(this.#header, this.#headerFill, offset, offset + take);
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill < HEADER_BYTES) break;
        this.#headerFill = 0;
        const type = this.#header[0] ?? 255;
        if (type > 3 || this.#header[1] !== 0 || this.#header[2] !== 0 || this.#header[3] !== 0) {
          this.#failed = true;
          events.push({ kind: 'invalid' });
          return events;
        }
        this.#type = type;
        this.#remaining = this.#header.readUInt32BE(4);
        if (this.#remaining === 0 && type === 3) events.push({ kind: 'systemerr', message: '' });
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      const data = chunk.subarray(offset, offset + take);
      offset += take;
      this.#remaining -= take;
      if (this.#type === 3) {
        const room = MAX_SYSTEMERR_BYTES - this.#errorBytes;
        if (data.length > room) this.#errorCut = true;
        if (room > 0) {
          this.#errorParts.push(data.subarray(0, room));
          this.#errorBytes += Math.min(room, data.length);
        }
        if (this.#remaining === 0) {
          const message = Buffer.concat(this.#errorParts).toString('utf8');
          // A message cut at the bound loses its unfinished last line: a credential cut in two shows its first half.
          const kept = this.#errorCut ? message.slice(0, Math.max(message.lastIndexOf('\n'), message.lastIndexOf('\r')) + 1) : message;
          events.push({ kind: 'systemerr', message: kept });
          this.#errorParts = [];
          this.#errorBytes = 0;
          this.#errorCut = false;
        }
      } else if (data.length > 0) {
        events.push({ kind: 'data', stream: this.#type === 2 ? 'stderr' : 'stdout', data });
      }
    }
    return events;
  }
}
