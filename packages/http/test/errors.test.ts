import { describe, expect, test } from 'vitest';
import { HttpError } from '../src/index.js';

describe('HttpError', () => {
  test('carries its code, safe details and the code of its cause', () => {
    const cause = Object.assign(new Error('lost'), { code: 'ERR_CONNECTION_LOST' });
    const err = new HttpError('ERR_HTTP_CONNECT', 'the connector failed', { cause, method: 'GET', path: '/v1.41/info' });
    expect([err.name, err.code, err.message, err.causeCode, err.method, err.path]).toEqual([
      'HttpError',
      'ERR_HTTP_CONNECT',
      'the connector failed',
      'ERR_CONNECTION_LOST',
      'GET',
      '/v1.41/info',
    ]);
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
  });

  test('has no cause and no causeCode when none is given', () => {
    const err = new HttpError('ERR_HTTP_STATUS', 'the daemon answered 500', { statusCode: 500 });
    expect('cause' in err).toBe(false);
    expect(err.causeCode).toBeUndefined();
    expect(err.statusCode).toBe(500);
  });
});
