import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { fingerprint, hashHostName } from '../src/index.js';
import { blob, vectors } from './helpers.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

describe('fingerprint', () => {
  test('a blob, its base64 and a public-key line give the same fingerprint as ssh-keygen -lf', () => {
    const { type, blob: b64, fingerprint: expected } = vectors.keys.B;
    expect(fingerprint(blob('B'))).toBe(expected);
    expect(fingerprint(b64)).toBe(expected);
    expect(fingerprint(`${type} ${b64} someone@example\n`)).toBe(expected);
    expect(fingerprint(new Uint8Array(blob('B')))).toBe(expected);
  });

  test('something that is not a key is a TypeError', () => {
    expect(() => fingerprint('ssh-ed25519 AAAA')).toThrow(new TypeError('key is not an SSH public key that OpenSSH would accept'));
    expect(() => fingerprint(Buffer.alloc(0))).toThrow(new TypeError('key is not an SSH public key that OpenSSH would accept'));
    expect(() => fingerprint(7 as unknown as string)).toThrow(new TypeError('key must be a public-key blob, its base64, or a public-key line'));
  });
});

describe('hashHostName', () => {
  test('a fixed salt gives the line ssh-keygen -H wrote, and a random salt a well-formed one', () => {
    const { name, hashed } = vectors.hash[0]!;
    expect(hashHostName(name, Buffer.from(hashed.split('|')[2]!, 'base64'))).toBe(hashed);
    expect(hashHostName('myhost')).toMatch(/^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}=$/);
  });

  test('the name is lower-cased as ssh-keygen -H does', () => {
    const salt = Buffer.alloc(20, 7);
    expect(hashHostName('MyHost', salt)).toBe(hashHostName('myhost', salt));
  });

  test('caller mistakes are TypeError or RangeError', () => {
    expect(() => hashHostName('')).toThrow(new TypeError('name must be a non-empty string'));
    expect(() => hashHostName('h', Buffer.alloc(16))).toThrow(new RangeError('salt must be exactly 20 bytes (one SHA-1 HMAC block, hostfile.c)'));
  });

  fcTest.prop([fc.string({ minLength: 1, maxLength: 64 })], { numRuns })('two hashes of one name differ (fresh salt) but both have the |1| form', (name) => {
    const a = hashHostName(name);
    const b = hashHostName(name);
    expect(a).not.toBe(b);
    expect(a.startsWith('|1|')).toBe(true);
  });
});
