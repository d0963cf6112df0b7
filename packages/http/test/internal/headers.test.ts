import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { credentialTexts, isCredentialHeader, scrub, validateHeaders } from '../../src/internal/headers.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
const secretArb = fc.string({ unit: fc.constantFrom(...Array.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$')), minLength: 8, maxLength: 40 });

describe('credential headers', () => {
  test('the named credential headers and any name that looks like one are credentials', () => {
    for (const name of ['X-Registry-Auth', 'x-registry-config', 'Authorization', 'Proxy-Authorization', 'Cookie', 'X-Auth-Token', 'X-Api-Secret', 'X-Password']) {
      expect(isCredentialHeader(name)).toBe(true);
    }
    for (const name of ['Content-Type', 'Content-Length', 'Host', 'Upgrade', 'Connection']) expect(isCredentialHeader(name)).toBe(false);
  });

  test.prop([secretArb, secretArb, fc.string({ maxLength: 80 })], { numRuns })(
    'no scrubbed daemon message contains the X-Registry-Auth password, its header, or an Authorization token',
    (password, token, noise) => {
      const auth = Buffer.from(JSON.stringify({ username: 'u', password, serveraddress: 'registry.example' })).toString('base64url');
      const headers = validateHeaders({ 'X-Registry-Auth': auth, Authorization: `Bearer ${token}` });
      const secrets = credentialTexts(headers);
      const message = `${noise}${password} ${auth}${noise} Bearer ${token}`;
      const out = scrub(message, secrets);
      expect(out).not.toContain(password);
      expect(out).not.toContain(auth);
      expect(out).not.toContain(token);
    },
  );

  test('the registry address in X-Registry-Auth is not a secret and stays in messages', () => {
    const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'pw-123456', serveraddress: 'registry.example:5000' })).toString('base64url');
    const secrets = credentialTexts(validateHeaders({ 'X-Registry-Auth': auth }));
    expect(scrub('login to registry.example:5000 failed\nwith pw-123456', secrets)).toBe('login to registry.example:5000 failed\n[withheld: it held a credential of the request]');
  });

  test('Basic auth hides the password, not the user name', () => {
    const secrets = credentialTexts(validateHeaders({ Authorization: `Basic ${Buffer.from('alice:open-sesame').toString('base64')}` }));
    expect(scrub('user alice\nused open-sesame', secrets)).toBe('user alice\n[withheld: it held a credential of the request]');
  });

  test('the scheme word of an Authorization header is no secret: a daemon line saying "Basic" or "Bearer" stays', () => {
    const secrets = credentialTexts(validateHeaders({ Authorization: `Basic ${Buffer.from('alice:open-sesame').toString('base64')}`, 'Proxy-Authorization': 'Bearer tok-98765' }));
    expect(secrets).not.toContain('Basic');
    expect(secrets).not.toContain('Bearer');
    expect(scrub('Basic authentication required\nBearer realm="registry"\ntoken tok-98765 expired', secrets)).toBe(
      'Basic authentication required\nBearer realm="registry"\n[withheld: it held a credential of the request]',
    );
    // A one-word value is a credential whatever it spells.
    expect(credentialTexts(validateHeaders({ 'X-Auth-Token': 'Basic' }))).toContain('Basic');
  });

  test('a header value with CR or LF is refused without quoting it', () => {
    expect(() => validateHeaders({ Cookie: 'a=b\r\nX-Injected: 1' })).toThrow(
      new TypeError('header Cookie has a character that is not allowed in a field value (CR, LF, NUL or another control); remove it'),
    );
  });
});
