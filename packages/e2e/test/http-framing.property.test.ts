/**
 * HTTP framing from the daemon, as the client sees it at the end of a channel: any bytes, split at
 * any points, end in a response or in one of our codes — never a crash, a hang or a foreign error.
 * The channel here is an in-process Duplex, so that every run is fast and deterministic.
 */
import { Duplex } from 'node:stream';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { demux, DockerClient } from '@ssh-docker/http';
import type { HttpErrorCode } from '@ssh-docker/http';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const HTTP_CODES: readonly HttpErrorCode[] = ['ERR_HTTP_STATUS', 'ERR_HTTP_PROTOCOL', 'ERR_HTTP_UPGRADE', 'ERR_HTTP_CLOSED', 'ERR_HTTP_TIMEOUT', 'ERR_REMOTE_NOT_HTTP'];

/** A channel that answers the first request bytes with `parts`, one per tick, then ends. */
function hostileChannel(parts: readonly Buffer[], endAfter: boolean): Duplex {
  let answered = false;
  const channel: Duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      // Pushed from write().
    },
    write(_chunk: Buffer, _encoding, callback) {
      callback();
      if (answered) return;
      answered = true;
      let i = 0;
      const next = (): void => {
        if (channel.destroyed) return;
        const part = parts[i++];
        if (part === undefined) {
          if (endAfter) channel.push(null);
          return;
        }
        channel.push(part);
        setImmediate(next);
      };
      setImmediate(next);
    },
  });
  return channel;
}

/** Splits `bytes` at the given fractions of its length. */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) parts.push(bytes.subarray(at, p));
    at = Math.max(at, p);
  }
  parts.push(bytes.subarray(at));
  return parts.filter((p) => p.length > 0);
}

const statusLine = fc.constantFrom(
  'HTTP/1.1 200 OK\r\n',
  'HTTP/1.1 404 Not Found\r\n',
  'HTTP/1.1 500 x\r\n',
  'HTTP/1.0 200 OK\r\n',
  'HTTP/1.1 101 UPGRADED\r\n',
  'HTTP/1.1 204 No Content\r\n',
  'HTTP/1.1 999 Odd\r\n',
  'HTTP/2 200\r\n',
  'ICY 200 OK\r\n',
);
const headerLines = [
    'Content-Length: 5\r\n',
    'Content-Length: 0\r\n',
    'Content-Length: -1\r\n',
    'Content-Length: 99999999999999999999\r\n',
    'Content-Length: 5\r\nContent-Length: 6\r\n',
    'Transfer-Encoding: chunked\r\n',
    'Transfer-Encoding: gzip, chunked\r\n',
    'Content-Type: application/json\r\n',
    'Content-Type: application/vnd.docker.raw-stream\r\n',
    'Content-Type: application/vnd.docker.multiplexed-stream\r\n',
    'Connection: close\r\n',
    'Connection: Upgrade\r\nUpgrade: tcp\r\n',
    'Api-Version: 1.41\r\n',
    'X-Bad\r\n',
    ' folded\r\n',
    'X-Nul: a\u0000b\r\n',
];
/** Any header line, the upgrade pair included: a 101 answering a plain request must fail with our code too. */
const headerLine = (): fc.Arbitrary<string> =>
  fc.oneof(fc.constantFrom(...headerLines), fc.nat({ max: 8000 }).map((n) => `X-Big: ${'a'.repeat(n)}\r\n`));
const chunkSize = fc.constantFrom('5', 'ZZ', '-1', 'ffffffffffffffff', '5;ext=1', '0', '', ' 5', '1000000');
const body = fc.oneof(
  fc.constantFrom('', 'hello', '{"message":"no"}', '{"message":', '\u0001\u0000\u0000\u0000\u0000\u0000\u0000\u0003abc', '\u0003\u0000\u0000\u0000\u0000\u0000\u0000\u0004boom'),
  fc.tuple(chunkSize, fc.string({ maxLength: 20 }), fc.constantFrom('\r\n0\r\n\r\n', '\r\n', '', 'garbage', '\r\n0\r\nTrailer: x\r\n\r\n')).map(([s, d, t]) => `${s}\r\n${d}${t}`),
);
const structured = (): fc.Arbitrary<Buffer> =>
  fc
    .tuple(statusLine, fc.array(headerLine(), { maxLength: 5 }), fc.constantFrom('\r\n', '\n', ''), body)
    .map(([s, h, sep, b]) => Buffer.from(s + h.join('') + sep + b, 'latin1'));
const anyBytes = fc.uint8Array({ maxLength: 400 }).map((a) => Buffer.from(a));
const response = fc.oneof({ weight: 3, arbitrary: structured() }, { weight: 1, arbitrary: anyBytes });
const upgradeResponse = response;
// Each run takes a few ms; a run whose headers never complete waits for its short timeout.
const timeout = Math.max(60_000, numRuns * 40);
const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

type Outcome = 'ok' | 'hang' | HttpErrorCode | `foreign:${string}`;

function outcomeOf(err: unknown): Outcome {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && [...HTTP_CODES, 'ERR_HTTP_ABORTED'].includes(code)) return code as HttpErrorCode;
  return `foreign:${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
}

/** A run that has not settled after `ms` is a hang: reported as an outcome, so fast-check shrinks it. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => {
      resolve('hang');
    }, ms);
  });
  return Promise.race([promise, hang]).finally(() => {
    clearTimeout(timer);
  });
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

const tally = new Map<string, number>();
function count(kind: string, outcome: Outcome): void {
  const key = `${kind} ${outcome}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

