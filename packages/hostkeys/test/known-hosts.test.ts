import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { hashHostName, KnownHosts } from '../src/index.js';
import { blob, line, vectors } from './helpers.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

describe('KnownHosts.parse', () => {
  test('invalid lines become warnings with their source and line number, and valid lines still count', () => {
    const text = [
      '# comment',
      'garbage',
      'myhost ssh-ed25519',
      'myhost ssh-foo AAAA',
      '@bogus myhost ' + line('', 'A').trim(),
      '|2|abc|def ' + line('', 'A').trim(),
      'myhost ssh-rsa ' + vectors.keys.A.blob,
      'myhost ssh-ed25519 AAAA!!!!',
      line('myhost', 'A'),
    ].join('\n');
    const kh = KnownHosts.parse(text, { source: 'kh.txt' });
    expect(kh.warnings).toEqual([
      { source: 'kh.txt', line: 2, reason: 'missing key type and key after the host names' },
      { source: 'kh.txt', line: 3, reason: 'missing key after the key type' },
      { source: 'kh.txt', line: 4, reason: 'unknown key type' },
      { source: 'kh.txt', line: 5, reason: 'invalid marker: only one of @cert-authority or @revoked, followed by a space, is allowed' },
      { source: 'kh.txt', line: 6, reason: 'invalid hashed host name: expected |1|base64(20-byte salt)|base64(HMAC-SHA1)' },
      { source: 'kh.txt', line: 7, reason: 'key type field does not match the key' },
      { source: 'kh.txt', line: 8, reason: 'key is not valid base64' },
    ]);
    expect(kh.size).toBe(1);
    expect(kh.verify({ host: 'myhost', key: blob('A') }).status).toBe('trusted');
  });

  test('a NUL byte ends a line, as in OpenSSH C strings, and CRLF blank lines are not warnings', () => {
    const kh = KnownHosts.parse(`${line('myhost', 'A')}\0 trailing\r\n\r\nmy\0host ${line('', 'X').trim()}\r\n`, { source: 'kh' });
    expect(kh.warnings).toEqual([{ source: 'kh', line: 3, reason: 'missing key type and key after the host names' }]);
    expect(kh.verify({ host: 'myhost', key: blob('A') }).status).toBe('trusted');
  });

  test('the default source is <text>', () => {
    expect(KnownHosts.parse('x').warnings[0]?.source).toBe('<text>');
  });

  test('a text that is not a string is a TypeError', () => {
    expect(() => KnownHosts.parse(42 as unknown as string)).toThrow(new TypeError('text must be a string'));
  });

  fcTest.prop([fc.string({ unit: 'binary', maxLength: 400 })], { numRuns })('parse never throws on any text', (text) => {
    const kh = KnownHosts.parse(text);
    expect(kh.warnings.every((w) => w.line >= 1)).toBe(true);
  });

  fcTest.prop(
    [
      fc.array(
        fc.oneof(
          fc.constantFrom('@revoked', '@cert-authority', '#', '|1|', '|2|', '!', '*', '?', ',', ' ', '\t', '\r', '\n', '[', ']:22'),
          fc.constantFrom(...Object.values(vectors.keys).flatMap((k) => [k.type, k.blob, k.blob.slice(0, 30)])),
          fc.string({ maxLength: 8 }),
        ),
        { maxLength: 30 },
      ),
    ],
    { numRuns },
  )('parse never throws on known_hosts-like text, and verify answers for it', (parts) => {
    const kh = KnownHosts.parse(parts.join(''));
    expect(['trusted', 'unknown', 'changed', 'revoked']).toContain(kh.verify({ host: 'myhost', port: 2222, key: blob('A') }).status);
  });
});

describe('KnownHosts.load', () => {
  test('missing files are skipped, unreadable ones become a warning, and lines keep their file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkeys-load-'));
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, `${line('other', 'X')}\n`);
    writeFileSync(b, `\n${line('myhost', 'A')}\n`);
    const asDir = join(dir, 'is-a-directory');
    mkdirSync(asDir);
    const kh = KnownHosts.load([join(dir, 'missing'), a, asDir, b]);
    expect(kh.warnings).toEqual([{ source: asDir, line: 0, reason: 'file could not be read (EISDIR)' }]);
    expect(kh.paths).toEqual([join(dir, 'missing'), a, asDir, b]);
    const r = kh.verify({ host: 'myhost', key: blob('A') });
    expect(r.matches).toEqual([
      { source: b, line: 2, keyType: 'ssh-ed25519', fingerprint: vectors.keys.A.fingerprint, marker: null, sameKey: true },
    ]);
  });

  test('a file without read permission becomes a warning, not an exception', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkeys-load-'));
    const f = join(dir, 'kh');
    writeFileSync(f, line('myhost', 'A'));
    chmodSync(f, 0o000);
    const kh = KnownHosts.load([f]);
    // root reads anything; everyone else gets EACCES.
    if (process.getuid?.() === 0) expect(kh.warnings).toEqual([]);
    else expect(kh.warnings).toEqual([{ source: f, line: 0, reason: 'file could not be read (EACCES)' }]);
  });

  test('paths that are not an array of strings are a TypeError', () => {
    expect(() => KnownHosts.load('x' as unknown as string[])).toThrow(new TypeError('paths must be an array of non-empty strings'));
  });
});

