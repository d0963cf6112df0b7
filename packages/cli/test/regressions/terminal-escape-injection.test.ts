import { PassThrough } from 'node:stream';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { renderStep } from '../../src/internal/commands/check.js';
import { Printer, TERMINAL } from '../../src/internal/output.js';

/** Everything a terminal acts on: C0 (but \n), DEL, C1, bidi controls, line separators. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function printed(write: (p: Printer) => void, isTTY = false): string {
  const stream = Object.assign(new PassThrough(), { isTTY });
  let out = '';
  stream.on('data', (c: Buffer) => (out += c.toString('utf8')));
  write(new Printer(stream));
  return out;
}

describe('remote text cannot act on the terminal', () => {
  test('a window-title, clear-screen and colour sequence in `docker --version` is shown, not obeyed', () => {
    const out = printed((p) => {
      p.line(renderStep({ name: 'docker CLI', status: 'ok', ms: 1, detail: 'Docker version 27\x1b]0;pwned\x07\x1b[2J\x1b[31m\u202etxt.exe\x9b1m' }));
    });
    expect(out).toBe('✓ docker CLI     1.0 ms  Docker version 27\\x1b]0;pwned\\x07\\x1b[2J\\x1b[31m\\u{202e}txt.exe\\x9b1m\n');
  });

  test.prop([fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 200 })])('for any remote text or bytes, the output holds no control character but our \\n', (text, bytes) => {
    const remote = text + Buffer.from(bytes).toString('utf8');
    const out = printed((p) => {
      p.line(renderStep({ name: 'daemon ping', status: 'failed', ms: 1, detail: remote, code: 'ERR_REMOTE_NOT_HTTP' }));
      p.write(remote);
    });
    expect(out).not.toMatch(CONTROL);
  });

  test("the program's own sequence reaches a terminal, and only a terminal", () => {
    expect(printed((p) => p.control(TERMINAL.clearLine), true)).toBe('\r\x1b[2K');
    expect(printed((p) => p.control(TERMINAL.clearLine), false)).toBe('');
  });
});
