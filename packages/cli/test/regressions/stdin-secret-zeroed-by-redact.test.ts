import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { redact } from '@ssh-docker/url';
import { readStdinSecrets } from '../../src/internal/stdin.js';

// A Secret made from a Buffer was zero-filled by its first redact(): redact copies the bytes with
// .slice(), a view on a Buffer, then wipes the "copy". Every later line then printed the password.
describe('a password read from stdin survives redaction', () => {
  test('the tenth redaction still masks it and the bytes are intact', async () => {
    const { password } = await readStdinSecrets(Readable.from([Buffer.from('correct horse battery\n')]), { password: true, passphrase: false });
    if (password === undefined) throw new Error('no password read');
    for (let i = 0; i < 10; i++) expect(redact('pw: correct horse battery', [password])).toBe('pw: [redacted]');
    expect(password.use((bytes) => Buffer.from(bytes).toString())).toBe('correct horse battery');
  });
});