describe('KnownHosts.verify', () => {
  test('a changed result lists every plain line of the name, with file and line', () => {
    const kh = KnownHosts.parse([line('myhost', 'X'), line('other', 'A'), line('myhost', 'B'), `@cert-authority ${line('myhost', 'Z')}`].join('\n'), {
      source: 'kh',
    });
    const r = kh.verify({ host: 'myhost', key: blob('A') });
    expect(r.status).toBe('changed');
    expect(r.lookupName).toBe('myhost');
    expect(r.matches.map((m) => [m.line, m.keyType, m.fingerprint])).toEqual([
      [1, 'ssh-ed25519', vectors.keys.X.fingerprint],
      [3, 'ssh-rsa', vectors.keys.B.fingerprint],
    ]);
    expect(r.candidates.map((m) => [m.line, m.marker])).toEqual([
      [1, null],
      [3, null],
      [4, 'cert-authority'],
    ]);
  });

  test('a revoked result lists the @revoked lines', () => {
    const kh = KnownHosts.parse([line('myhost', 'A'), `@revoked ${line('*', 'A')}`].join('\n'), { source: 'kh' });
    const r = kh.verify({ host: 'myhost', key: blob('A') });
    expect(r.status).toBe('revoked');
    expect(r.matches.map((m) => [m.line, m.marker])).toEqual([[2, 'revoked']]);
  });

  test('an unknown result lists the @cert-authority lines that named the host', () => {
    const kh = KnownHosts.parse(`@cert-authority ${line('*.example.com', 'A')}`, { source: 'kh' });
    const r = kh.verify({ host: 'web.example.com', port: 2222, key: blob('A') });
    expect(r.status).toBe('unknown');
    expect(r.lookupName).toBe('[web.example.com]:2222');
    expect(r.matches.map((m) => [m.line, m.marker])).toEqual([[1, 'cert-authority']]);
  });

  test('a key trusted only through the bare-host fallback reports the bare name', () => {
    const kh = KnownHosts.parse(line('myhost', 'A'));
    const r = kh.verify({ host: 'MyHost', port: 2222, key: blob('A') });
    expect(r).toMatchObject({ status: 'trusted', lookupName: 'myhost' });
  });

  test('an RSA key written with leading zero bytes in its integers is the same key', () => {
    const b = blob('B');
    // Re-encode e with a redundant leading zero: OpenSSH strips leading zeros when it decodes.
    const typeLen = b.readUInt32BE(0);
    const eOff = 4 + typeLen;
    const eLen = b.readUInt32BE(eOff);
    const e = b.subarray(eOff + 4, eOff + 4 + eLen);
    const rest = b.subarray(eOff + 4 + eLen);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(eLen + 1);
    const padded = Buffer.concat([b.subarray(0, eOff), len, Buffer.of(0), e, rest]);
    const kh = KnownHosts.parse(`myhost ssh-rsa ${padded.toString('base64')}`);
    expect(kh.verify({ host: 'myhost', key: blob('B') }).status).toBe('trusted');
  });

  test('caller mistakes are TypeError or RangeError', () => {
    const kh = KnownHosts.parse('');
    expect(() => kh.verify({ host: '', key: blob('A') })).toThrow(new TypeError('host must be a non-empty string'));
    expect(() => kh.verify({ host: 'h', port: 0, key: blob('A') })).toThrow(new RangeError('port must be an integer from 1 to 65535'));
    expect(() => kh.verify({ host: 'h', port: 22.5, key: blob('A') })).toThrow(RangeError);
    expect(() => kh.verify({ host: 'h', key: 'AAAA' as unknown as Buffer })).toThrow(
      new TypeError('key must be the SSH wire-format public-key blob (a Buffer or Uint8Array)'),
    );
    expect(() => kh.verify({ host: 'h', key: Buffer.from('not a key') })).toThrow(
      new TypeError('key is not an SSH public-key blob that OpenSSH would accept'),
    );
    expect(() => kh.verify({ host: 'h', hostKeyAlias: '', key: blob('A') })).toThrow(
      new TypeError('hostKeyAlias must be a non-empty string when given'),
    );
  });

  const hostArb = fc
    .array(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 4 })
    .map((labels) => labels.join('.'));

  fcTest.prop([hostArb, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.constantFrom('A', 'X', 'B'), fc.constantFrom('A', 'B', 'C')], {
    numRuns,
  })('a name and its hashed form verify alike', (host, port, listed, presented) => {
    const name = port === undefined || port === 22 ? host : `[${host}]:${port}`;
    const plain = KnownHosts.parse(line(name, listed));
    const hashed = KnownHosts.parse(line(hashHostName(name), listed));
    const q = { host: host.toUpperCase(), ...(port === undefined ? {} : { port }), key: blob(presented) };
    expect(hashed.verify(q).status).toBe(plain.verify(q).status);
  });
});

