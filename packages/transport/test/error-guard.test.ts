import { readFileSync } from 'node:fs';
import { HostKeyError, type HostKeyErrorCode } from '@ssh-docker/hostkeys';
import { parseSshUrl, UrlError } from '@ssh-docker/url';
import { describe, expect, expectTypeOf, test } from 'vitest';
import { isSshDockerError, type SshDockerErrorCode } from '../src/index.js';
import { TransportError } from '../src/errors.js';

/** The codes of a `…ErrorCode` union in a package's errors.ts (as fixes.test.ts reads them). */
function unionCodes(pkg: string, type: string): string[] {
  const text = readFileSync(new URL(`../../${pkg}/src/errors.ts`, import.meta.url), 'utf8');
  const union = new RegExp(`export type ${type} =([^;]+);`).exec(text)?.[1] ?? '';
  return [...union.matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((m) => m[1] ?? '');
}

/** What another copy of @ssh-docker/http (which transport may not import) would throw. */
class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(readonly code: string) {
    super('the daemon answered 404');
  }
}

const details = { host: 'h', port: 22, lookupName: 'h', presented: { keyType: 'ssh-ed25519', fingerprint: 'SHA256:x' }, matches: [] };

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('isSshDockerError', () => {
  test.each(unionCodes('url', 'UrlErrorCode'))('true for a UrlError with %s', (code) => {
    expect(isSshDockerError(new UrlError(code as never, 'm'))).toBe(true);
  });
  test.each(unionCodes('hostkeys', 'HostKeyErrorCode'))('true for a HostKeyError with %s', (code) => {
    expect(isSshDockerError(new HostKeyError(code as HostKeyErrorCode, 'm', details))).toBe(true);
  });
  test.each(unionCodes('transport', 'TransportErrorCode'))('true for a TransportError with %s', (code) => {
    expect(isSshDockerError(new TransportError(code as never, 'm', { target: { host: 'h' } }))).toBe(true);
  });
  test.each(unionCodes('http', 'HttpErrorCode'))('true for an HttpError with %s (every code of http\'s union, by shape)', (code) => {
    expect(isSshDockerError(new HttpError(code))).toBe(true);
  });

  test('reads a union of every package', () => {
    for (const [pkg, type] of [['url', 'UrlErrorCode'], ['hostkeys', 'HostKeyErrorCode'], ['transport', 'TransportErrorCode'], ['http', 'HttpErrorCode']] as const) {
      expect(unionCodes(pkg, type).length, `${pkg} ${type}`).toBeGreaterThan(2);
    }
  });

  test('true for an error thrown by the package itself', () => {
    expect(isSshDockerError(thrownBy(() => parseSshUrl('ssh://-oProxyCommand=x')))).toBe(true);
  });

  test.each([
    ['a plain Error with one of our codes', Object.assign(new Error('x'), { code: 'ERR_AUTH_FAILED' })],
    ['a system error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an Error named TransportError with a code not ours', Object.assign(new Error('x'), { name: 'TransportError', code: 'ECONNRESET' })],
    ['an Error named UrlError with a code of another class', Object.assign(new Error('x'), { name: 'UrlError', code: 'ERR_AUTH_FAILED' })],
    ['an Error named HttpError without a code', Object.assign(new Error('x'), { name: 'HttpError' })],
    ['an Error named TransportError whose code is inherited', Object.assign(new Error('x'), { name: 'TransportError', code: 'toString' })],
    ['a plain object shaped like one', { name: 'TransportError', code: 'ERR_AUTH_FAILED', message: 'x' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ERR_AUTH_FAILED'],
    ['an empty string', ''],
    ['a number', 42],
  ])('false for %s', (_what, value) => {
    expect(isSshDockerError(value)).toBe(false);
  });

  test('narrows err.code to every code of every package', () => {
    const err: unknown = new TransportError('ERR_AUTH_FAILED', 'm');
    if (isSshDockerError(err)) {
      expectTypeOf(err.code).toEqualTypeOf<SshDockerErrorCode>();
      expectTypeOf<'ERR_HTTP_STATUS' | 'ERR_HOST_KEY_CHANGED' | 'ERR_SSH_URL_HOST' | 'ERR_SECRET_SPENT'>().toExtend<SshDockerErrorCode>();
    }
  });
});
