// Regression: redact() wiped its copy of a Secret's bytes, but for a Secret made from a Buffer that
// "copy" was a Buffer#slice view of the Secret's own bytes: the first redact() zero-filled the
// Secret, and later ones masked nothing.
import { expect, it } from 'vitest';
import { redact, Secret } from '../../src/index.js';

it('redact() leaves a Secret made from a Buffer intact, call after call', () => {
  const secret = Secret.from(Buffer.from('hunter2-s3cret'));
  expect(redact('a hunter2-s3cret b', [secret])).toBe('a [redacted] b');
  expect(redact('a hunter2-s3cret b', [secret])).toBe('a [redacted] b');
  expect(secret.use((b) => Buffer.from(b).toString())).toBe('hunter2-s3cret');
});

it('redact() leaves a Buffer given as a secret intact', () => {
  const bytes = Buffer.from('hunter2-s3cret');
  expect(redact('hunter2-s3cret', [bytes])).toBe('[redacted]');
  expect(bytes.toString()).toBe('hunter2-s3cret');
});

it('Secret.from(buffer) owns its bytes: wiping the source or the Secret leaves the other alone', () => {
  const source = Buffer.from('hunter2-s3cret');
  const secret = Secret.from(source);
  secret.clear();
  expect(source.toString()).toBe('hunter2-s3cret');
});
