import { PassThrough, Readable } from 'node:stream';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { demux, type HttpError } from '../src/index.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

async function drain(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Feeds `wire` to demux in the given pieces and collects both outputs. */
async function run(pieces: Buffer[]): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const { stdout, stderr } = demux(Readable.from(pieces, { objectMode: false }));
  const [out, err] = await Promise.all([drain(stdout), drain(stderr)]);
  return { stdout: out, stderr: err };
}

function splitAt(wire: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    if (p > last) pieces.push(wire.subarray(last, p));
    last = Math.max(last, p);
  }
  if (last < wire.length) pieces.push(wire.subarray(last));
  return pieces;
}

const frameArb = fc.record({ type: fc.constantFrom(0, 1, 2), payload: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) });

describe('demux', () => {
  test.prop([fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 20 })], { numRuns })(
    'frames split at any bytes give the same stdout and stderr as the unsplit stream',
    async (frames, cuts) => {
      const wire = Buffer.concat(frames.map((f) => frame(f.type, f.payload)));
      const expectedOut = Buffer.concat(frames.filter((f) => f.type !== 2).map((f) => f.payload));
      const expectedErr = Buffer.concat(frames.filter((f) => f.type === 2).map((f) => f.payload));
      const got = await run(splitAt(wire, cuts));
      expect(got.stdout.equals(expectedOut)).toBe(true);
      expect(got.stderr.equals(expectedErr)).toBe(true);
    },
  );

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a))], { numRuns })(
    'for any bytes, demux ends cleanly or fails with one of our codes',
    async (bytes) => {
      const outcome = await run([bytes]).then(
        () => 'ok',
        (err: unknown) => (err as HttpError).code,
      );
      expect(['ok', 'ERR_HTTP_PROTOCOL', 'ERR_HTTP_STATUS']).toContain(outcome);
    },
  );

  test('a stream split at every single byte demultiplexes the same', async () => {
    const wire = Buffer.concat([frame(1, Buffer.from('hello ')), frame(2, Buffer.from('oops')), frame(1, Buffer.from('world')), frame(1, Buffer.alloc(0))]);
    const pieces = [...wire].map((b) => Buffer.from([b]));
    const got = await run(pieces);
    expect(got.stdout.toString()).toBe('hello world');
    expect(got.stderr.toString()).toBe('oops');
  });

  test('a header that is not a Docker frame (a TTY stream) is ERR_HTTP_PROTOCOL', async () => {
    const err = (await run([Buffer.from('plain tty output\n')]).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe(
      'the stream is not in Docker multiplexed format (bad frame header); a container with a TTY sends a raw stream, read it without demux',
    );
  });

  test('a stream that ends inside a frame is ERR_HTTP_PROTOCOL', async () => {
    const err = (await run([frame(1, Buffer.from('complete')).subarray(0, 11)]).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_PROTOCOL');
    expect(err.message).toBe('the stream ended inside a Docker frame; the connection was cut or the daemon stopped mid-frame');
  });

  test('an error frame from the daemon is ERR_HTTP_STATUS with its message', async () => {
    const err = (await run([frame(1, Buffer.from('x')), frame(3, Buffer.from('exec failed: no such file'))]).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe('ERR_HTTP_STATUS');
    expect(err.message).toBe('the daemon reported an error inside the stream; see err.daemonMessage');
    expect(err.daemonMessage).toBe('exec failed: no such file');
  });

  test('a full output pauses the source until it is read (backpressure)', async () => {
    const source = new PassThrough();
    const { stdout, stderr } = demux(source);
    stderr.resume();
    const big = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 8; i += 1) source.write(frame(1, big));
    await new Promise((r) => setImmediate(r));
    expect(source.isPaused()).toBe(true);
    source.end();
    const out = await drain(stdout);
    expect(out.length).toBe(8 * 64 * 1024);
  });

  test('demux needs a readable stream', () => {
    expect(() => demux(null as unknown as Readable)).toThrow(
      new TypeError('demux needs a readable stream, e.g. the body of a logs response or a hijacked exec stream'),
    );
  });
});
