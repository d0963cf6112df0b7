import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { arbitraries } from '../src/index.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

describe('arbitraries', () => {
  test.prop([arbitraries.secret()], { numRuns })('secret() has at least 8 code points and 5 distinct ones', (secret) => {
    expect(Array.from(secret).length).toBeGreaterThanOrEqual(8);
    expect(new Set(secret).size).toBeGreaterThanOrEqual(5);
  });

  test('secret() generates every URL-special character and non-ASCII text', () => {
    const samples = fc.sample(arbitraries.secret(), { numRuns: 2000, seed: 1 }).join('');
    for (const char of Array.from('@:/?#%[] ')) expect(samples).toContain(char);
    expect(Array.from(samples).some((c) => (c.codePointAt(0) ?? 0) > 0x7f)).toBe(true);
    expect(/[\u{10000}-\u{10ffff}]/u.test(samples)).toBe(true);
  });

  test.prop([arbitraries.hostname()], { numRuns })('hostname() is an RFC 1123 name that never starts with -', (host) => {
    expect(host.length).toBeLessThanOrEqual(253);
    for (const label of host.split('.')) expect(label).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/);
  });

  test.prop([arbitraries.sshUrl()], { numRuns })('sshUrl() is an ssh URL that WHATWG URL parses to the same parts', (url) => {
    expect(url.startsWith('ssh://')).toBe(true);
    const parsed = new URL(url);
    expect(parsed.protocol).toBe('ssh:');
    expect(parsed.pathname).toBe('');
    expect(parsed.search + parsed.hash).toBe('');
    expect(parsed.username.startsWith('-')).toBe(false);
    if (parsed.port !== '') expect(Number(parsed.port)).toBeGreaterThanOrEqual(1);
  });

  test.prop([arbitraries.knownHostsLine()], { numRuns })(
    'knownHostsLine() has marker, hosts, a key type and a blob that starts with that key type',
    (line) => {
      const fields = line.split(' ');
      const [hosts, type, blob] = fields[0]?.startsWith('@') ? fields.slice(1) : fields;
      expect(hosts).toMatch(/^\S+$/);
      const bytes = Buffer.from(blob ?? '', 'base64');
      const length = bytes.readUInt32BE(0);
      expect(bytes.subarray(4, 4 + length).toString()).toBe(type);
    },
  );
});
