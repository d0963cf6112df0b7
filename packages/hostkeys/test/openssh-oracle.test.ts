import { describe, expect, test } from 'vitest';
import { fingerprint, hashHostName, KnownHosts } from '../src/index.js';
import { blob, loadFiles, vectors, type KeyName } from './helpers.js';

describe('the answers of the real OpenSSH 9.2p1 client', () => {
  test('there are at least 60 connection cases, with every verdict represented', () => {
    expect(vectors.connect.length).toBeGreaterThanOrEqual(60);
    expect(new Set(vectors.connect.map((c) => c.expected))).toEqual(new Set(['trusted', 'unknown', 'changed', 'revoked']));
    expect(vectors.openssh).toMatch(/^OpenSSH_9\.2p1/);
  });

  test.each(vectors.connect)('$id ($rule): verify agrees with ssh, which said $expected', (c) => {
    const kh = loadFiles(c.files);
    const result = kh.verify({
      host: c.host,
      port: c.port,
      key: blob(c.presented),
      ...(c.hostKeyAlias === undefined ? {} : { hostKeyAlias: c.hostKeyAlias }),
    });
    expect(result.status).toBe(c.expected);
    expect(result.presented.fingerprint).toBe(vectors.keys[c.presented].fingerprint);
  });

  test.each(vectors.find)('$id: the lines named by $name are the ones ssh-keygen -F finds (less lines we skip as invalid)', (c) => {
    const kh = KnownHosts.parse(c.knownHosts, { source: 'kh' });
    const invalid = new Set(kh.warnings.map((w) => w.line));
    const result = kh.verify({ host: 'unused', hostKeyAlias: c.name, key: blob('A') });
    expect(result.candidates.map((m) => m.line)).toEqual(c.lines.filter((l) => !invalid.has(l)));
  });

  test.each(vectors.hash)('hashHostName($name) with the same salt writes what ssh-keygen -H wrote', ({ name, hashed }) => {
    const salt = Buffer.from(hashed.split('|')[2]!, 'base64');
    expect(hashHostName(name, salt)).toBe(hashed);
  });

  test.each(Object.keys(vectors.keys) as KeyName[])('fingerprint of key %s is what ssh-keygen -lf prints', (name) => {
    expect(fingerprint(blob(name))).toBe(vectors.keys[name].fingerprint);
  });
});
