import { Duplex, PassThrough } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { describe, expect, it, vi } from 'vitest';
import { DockerStream } from '../src/internal/stream.js';

/**
 * An in-process stand-in for ssh2's ClientChannel, honest about what DockerStream uses: a Duplex
 * (stdout in, stdin out) with a `stderr` stream, `signal()`, `close()` and the `exit`/`close` events.
 */
class FakeChannel extends Duplex {
  readonly stderr = new PassThrough();
  readonly written: Buffer[] = [];
  readonly signals: string[] = [];
  closeCalls = 0;
  stdinEnded = false;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.written.push(chunk);
    cb();
  }

  override _final(cb: () => void): void {
    this.stdinEnded = true;
    cb();
  }

  signal(name: string): void {
    this.signals.push(name);
  }

  close(): void {
    this.closeCalls += 1;
  }

  /** The remote side: exits and closes the channel. */
  exitWith(code: number | null, signal?: string): void {
    this.emit('exit', code, signal);
    this.push(null);
    this.emit('close');
  }
}

function setup() {
  const channel = new FakeChannel();
  const host = { released: vi.fn(), setRef: vi.fn() };
  const stream = new DockerStream({ channel: channel as unknown as ClientChannel, kind: 'exec', target: { host: 'h', port: 22, user: 'u' }, host });
  return { channel, host, stream };
}

describe('DockerStream', () => {
  it('keeps half-close: ending the request sends EOF and the response still arrives', async () => {
    const { channel, stream } = setup();
    stream.end('GET /_ping HTTP/1.1\r\n\r\n');
    await new Promise((r) => setImmediate(r));
    expect(channel.stdinEnded).toBe(true);
    const body = new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => resolve(text));
    });
    channel.push('HTTP/1.1 200 OK\r\n\r\nOK');
    channel.exitWith(0);
    expect(await body).toBe('HTTP/1.1 200 OK\r\n\r\nOK');
    expect(Buffer.concat(channel.written).toString()).toBe('GET /_ping HTTP/1.1\r\n\r\n');
  });

  it('ends the remote dial-stdio on destroy(): TERM, then channel close, and releases its slot once the channel closes', async () => {
    const { channel, stream, host } = setup();
    stream.destroy();
    expect(channel.signals).toEqual(['TERM']);
    expect(channel.closeCalls).toBe(1);
    expect(host.released).not.toHaveBeenCalled();
    channel.emit('close');
    await new Promise((r) => setImmediate(r));
    expect(host.released).toHaveBeenCalledTimes(1);
    expect(stream.destroyed).toBe(true);
  });

  it('turns exit 127 before any output into ERR_REMOTE_DOCKER_MISSING with the remote stderr', async () => {
    const { channel, stream } = setup();
    const failed = new Promise<Error & { code?: string }>((resolve) => stream.once('error', resolve));
    channel.stderr.write('sh: 1: docker: not found\n');
    await new Promise((r) => setImmediate(r));
    channel.exitWith(127);
    const err = await failed;
    expect(err.code).toBe('ERR_REMOTE_DOCKER_MISSING');
    expect(err.message).toContain('Remote said: sh: 1: docker: not found');
  });

  it('turns a daemon that cannot be reached into ERR_DAEMON_UNREACHABLE', async () => {
    const { channel, stream } = setup();
    const failed = new Promise<Error & { code?: string }>((resolve) => stream.once('error', resolve));
    channel.stderr.write('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
    await new Promise((r) => setImmediate(r));
    channel.exitWith(1);
    expect((await failed).code).toBe('ERR_DAEMON_UNREACHABLE');
  });

  it('fails a write after the channel closed instead of hanging', async () => {
    const { channel, stream } = setup();
    stream.on('error', () => undefined);
    channel.emit('close');
    const result = await new Promise<Error | null | undefined>((resolve) => {
      stream.write('late', (err) => resolve(err));
    });
    expect(result).toBeInstanceOf(Error);
  });

  it('emits timeout after the idle time, as a socket does, and setTimeout(0) turns it off', async () => {
    vi.useFakeTimers();
    try {
      const { channel, stream } = setup();
      const onTimeout = vi.fn();
      stream.setTimeout(1000, onTimeout);
      vi.advanceTimersByTime(600);
      channel.push('x');
      await new Promise((r) => process.nextTick(r)); // the stream delivers data on the next tick
      vi.advanceTimersByTime(600);
      expect(onTimeout).not.toHaveBeenCalled();
      vi.advanceTimersByTime(500);
      expect(onTimeout).toHaveBeenCalledTimes(1);
      stream.setTimeout(0);
      vi.advanceTimersByTime(5000);
      expect(onTimeout).toHaveBeenCalledTimes(1);
      stream.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts itself as a reference once, and unref/ref toggle it', () => {
    const { stream, host } = setup();
    expect(host.setRef.mock.calls).toEqual([[true]]);
    stream.unref();
    stream.unref();
    stream.ref();
    stream.ref();
    expect(host.setRef.mock.calls).toEqual([[true], [false], [true]]);
    stream.destroy();
    expect(host.setRef.mock.calls).toEqual([[true], [false], [true], [false]]);
  });

  it('accepts setKeepAlive and setNoDelay as a socket does, returning itself', () => {
    const { stream } = setup();
    expect(stream.setKeepAlive(true, 1000)).toBe(stream);
    expect(stream.setNoDelay(true)).toBe(stream);
    expect(() => stream.setTimeout(-1)).toThrow(RangeError);
    stream.destroy();
  });
});

