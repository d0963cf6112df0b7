import type { Readable } from 'node:stream';
import { HttpError } from '../errors.js';

/** Reads at most `limit` bytes of a stream; more is an `ERR_HTTP_PROTOCOL` naming the limit option. */
export async function readLimited(stream: Readable, limit: number, option: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) {
      stream.destroy();
      throw new HttpError('ERR_HTTP_PROTOCOL', `the response body is larger than ${option} (${limit} bytes); stream it with request() or raise ${option}`);
    }
    parts.push(buf);
  }
  return Buffer.concat(parts, size);
}

/**
 * Reads an error body (best effort, bounded) and returns Docker's JSON `message`, if any. A body
 * cut at `limit` loses its last, unfinished line as well: a credential cut in two would show its
 * first half, which no scrubbing can recognise.
 */
export async function readDaemonMessage(stream: Readable, limit: number): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  let cut = false;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      const room = limit - size;
      parts.push(buf.subarray(0, Math.max(0, room)));
      size += buf.length;
      if (size >= limit) {
        // More may have followed: taken as cut.
        cut = true;
        stream.destroy();
        break;
      }
    }
  } catch {
    // A body cut short still has a status; the message is optional.
  }
  const whole = Buffer.concat(parts).toString('utf8');
  const text = (cut ? whole.slice(0, Math.max(whole.lastIndexOf('\n'), whole.lastIndexOf('\r')) + 1) : whole).trim();
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON: Docker answers some errors (e.g. 404 of an unknown path) as plain text.
  }
  return text;
}
