import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/index.js';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs main() in-process with captured output; stdin holds `stdin` (nothing when undefined). */
export async function run(
  argv: readonly string[],
  options: { stdin?: string | Uint8Array; env?: Record<string, string | undefined>; signal?: AbortSignal } = {},
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Readable.from(options.stdin === undefined ? [] : [typeof options.stdin === 'string' ? Buffer.from(options.stdin) : Buffer.from(options.stdin)]);
  const code = await main(argv, {
    stdout,
    stderr,
    stdin,
    env: options.env ?? { HOME: '/nonexistent-home', PATH: process.env['PATH'] },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