describe('DockerStream writes', () => {
  it('sends the pieces of a corked write (as Node http writes a request) as one channel write', async () => {
    const { channel, stream } = setup();
    stream.cork();
    stream.write('POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n');
    stream.write('1c\r\n');
    stream.write('{"Image":"busybox:latest"}\r\n');
    stream.write('\r\n0\r\n\r\n');
    process.nextTick(() => stream.uncork());
    await new Promise((r) => setImmediate(r));
    expect(channel.written).toHaveLength(1);
    expect(Buffer.concat(channel.written).toString()).toBe(
      'POST /containers/create HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: chunked\r\n\r\n1c\r\n{"Image":"busybox:latest"}\r\n\r\n0\r\n\r\n',
    );
  });

  it('groups a large batch in order, up to 256 KiB a write, without losing a byte', async () => {
    const { channel, stream } = setup();
    const pieces = Array.from({ length: 12 }, (_, i) => Buffer.alloc(i % 3 === 0 ? 100_000 : 10, i));
    stream.cork();
    for (const piece of pieces) stream.write(piece);
    stream.uncork();
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(channel.written).equals(Buffer.concat(pieces))).toBe(true);
    expect(channel.written.length).toBeLessThan(pieces.length);
    expect(Math.max(...channel.written.map((b) => b.length))).toBeLessThanOrEqual(256 * 1024);
  });
});

describe('DockerStream reads', () => {
  it('buffers a few SSH packets for a busy reader before it pauses the channel, not half of one', async () => {
    const { channel, stream } = setup();
    for (let i = 0; i < 4; i++) channel.push(Buffer.alloc(32 * 1024, i));
    await new Promise((r) => setImmediate(r));
    expect(channel.isPaused()).toBe(false);
    // Past the mark the channel is paused (backpressure), and reading resumes it.
    for (let i = 0; i < 8; i++) channel.push(Buffer.alloc(32 * 1024, i));
    await new Promise((r) => setImmediate(r));
    expect(channel.isPaused()).toBe(true);
    let read = 0;
    stream.on('data', (chunk: Buffer) => (read += chunk.length));
    await new Promise((r) => setImmediate(r));
    expect(read).toBe(12 * 32 * 1024);
    expect(channel.isPaused()).toBe(false);
  });
});

describe('DockerStream, when dial-stdio fails before answering', () => {
  it('holds back the end of an empty stream until the exit status says it is an error', async () => {
    const { channel, stream } = setup();
    const events: string[] = [];
    stream.on('end', () => events.push('end'));
    const failed = new Promise<Error & { code?: string }>((resolve) => stream.once('error', resolve));
    stream.resume();
    channel.stderr.write('Cannot connect to the Docker daemon at unix:///run/docker.sock\n');
    channel.push(null); // EOF first, as sshd sends it…
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    channel.emit('exit', 1); // …then the exit status, then close.
    channel.emit('close');
    expect((await failed).code).toBe('ERR_DAEMON_UNREACHABLE');
    expect(events).toEqual([]);
  });

  it('ends an empty stream normally when dial-stdio exits 0', async () => {
    const { channel, stream } = setup();
    const ended = new Promise((resolve) => stream.once('end', resolve));
    stream.resume();
    channel.push(null);
    channel.emit('exit', 0);
    channel.emit('close');
    await ended;
    expect(stream.readableEnded).toBe(true);
  });
});

describe('DockerStream errors', () => {
  it('delivers an error to its listeners, and never throws one nobody listens to', async () => {
    const { stream } = setup();
    const seen: Error[] = [];
    stream.destroy(new Error('lost'));
    await new Promise((r) => setImmediate(r));
    expect(stream.destroyed).toBe(true);
    const { stream: listened } = setup();
    listened.on('error', (err: Error) => seen.push(err));
    listened.destroy(new Error('lost too'));
    await new Promise((r) => setImmediate(r));
    expect(seen.map((e) => e.message)).toEqual(['lost too']);
  });
});