describe('KnownHosts.hostKeyAlgorithms', () => {
  test('nothing known gives the hardened default set', () => {
    expect(KnownHosts.parse('').hostKeyAlgorithms({ host: 'myhost' })).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
  });

  test('a known RSA key puts the RSA SHA-2 algorithms first', () => {
    const kh = KnownHosts.parse(line('myhost', 'B'));
    expect(kh.hostKeyAlgorithms({ host: 'myhost' })).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']);
  });

  test('ECDSA is offered only when an ECDSA key is known for the name', () => {
    const kh = KnownHosts.parse([line('myhost', 'C'), line('other', 'C')].join('\n'));
    expect(kh.hostKeyAlgorithms({ host: 'myhost' })).toEqual(['ecdsa-sha2-nistp256', 'ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    expect(KnownHosts.parse(line('other', 'C')).hostKeyAlgorithms({ host: 'myhost' })).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
  });

  test('several known types come first in the hardened preference order', () => {
    const kh = KnownHosts.parse([line('[myhost]:2222', 'B'), line('[myhost]:2222', 'C'), line('[myhost]:2222', 'A')].join('\n'));
    expect(kh.hostKeyAlgorithms({ host: 'myhost', port: 2222 })).toEqual(['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256']);
  });

  test('@revoked and @cert-authority lines do not make a type known', () => {
    const kh = KnownHosts.parse([`@revoked ${line('myhost', 'C')}`, `@cert-authority ${line('myhost', 'B')}`].join('\n'));
    expect(kh.hostKeyAlgorithms({ host: 'myhost' })).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
  });

  test('the alias is the lookup name, and the bare host counts when [host]:port knows nothing', () => {
    const kh = KnownHosts.parse([line('myalias', 'C'), line('myhost', 'B')].join('\n'));
    expect(kh.hostKeyAlgorithms({ host: 'myhost', hostKeyAlias: 'MyAlias' })[0]).toBe('ecdsa-sha2-nistp256');
    expect(kh.hostKeyAlgorithms({ host: 'myhost', port: 2222 })).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-ed25519']);
  });

  test('a known DSA key adds nothing: DSA and ssh-rsa are never offered', () => {
    const dsa =
      'AAAAB3NzaC1kc3MAAACBAP1/U4EddRIpUt9KnC7s5Of2EbdSPO9EAMMeP4C2USZpRV1AIlH7WT2NWPq/xfW6MPbLm1Vs14E7gB00b/JmYLdrmVClpJ+f6AR7ECLCT7up1/63xhv4O1fnxqimFQ8E+4P208UewwI1VBNaFpEy9nXzrith1yrv8iIDGZ3RSAHHAAAAFQCXYFCPFSMLzLKSuYKi64QL8Fgc9QAAAIEA9+GghdabPd7LvKtcNrhXuXmUr7v6OuqC+VdMCz0HgmdRWVeOutRZT+ZxBxCBgLRJFnEj6EwoFhO3zwkyjMim4TwWeotUfI0o4KOuHiuzpnWRbqN/C/ohNWLx+2J6ASQ7zKTxvqhRkImog9/hWuWfBpKLZl6Ae1UlZAFMO/7PSSoAAACBAKKSU2PFl/qOLxIwmBZPPIcJshVQI8f/KS9wFeHXdqCeNaaZxnIDLHBm5nuKcn6P9bYFlVUeDBcQWAKnM80hfWbdhyCF4ugQA3Iec4ksUgVa3l/+VMcXVzTxZxkrTlX5B3DyT1VpyKJiq9OGuRcvQJz7GOH5VdqfWAeCfdTV0vKu';
    const kh = KnownHosts.parse(`myhost ssh-dss ${dsa}`);
    expect(kh.size).toBe(1);
    const algs = kh.hostKeyAlgorithms({ host: 'myhost' });
    expect(algs).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    expect(algs).not.toContain('ssh-rsa');
  });
});
