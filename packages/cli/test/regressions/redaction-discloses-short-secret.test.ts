import { Readable, Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { main } from '../../src/main.js';

/** Runs the CLI in-process with `stdin` as its input; resolves with stdout + stderr. */
async function run(argv: string[], stdin: string): Promise<string> {
  let text = '';
  const sink = (): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
  await main(argv, { stdout: sink(), stderr: sink(), stdin: Readable.from([Buffer.from(stdin)]), env: { HOME: '/nonexistent-home' } });
  return text;
}

// Attack (issue 11.11): a short passphrase that occurs inside the CLI's own words. The CLI's text
// holds no secret (the target has no password), so any mask at all tells the reader which letters
// the passphrase is made of — and the choice between '[redacted]' and '***' tells whether it occurs
// in '[redacted]'.
test.each(['e', 'o', 'key', 'host', 'ssh'])('check --passphrase-stdin with passphrase %j prints no mask in its own text', async (passphrase) => {
  // Port 1 on loopback: refused at once, so the report is printed in full.
  const out = await run(['check', 'ssh://u@127.0.0.1:1', '-F', 'none', '--passphrase-stdin'], `${passphrase}\n`);
  expect(out).toContain('Checking ssh://u@127.0.0.1:1');
  expect(out).toContain('ERR_CONNECTION_REFUSED');
  expect(out).not.toContain('[redacted]');
  expect(out).not.toContain('***');
});
