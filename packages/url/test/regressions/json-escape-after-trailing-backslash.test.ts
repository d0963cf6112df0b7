import { describe, expect, it } from 'vitest';
import { Secret, scrubRemoteText, WITHHELD } from '../../src/index.js';

// Found by the property test: remote text whose own backslash stands right before the
// JSON-escaped secret (`\` + `\u00a0\\ `) read as `\\` + `u00a0…` and hid the secret.
describe('a JSON-escaped secret after a backslash of the remote text', () => {
  it('is still found and its line withheld', () => {
    const secret = Secret.from('\u00a0\\ ');
    expect(scrubRemoteText('ok\n\\\\u00a0\\\\ \nok', [secret])).toBe(`ok\n${WITHHELD}\nok`);
  });

  it('is found before a quote escape too', () => {
    expect(scrubRemoteText('x\\\\u00e9\\"q', [Secret.from('é"q')])).toBe(WITHHELD);
  });
});
