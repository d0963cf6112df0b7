import { openSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import type { CredentialContext } from '@ssh-docker/transport';
import { printable } from '@ssh-docker/transport';
import { Secret } from '@ssh-docker/url';
import { StdinError } from './stdin.js';

/** Longer than any passphrase a person types; more is refused rather than cut. */
const MAX_PASSPHRASE_BYTES = 1024;

/** The prompt, in ssh's words (sshconnect2.c: "Enter passphrase for key '%s': "), the path made printable. */
export function passphrasePrompt(context: Pick<CredentialContext, 'identityFile'>): string {
  return context.identityFile === undefined ? 'Enter passphrase: ' : `Enter passphrase for key '${printable(context.identityFile)}': `;
}

/**
 * Asks on the terminal (`/dev/tty`, as ssh's read_passphrase()), with echo off: the terminal is put
 * in raw mode for the answer, so nothing typed is shown, and restored after. Backspace and Ctrl-U
 * edit; Enter ends; Ctrl-C or Ctrl-D abandons. Every buffer that held typed bytes is zero-filled.
 */
function askHidden(ttyPath: string, prompt: string): Promise<Secret> {
  let fd: number;
  try {
    fd = openSync(ttyPath, 'r+');
  } catch {
    return Promise.reject(new StdinError('there is no terminal to ask for the passphrase on: pipe it to --passphrase-stdin'));
  }
  const input = new ReadStream(fd);
  const typed = Buffer.alloc(MAX_PASSPHRASE_BYTES);
  let length = 0;
  return new Promise<Secret>((resolve, reject) => {
    let settled = false;
    const finish = (result: Secret | Error): void => {
      if (settled) return;
      settled = true;
      input.removeAllListeners('data');
      try {
        input.setRawMode(false);
        writeSync(fd, '\n');
      } catch {
        // The terminal went away: nothing to restore.
      }
      input.destroy(); // closes fd
      typed.fill(0);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    input.on('error', () => {
      finish(new StdinError('the terminal closed while the passphrase was asked: pipe it to --passphrase-stdin'));
    });
    input.on('data', (chunk: Buffer) => {
      try {
        for (const byte of chunk) {
          if (byte === 0x0d || byte === 0x0a) {
            if (length === 0) {
              finish(new StdinError('no passphrase was typed: type it at the prompt, or pipe it to --passphrase-stdin'));
              return;
            }
            finish(Secret.from(typed.subarray(0, length)));
            return;
          }
          if (byte === 0x03 || byte === 0x04) {
            finish(new StdinError('the passphrase prompt was abandoned (Ctrl-C or Ctrl-D)'));
            return;
          }
          if (byte === 0x7f || byte === 0x08) length = Math.max(0, length - 1);
          else if (byte === 0x15) length = 0;
          else if (length < typed.length) typed[length++] = byte;
          else {
            finish(new StdinError(`the passphrase typed is longer than ${MAX_PASSPHRASE_BYTES} bytes`));
            return;
          }
        }
      } finally {
        chunk.fill(0);
      }
    });
    try {
      input.setRawMode(true);
      writeSync(fd, prompt);
    } catch {
      finish(new StdinError('the terminal cannot turn echo off: pipe the passphrase to --passphrase-stdin'));
    }
  });
}

/**
 * A passphrase provider for the transport that asks once on the terminal, when an encrypted key is
 * first met (after the host key was verified), then lends copies of the answer for reconnects. The
 * answer is pushed to `keep`, which the CLI clears at exit.
 */
export function ttyPassphrase(keep: Secret[], ttyPath = '/dev/tty'): (context: CredentialContext) => Promise<Secret> {
  let answer: Promise<Secret> | undefined;
  return async (context) => {
    answer ??= askHidden(ttyPath, passphrasePrompt(context)).then(
      (secret) => {
        keep.push(secret);
        return secret;
      },
      (err: unknown) => {
        answer = undefined;
        throw err;
      },
    );
    const secret = await answer;
    return secret.use((bytes) => Secret.from(bytes));
  };
}
