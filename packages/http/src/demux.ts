import { Readable } from 'node:stream';
import { HttpError } from './errors.js';
import { FrameParser } from './internal/frames.js';
import { scrub, secretsOf } from './internal/headers.js';

/**
 * The two streams {@link demux} splits a multiplexed Docker stream into.
 *
 * @example
 * ```ts
 * const { stdout, stderr }: DemuxedStreams = demux(stream);
 * ```
 */
export interface DemuxedStreams {
  readonly stdout: Readable;
  readonly stderr: Readable;
}

/**
 * Splits Docker's multiplexed stream (logs, attach and exec of a container without a TTY) into
 * stdout and stderr. Frames may be split at any byte; payload flows through as it arrives.
 * Backpressure is kept: when one output is full the source pauses until that output is read,
 * so consume both (or `resume()` the one you do not need).
 *
 * Errors, on both outputs: `ERR_HTTP_PROTOCOL` for a header that is not a Docker frame (a TTY
 * stream is not multiplexed: read it directly) or a source that ends inside a frame;
 * `ERR_HTTP_STATUS` with `daemonMessage` for an error frame (type 3) from the daemon.
 *
 * @example
 * ```ts
 * const res = await client.request({ method: 'GET', path: `/containers/${id}/logs`, query: { stdout: true, stderr: true } });
 * const { stdout, stderr } = demux(res.body);
 * stdout.pipe(process.stdout);
 * stderr.pipe(process.stderr);
 * ```
 */
export function demux(source: Readable): DemuxedStreams {
  if (typeof source !== 'object' || source === null || typeof (source as { on?: unknown }).on !== 'function') {
    throw new TypeError('demux needs a readable stream, e.g. the body of a logs response or a hijacked exec stream');
  }
  const parser = new FrameParser();
  // A body from DockerClient: its error frames are scrubbed of the request's credentials, as err.daemonMessage always is.
  const secrets = secretsOf(source);
  const waiting = new Set<Readable>();
  let done = false;

  const wake = (out: Readable): void => {
    waiting.delete(out);
    if (waiting.size === 0 && !done) source.resume();
  };
  const stdout = new Readable({ read: () => { wake(stdout); } });
  const stderr = new Readable({ read: () => { wake(stderr); } });

  // As Node's IncomingMessage: an error nobody listens for yet must not crash the process; the
  // outputs are still destroyed with it, so a later read, for await or pipeline() sees it.
  stdout.on('error', () => undefined);
  stderr.on('error', () => undefined);

  const fail = (err: Error): void => {
    if (done) return;
    done = true;
    stdout.destroy(err);
    stderr.destroy(err);
    source.destroy();
  };

  source.on('data', (chunk: Buffer | string) => {
    if (done) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (const event of parser.push(buf)) {
      if (event.kind === 'invalid') {
        fail(
          new HttpError(
            'ERR_HTTP_PROTOCOL',
            'the stream is not in Docker multiplexed format (bad frame header); a container with a TTY sends a raw stream, read it without demux',
          ),
        );
        return;
      }
      if (event.kind === 'systemerr') {
        fail(new HttpError('ERR_HTTP_STATUS', 'the daemon reported an error inside the stream; see err.daemonMessage', { daemonMessage: scrub(event.message, secrets) }));
        return;
      }
      const out = event.stream === 'stderr' ? stderr : stdout;
      if (!out.destroyed && !out.push(event.data)) waiting.add(out);
    }
    if (waiting.size > 0) source.pause();
  });
  source.once('end', () => {
    if (done) return;
    if (!parser.atBoundary) {
      fail(new HttpError('ERR_HTTP_PROTOCOL', 'the stream ended inside a Docker frame; the connection was cut or the daemon stopped mid-frame'));
      return;
    }
    done = true;
    stdout.push(null);
    stderr.push(null);
  });
  source.once('error', (err: Error) => { fail(err); });
  source.once('close', () => {
    if (!done && !source.readableEnded) {
      fail(new HttpError('ERR_HTTP_CLOSED', 'the stream closed before it ended; the connection was cut'));
    }
  });
  // Output consumers that give up stop the source too.
  let closed = 0;
  const onOutClose = (): void => {
    closed += 1;
    if (closed === 2 && !done) {
      done = true;
      source.destroy();
    }
  };
  stdout.once('close', onOutClose);
  stderr.once('close', onOutClose);
  return { stdout, stderr };
}
