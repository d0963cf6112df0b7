import { describe, expect, it } from 'vitest';
import { redact, Secret } from '../src/index.js';

describe('redact', () => {
  it.each([
    ['connect ssh://ci:hunter2@build-1 failed', 'connect ssh://ci:[redacted]@build-1 failed'],
    ['a https://u:p@h/x and tcp://v:q@k:1', 'a https://u:[redacted]@h/x and tcp://v:[redacted]@k:1'],
    ['ssh://u:p@ss@h', 'ssh://u:[redacted]@h'],
    ['ssh://u:pa/ss@h/path', 'ssh://u:[redacted]@h/path'],
    ['ssh://u:pa#ss@h', 'ssh://u:[redacted]@h'],
    ['"ssh://u:p@h"', '"ssh://u:[redacted]@h"'],
    ['ssh://user@host keeps the user', 'ssh://user@host keeps the user'],
    ['http://localhost:8080/x keeps the port', 'http://localhost:8080/x keeps the port'],
    ['no url here: user:pass', 'no url here: user:pass'],
  ])('masks URL passwords in %j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('fails closed when an @ after the path makes the userinfo unclear', () => {
    expect(redact('git https://host:443/a@b')).toBe('git https://host:[redacted]@b');
  });

  it('masks a secret in raw, percent-encoded and base64 forms', () => {
    const secret = Secret.from('p@ss w/rd');
    const b64 = Buffer.from('p@ss w/rd').toString('base64');
    const text = `raw p@ss w/rd pct p%40ss%20w%2Frd lower p%40ss%20w%2frd plus p%40ss+w%2Frd all ${encodeURIComponent('p@ss w/rd')} b64 ${b64} url ${Buffer.from('p@ss w/rd').toString('base64url')}`;
    const out = redact(text, [secret]);
    expect(out).toBe('raw [redacted] pct [redacted] lower [redacted] plus [redacted] all [redacted] b64 [redacted] url [redacted]');
  });

  it('masks a password inside a Basic authorization header at any alignment', () => {
    for (const user of ['u', 'us', 'use']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:correct-horse-battery`).toString('base64')}`;
      const out = redact(header, ['correct-horse-battery']);
      expect(out).toContain('[redacted]');
      expect(Buffer.from(out.split(' ').pop()!.replace('[redacted]', ''), 'base64').toString('latin1')).not.toContain('horse-batt');
    }
  });

  it('masks a JSON-escaped secret', () => {
    expect(redact(JSON.stringify({ p: 'a"b\\c-secret' }), ['a"b\\c-secret'])).toBe('{"p":"[redacted]"}');
  });

  it('never writes a secret back through the mask', () => {
    expect(redact('edacted', ['e'])).not.toContain('e');
    expect(redact('a]xx', [']x'])).not.toContain(']x');
  });

  it('skips cleared and empty secrets and leaves the input unchanged', () => {
    const cleared = Secret.from('abc');
    cleared.clear();
    const text = 'abc';
    expect(redact(text, [cleared, ''])).toBe('abc');
    expect(text).toBe('abc');
  });

  it('refuses non-string text and unknown secret types, as caller mistakes', () => {
    expect(() => redact(1 as unknown as string)).toThrow(new TypeError('redact() takes text as a string'));
    expect(() => redact('x', [1 as unknown as string])).toThrow(new TypeError('redact() takes secrets as Secret, string or Uint8Array'));
  });
});
