import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { MAX_STDIN_BYTES, readStdinSecrets } from '../src/internal/stdin.js';
import type { Secret } from '@ssh-docker/url';

const bytesOf = (secret: Secret | undefined): string => secret?.use((b) => Buffer.from(b).toString('latin1')) ?? '<none>';

function stdin(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c)));
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a failure');
}

describe('readStdinSecrets', () => {
  test('reads the password as bytes, dropping one line ending', async () => {
    expect(bytesOf((await readStdinSecrets(stdin('pa', 'ss\xff word\r\n'), { password: true, passphrase: false })).password)).toBe('pass\xff word');
    expect(bytesOf((await readStdinSecrets(stdin('two\n\n'), { password: true, passphrase: false })).password)).toBe('two\n');
  });

  test('with both flags, the first line is the password and the rest the passphrase', async () => {
    const read = await readStdinSecrets(stdin('pw\r\nphrase\n'), { password: true, passphrase: true });
    expect([bytesOf(read.password), bytesOf(read.passphrase)]).toEqual(['pw', 'phrase']);
  });

  test('reads nothing when no flag asks', async () => {
    expect(await readStdinSecrets(stdin('unused'), { password: false, passphrase: false })).toEqual({});
  });

  test('an empty secret is refused', async () => {
    expect(await failure(readStdinSecrets(stdin('\n'), { password: true, passphrase: false }))).toEqual({
      code: 'ERR_STDIN',
      message: '--password-stdin read an empty secret from stdin',
    });
  });

  test('both flags need two lines', async () => {
    expect(await failure(readStdinSecrets(stdin('only-one'), { password: true, passphrase: true }))).toEqual({
      code: 'ERR_STDIN',
      message: 'with --password-stdin and --passphrase-stdin, stdin must hold the password, a newline, then the passphrase',
    });
  });

  test('more than 64 KiB is refused', async () => {
    expect(await failure(readStdinSecrets(stdin(Buffer.alloc(MAX_STDIN_BYTES + 1, 0x61)), { password: false, passphrase: true }))).toEqual({
      code: 'ERR_STDIN',
      message: 'stdin holds more than 65536 bytes; pipe only the secret',
    });
  });

  test('a terminal is refused, since it would echo the secret', async () => {
    const tty = Object.assign(stdin('x'), { isTTY: true });
    expect(await failure(readStdinSecrets(tty, { password: true, passphrase: false }))).toEqual({
      code: 'ERR_STDIN',
      message: '--password-stdin read a pipe or a file, not a terminal (it would echo): pipe the secret in',
    });
  });

  test("the stream's buffers are zero-filled after reading", async () => {
    const chunk = Buffer.from('secret\n');
    await readStdinSecrets(Readable.from([chunk]), { password: true, passphrase: false });
    expect(chunk.every((b) => b === 0)).toBe(true);
  });
});