afterAll(() => {
  // The figure for SECURITY.md's promises table: how many hostile responses were tried, and how each ended.
  console.info(`http framing outcomes (${numRuns} runs per property): ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
});

describe('DockerClient against hostile bytes from the daemon, over an in-process channel', () => {
  test.prop([response, cuts, fc.boolean()], { numRuns })(
    'request() and its body either complete or fail with one of our codes, whatever the bytes and however they are split',
    async (bytes, at, endAfter) => {
      const client = new DockerClient(() => Promise.resolve(hostileChannel(split(bytes, at), endAfter)), { apiVersion: '1.41', maxHeaderSize: 4096 });
      try {
        const outcome = await withDeadline(client
          // A channel that never ends is bounded by the caller's signal, the documented way to bound a
          // whole request: timeoutMs only covers the time to the headers (see the report on the error body).
          .request({ path: '/containers/x/logs', ...(endAfter ? { timeoutMs: 5_000 } : { signal: AbortSignal.timeout(50) }) })
          .then(async (res) => {
            // A channel that never ends keeps a body open, as a `logs -f` does: the caller's abort ends it.
            if (!endAfter) res.body.destroy();
            else await drain(res.body);
            return 'ok' as const;
          })
          .catch(outcomeOf), 6_000);
        count('request', outcome);
        expect(['ok', ...HTTP_CODES, ...(endAfter ? [] : ['ERR_HTTP_ABORTED'])]).toContain(outcome);
      } finally {
        client.close();
      }
    },
    timeout,
  );

  test.prop([response, cuts], { numRuns })('json() either parses or fails with one of our codes', async (bytes, at) => {
    const client = new DockerClient(() => Promise.resolve(hostileChannel(split(bytes, at), true)), { apiVersion: '1.41', maxHeaderSize: 4096, maxJsonBytes: 1024 });
    try {
      const outcome = await client
        .json({ path: '/info', timeoutMs: 5_000 })
        .then(() => 'ok' as const)
        .catch(outcomeOf);
      count('json', outcome);
      expect(['ok', ...HTTP_CODES]).toContain(outcome);
    } finally {
      client.close();
    }
  }, timeout);

  test.prop([upgradeResponse, cuts], { numRuns })('hijack() either upgrades — and the raw stream then ends — or fails with one of our codes; demux of what follows too', async (bytes, at) => {
    const client = new DockerClient(() => Promise.resolve(hostileChannel(split(bytes, at), true)), { apiVersion: '1.41', maxHeaderSize: 4096 });
    try {
      const outcome = await client
        .hijack({ path: '/exec/x/start', body: { Detach: false }, timeoutMs: 5_000 })
        .then(async (stream) => {
          stream.end();
          const { stdout, stderr } = demux(stream);
          await Promise.all([drain(stdout), drain(stderr)]);
          return 'ok' as const;
        })
        .catch(outcomeOf);
      count('hijack', outcome);
      expect(['ok', ...HTTP_CODES]).toContain(outcome);
    } finally {
      client.close();
    }
  }, timeout);

  test.prop([fc.uint8Array({ minLength: 0, maxLength: 2000 }), cuts], { numRuns })(
    'a well-formed chunked response split at any bytes yields exactly the bytes that were sent',
    async (payload, at) => {
      const data = Buffer.from(payload);
      const chunked = data.length === 0 ? '' : `${data.length.toString(16)}\r\n`;
      const wire = Buffer.concat([
        Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n'),
        Buffer.from(chunked),
        data,
        Buffer.from(data.length === 0 ? '0\r\n\r\n' : '\r\n0\r\n\r\n'),
      ]);
      const client = new DockerClient(() => Promise.resolve(hostileChannel(split(wire, at), true)), { apiVersion: '1.41' });
      try {
        const res = await client.request({ path: '/images/x/get', timeoutMs: 5_000 });
        const parts: Buffer[] = [];
        for await (const c of res.body) parts.push(c as Buffer);
        expect(Buffer.concat(parts).equals(data)).toBe(true);
      } finally {
        client.close();
      }
    },
    timeout,
  );
  test('timeoutMs bounds a request whose error body never ends', async () => {
    const client = new DockerClient(() => Promise.resolve(hostileChannel([Buffer.from('HTTP/1.1 500 x\r\n\r\n')], false)), { apiVersion: '1.41' });
    const started = Date.now();
    const err = await client.request({ path: '/info', timeoutMs: 200 }).catch((e: unknown) => e as { code?: string });
    expect((err as { code?: string }).code).toBe('ERR_HTTP_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1000);
    client.close();
  });

  test('a 101 answering a plain request is ERR_HTTP_PROTOCOL, never a raw socket', async () => {
    const client = new DockerClient(
      () => Promise.resolve(hostileChannel([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n')], false)),
      { apiVersion: '1.41' },
    );
    const err = await client.json({ path: '/info' }).catch((e: unknown) => e as { code?: string; message?: string });
    expect(err).toMatchObject({
      code: 'ERR_HTTP_PROTOCOL',
      message: 'the daemon switched protocols on a request that did not ask to; check that the stream reaches a Docker daemon',
    });
    client.close();
  });
});
