import { inspect } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { formatSshUrl, parseSshUrl, redact, Secret, UrlError } from '../src/index.js';
import { hostname, leaks, numRuns, password, urlParts, user } from './arbitraries.js';

function renderings(value: unknown): string[] {
  return [String(value), inspect(value, { showHidden: true, depth: null }), JSON.stringify(value) ?? ''];
}

// Stack frames are code locations (test file names included), never data: leave them out, so that
// a generated password such as "property" is not found in a file name.
const stackTraceLimit = Error.stackTraceLimit;
beforeAll(() => {
  Error.stackTraceLimit = 0;
});
afterAll(() => {
  Error.stackTraceLimit = stackTraceLimit;
});

describe('parseSshUrl, for generated input', () => {
  test.prop([urlParts], { numRuns })('parses what formatSshUrl writes back to the same parts', (parts) => {
    const url = parseSshUrl(formatSshUrl(parts, { includePassword: true }));
    expect(url.host).toBe(parts.host);
    expect(url.port).toBe(parts.port);
    expect(url.user).toBe(parts.user);
    expect(url.ignoredSocketPath).toBe(parts.ignoredSocketPath);
    expect(url.password?.use((b) => Buffer.from(b).toString('utf8'))).toBe(parts.passwordText);
    expect(formatSshUrl(url, { includePassword: true })).toBe(formatSshUrl(parts, { includePassword: true }));
  });

  test.prop([fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }).map((s) => `ssh://${s}`), fc.string().map((s) => `ssh://${s}@h`))], {
    numRuns,
  })('throws nothing but UrlError for any string', (input) => {
    try {
      parseSshUrl(input);
    } catch (err) {
      expect(err).toBeInstanceOf(UrlError);
      expect((err as UrlError).code).toMatch(/^ERR_SSH_URL_[A-Z]+$/);
      expect((err as Error).cause).toBeUndefined();
    }
  });

  test.prop([user, password, hostname], { numRuns })(
    'never shows the password in String, inspect or JSON of the parsed URL',
    (name, secret, host) => {
      fc.pre(!leaks(`${name} ${host} [redacted] SshUrl ssh://`, secret));
      const url = parseSshUrl(formatSshUrl({ host, user: name, password: Secret.from(secret) }, { includePassword: true }));
      for (const text of renderings(url)) expect(leaks(text, secret)).toBe(false);
      for (const text of renderings(url.password)) expect(leaks(text, secret)).toBe(false);
    },
  );

  test.prop([user, password, fc.constantFrom('?x', '#f', ':0', ':99999', '/p@x')], { numRuns })(
    'never shows the password in an error about the URL',
    (name, secret, breakage) => {
      fc.pre(!leaks(`${name} ssh url host port`, secret));
      const input = `${formatSshUrl({ host: 'h', user: name, password: Secret.from(secret) }, { includePassword: true })}${breakage}`;
      let caught: unknown;
      try {
        parseSshUrl(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UrlError);
      for (const text of renderings(caught)) expect(leaks(text, secret)).toBe(false);
    },
  );

  test.prop([user, password, hostname, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })], { numRuns })(
    'redact() of any text containing the URL hides the password',
    (name, secret, host, before, after) => {
      fc.pre(!leaks(`${before} ${name} ${host} ${after} [redacted]`, secret));
      const url = formatSshUrl({ host, user: name, password: Secret.from(secret) }, { includePassword: true });
      const out = redact(`${before} ${url} ${after}`);
      expect(leaks(out, secret)).toBe(false);
    },
  );
});

