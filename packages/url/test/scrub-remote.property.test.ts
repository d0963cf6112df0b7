import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { containsSecret, Secret, scrubRemoteText, WITHHELD } from '../src/index.js';
import { leaks, numRuns } from './arbitraries.js';

const special = fc.constantFrom('"', '\\', '\r', '\n', '/', ' ', '%', '+', ':', 'ü', '€', '🔑', '\u0000', '\u2028', "'", '<');
const unit = fc.oneof(special, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
/** Any length from 1: short secrets are handled like long ones. */
const secretText = fc.string({ unit, minLength: 1, maxLength: 24 });
const user = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);

function jsonAscii(text: string): string {
  // JSON-escaped with every non-ASCII character as \uXXXX (surrogate pairs for astral ones).
  return JSON.stringify(text).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Every encoding an echoing server was seen to use, and the ones next to them. */
function encodings(secret: string, name: string, pad: Buffer): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const upper = [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    jsonAscii(secret),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    upper,
    upper.toLowerCase(),
    encodeURIComponent(secret).replace(/%20/g, '+'),
    bytes.toString('base64'),
    bytes.toString('base64url'),
    Buffer.from(`${name}:${secret}`).toString('base64'),
    Buffer.concat([pad, bytes, pad]).toString('base64'),
    Buffer.from(JSON.stringify({ username: name, password: secret })).toString('base64'),
    Buffer.from(JSON.stringify({ username: name, password: secret })).toString('base64url'),
  ];
}

const line = fc.string({ maxLength: 20 }).filter((l) => !/[\r\n]/.test(l));

describe('scrubRemoteText, for generated secrets of any length and every encoding', () => {
  test.prop([secretText, user, fc.uint8Array({ minLength: 0, maxLength: 2 }), fc.nat(13), line, line, line], { numRuns })(
    'withholds exactly the line that holds the secret, keeps the others, and leaves no form of it',
    (secret, name, pad, which, before, after, other) => {
      const forms = encodings(secret, name, Buffer.from(pad));
      fc.pre(![before, after, other, WITHHELD].some((l) => containsSecret(l, [secret])));
      const form = forms[which % forms.length]!;
      const text = `${other}\n${before}${form}${after}\n${other}`;
      const out = scrubRemoteText(text, [Secret.from(secret)]);
      if (/[\r\n]/.test(form)) {
        // A secret that spans lines is withheld with everything around it.
        expect(out).toBe(WITHHELD);
      } else if (!/[\r\n]/.test(secret)) {
        // (A secret with a line break in it may also match the separators around the line.)
        expect(out).toBe(`${other}\n${WITHHELD}\n${other}`);
      }
      expect(containsSecret(out, [secret])).toBe(false);
      expect(leaks(out, secret)).toBe(false);
    },
  );

  test.prop([secretText, user, fc.uint8Array({ minLength: 0, maxLength: 2 })], { numRuns })('containsSecret finds every encoding', (secret, name, pad) => {
    for (const form of encodings(secret, name, Buffer.from(pad))) expect(containsSecret(`x ${form} y`, [secret])).toBe(true);
  });

  test.prop([secretText, fc.array(line, { maxLength: 5 })], { numRuns })(
    'text without the secret comes back unchanged (only URL passwords are masked)',
    (secret, lines) => {
      const text = lines.join('\n');
      fc.pre(!containsSecret(text, [secret]) && !/:\/\//.test(text));
      expect(scrubRemoteText(text, [secret])).toBe(text);
    },
  );
});

describe('scrubRemoteText after the Secret was cleared (it keeps a keyed digest, not the bytes)', () => {
  const cleared = (text: string): Secret => {
    const secret = Secret.from(text);
    secret.clear();
    return secret;
  };

  test.prop([secretText, user, fc.uint8Array({ minLength: 0, maxLength: 2 }), fc.nat(13), line, line, line], { numRuns })(
    'withholds the line in every encoding, as with the live bytes',
    (secret, name, pad, which, before, after, other) => {
      const forms = encodings(secret, name, Buffer.from(pad));
      fc.pre(![before, after, other, WITHHELD].some((l) => containsSecret(l, [secret])));
      const form = forms[which % forms.length]!;
      const text = `${other}\n${before}${form}${after}\n${other}`;
      const gone = cleared(secret);
      expect(gone.cleared).toBe(true);
      expect(containsSecret(text, [gone])).toBe(true);
      const out = scrubRemoteText(text, [gone]);
      // The same answer as with the bytes at hand: the digest misses nothing the bytes find.
      expect(out).toBe(scrubRemoteText(text, [secret]));
      expect(containsSecret(out, [secret])).toBe(false);
      expect(leaks(out, secret)).toBe(false);
    },
  );

  test.prop([secretText, fc.array(line, { maxLength: 5 })], { numRuns })('text without the secret comes back unchanged', (secret, lines) => {
    const text = lines.join('\n');
    fc.pre(!containsSecret(text, [secret]) && !/:\/\//.test(text));
    expect(scrubRemoteText(text, [cleared(secret)])).toBe(text);
  });
});
