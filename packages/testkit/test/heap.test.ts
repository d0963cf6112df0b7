import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { heapContains } from '../src/index.js';

// The needles are built from Buffers, so that the test itself never holds the whole string.
const needle = (prefix: string, bytes: Buffer): Buffer => Buffer.concat([Buffer.from(prefix), Buffer.from(bytes.toString('hex'))]);

// A snapshot of a vitest worker is ~100 MB of JSON: each call takes seconds.
describe('heapContains', { timeout: 120_000 }, () => {
  test('finds a string that is still referenced', async () => {
    const bytes = randomBytes(16);
    const holder = { value: `kept-${bytes.toString('hex')}` };
    expect(await heapContains(needle('kept-', bytes))).toBe(true);
    expect(holder.value.length).toBeGreaterThan(0);
  });

  test('finds a string held in UTF-16 form when given its UTF-16LE bytes', async () => {
    const bytes = randomBytes(8);
    const holder = [`ünï-${bytes.toString('hex')}`];
    const utf16 = Buffer.from(needle('ünï-', bytes).toString('utf8'), 'utf16le');
    expect(await heapContains(utf16)).toBe(true);
    expect(holder).toHaveLength(1);
  });

  test('does not find a string once nothing references it', async () => {
    const bytes = randomBytes(16);
    let holder: { value: string } | undefined = { value: `gone-${bytes.toString('hex')}` };
    expect(holder.value.startsWith('gone-')).toBe(true);
    holder = undefined;
    expect(await heapContains(needle('gone-', bytes))).toBe(false);
  });

  test('does not see bytes that live only in a Buffer (snapshots hold no ArrayBuffer contents)', async () => {
    const secret = Buffer.concat([Buffer.from('only-bytes-'), randomBytes(12)]);
    expect(await heapContains(secret)).toBe(false);
    expect(secret.length).toBeGreaterThan(0);
  });
});
