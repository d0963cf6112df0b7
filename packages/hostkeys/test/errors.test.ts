import { describe, expect, test } from 'vitest';
import { HostKeyError } from '../src/index.js';

describe('HostKeyError', () => {
  test('carries its code, host, port, fingerprints and matches as typed properties', () => {
    const presented = { keyType: 'ssh-ed25519', fingerprint: 'SHA256:abc' };
    const err = new HostKeyError('ERR_HOST_KEY_REVOKED', 'revoked', { host: 'h', port: 2222, lookupName: '[h]:2222', presented, matches: [] });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'HostKeyError', code: 'ERR_HOST_KEY_REVOKED', message: 'revoked', host: 'h', port: 2222, lookupName: '[h]:2222', presented, matches: [] });
    expect(err.fingerprint).toBe('SHA256:abc');
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({ code: 'ERR_HOST_KEY_REVOKED', host: 'h', port: 2222 });
  });
});
