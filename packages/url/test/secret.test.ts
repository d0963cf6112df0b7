import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret } from '../src/index.js';

describe('Secret', () => {
  it('lends its bytes, UTF-8 encoded', () => {
    const secret = Secret.from('pässword');
    expect(secret.use((bytes) => Buffer.from(bytes).toString('utf8'))).toBe('pässword');
    expect(secret.byteLength).toBe(9);
  });

  it('copies a Uint8Array, so that the caller can wipe its own', () => {
    const source = Buffer.from('hunter2');
    const secret = Secret.from(source);
    source.fill(0);
    expect(secret.use((bytes) => Buffer.from(bytes).toString())).toBe('hunter2');
  });

  it('zero-fills the bytes it lent on clear()', () => {
    const secret = Secret.from('hunter2');
    const lent = secret.use((bytes) => bytes);
    secret.clear();
    expect([...lent]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(secret.cleared).toBe(true);
    expect(secret.byteLength).toBe(0);
    secret.clear();
    expect(secret.cleared).toBe(true);
  });

  it('refuses use() after clear()', () => {
    const secret = Secret.from('x');
    secret.clear();
    expect(() => secret.use(() => 1)).toThrow(new TypeError('this Secret was cleared after use; supply a new one'));
  });

  it('shows [redacted] in every rendering', () => {
    const secret = Secret.from('hunter2');
    expect(String(secret)).toBe('[redacted]');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the rendering under test
    expect(`${secret}`).toBe('[redacted]');
    // eslint-disable-next-line @typescript-eslint/restrict-plus-operands -- the coercion under test
    expect(secret + '').toBe('[redacted]');
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect(secret)).toBe('[redacted]');
    expect(inspect(secret, { showHidden: true, depth: null })).toBe('[redacted]');
    expect(inspect({ a: { b: secret } }, { showHidden: true, depth: null })).not.toContain('hunter2');
    expect(Object.keys(secret)).toEqual([]);
    expect(Object.getOwnPropertySymbols(secret)).toEqual([]);
    expect(Object.getOwnPropertyNames(secret)).toEqual([]);
  });

  it('refuses other types, as a caller mistake', () => {
    expect(() => Secret.from(42 as unknown as string)).toThrow(new TypeError('Secret.from() takes a string or a Uint8Array'));
  });
});
