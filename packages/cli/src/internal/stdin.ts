import type { Readable } from 'node:stream';
import { Secret } from '@ssh-docker/url';

/** More than this on stdin is not a password. */
export const MAX_STDIN_BYTES = 64 * 1024;

/** A failure to read a secret from stdin (`ERR_STDIN`). The message never holds what was read. */
export class StdinError extends Error {
  override readonly name = 'StdinError';
  readonly code = 'ERR_STDIN';
}

async function readAll(stdin: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stdin) {
      // The stream's own buffers are kept (not copied) so that they are wiped below.
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += bytes.length;
      chunks.push(bytes);
      if (total > MAX_STDIN_BYTES) throw new StdinError(`stdin holds more than ${MAX_STDIN_BYTES} bytes; pipe only the secret`);
    }
    return Buffer.concat(chunks);
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}

/** Drops one line ending (`\n` or `\r\n`), as `docker login --password-stdin` does. */
function chomp(bytes: Buffer): Buffer {
  if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0a) {
    return bytes.subarray(0, bytes.length > 1 && bytes[bytes.length - 2] === 0x0d ? -2 : -1);
  }
  return bytes;
}


/**
 * Reads the password and/or passphrase from stdin, as bytes, into Secrets. With one of them,
 * stdin is the secret (one trailing newline dropped); with both, the first line is the password
 * and the rest the passphrase. Every intermediate buffer is zero-filled.
 */
export async function readStdinSecrets(
  stdin: Readable,
  want: { readonly password: boolean; readonly passphrase: boolean },
): Promise<{ password?: Secret; passphrase?: Secret }> {
  if (!want.password && !want.passphrase) return {};
  const flags = [want.password ? '--password-stdin' : '', want.passphrase ? '--passphrase-stdin' : ''].filter((f) => f !== '').join(' and ');
  if ((stdin as Readable & { isTTY?: boolean }).isTTY === true) {
    throw new StdinError(`${flags} read a pipe or a file, not a terminal (it would echo): pipe the secret in`);
  }
  const all = await readAll(stdin);
  try {
    const parts: Buffer[] = [];
    if (want.password && want.passphrase) {
      const newline = all.indexOf(0x0a);
      if (newline < 0) throw new StdinError('with --password-stdin and --passphrase-stdin, stdin must hold the password, a newline, then the passphrase');
      parts.push(all.subarray(0, newline > 0 && all[newline - 1] === 0x0d ? newline - 1 : newline), chomp(all.subarray(newline + 1)));
    } else {
      parts.push(chomp(all));
    }
    if (parts.some((p) => p.length === 0)) throw new StdinError(`${flags} read an empty secret from stdin`);
    const secrets = parts.map((part) => Secret.from(part));
    if (want.password && want.passphrase) return { password: secrets[0] as Secret, passphrase: secrets[1] as Secret };
    return want.password ? { password: secrets[0] as Secret } : { passphrase: secrets[0] as Secret };
  } finally {
    all.fill(0);
  }
}
