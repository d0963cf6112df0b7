import { describe, expect, test } from 'vitest';
import { containsSecret, Secret, scrubRemoteText, WITHHELD } from '../../src/index.js';

// Audit 11.11: with passphrase `key` the CLI printed "tried [redacted] /tmp/x/[redacted]s/enc …
// authorized_[redacted]s"; with `wrong`, "([redacted] passphrase)". Masks placed inside ordinary
// words tell the reader the secret. Remote text is now withheld a whole line at a time, with one
// constant marker; our own text never holds a secret and is not rewritten.

describe('redaction never reveals a secret by the shape of its replacements', () => {
  test('a short secret inside ordinary words of remote text withholds the whole line, not the letters', () => {
    const text = 'tried key /tmp/x/keys/enc\nno authorized_keys entry\nbye';
    const out = scrubRemoteText(text, [Secret.from('key')]);
    expect(out).toBe(`${WITHHELD}\n${WITHHELD}\nbye`);
    expect(out).not.toMatch(/\[redacted\]s|_\[redacted\]/);
  });

  test('the marker is the same whatever the secret and wherever it was', () => {
    const a = scrubRemoteText('wrong passphrase', ['wrong']);
    const b = scrubRemoteText('wrong passphrase', ['pass']);
    const c = scrubRemoteText('wrong passphrase', ['wrong passphrase']);
    expect(new Set([a, b, c])).toEqual(new Set([WITHHELD]));
  });

  test('a 3-character password echoed as base64 of user:pass, percent-encoded or JSON-escaped is withheld', () => {
    const pw = 'p"ü';
    for (const form of [Buffer.from(`bob:${pw}`).toString('base64'), encodeURIComponent(pw).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()), '"p\\"\\u00fc"']) {
      expect(scrubRemoteText(`denied: ${form}`, [pw])).toBe(WITHHELD);
    }
  });

  test("the issue's password p\"q\\r/ü€ x in every echoed form", () => {
    const pw = 'p"q\r/ü€ x';
    const forms = [
      pw,
      JSON.stringify(pw),
      '"p\\"q\\r\\/\\u00fc\\u20ac x"',
      encodeURIComponent(pw),
      encodeURIComponent(pw).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
      encodeURIComponent(pw).replace(/%20/g, '+'),
      Buffer.from(`alice:${pw}`).toString('base64'),
      Buffer.from(pw).toString('base64url'),
      Buffer.from(JSON.stringify({ username: 'alice', password: pw })).toString('base64url'),
    ];
    for (const form of forms) {
      const out = scrubRemoteText(`unauthorized: ${form}`, [Secret.from(pw)]);
      expect(out).toBe(WITHHELD);
      expect(containsSecret(out, [pw])).toBe(false);
    }
  });
});
