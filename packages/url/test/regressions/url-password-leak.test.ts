// Regression: clients that parse DOCKER_HOST with WHATWG URL leak the password through the URL
// object's inspect output and through Node's ERR_INVALID_URL, which keeps the whole input.
import { inspect } from 'node:util';
import { expect, it } from 'vitest';
import { parseSshUrl, UrlError } from '../../src/index.js';

const secret = 'Tr0ub4dor&3-s3cr3t';
const encoded = encodeURIComponent(secret);

it('an invalid URL with a password gives an error without the input or a cause', () => {
  let caught: unknown;
  try {
    parseSshUrl(`ssh://admin:${encoded}@exa mple.com`);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(UrlError);
  const shown = [String(caught), inspect(caught, { showHidden: true, depth: null }), JSON.stringify(caught), (caught as Error).stack];
  for (const text of shown) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encoded);
    expect(text).not.toContain('admin');
  }
});

it('a parsed URL nested in a log object shows no password', () => {
  const url = parseSshUrl(`ssh://admin:${encoded}@example.com:2222`);
  const record = { msg: 'connecting', url, nested: { list: [url, url.password] } };
  expect(inspect(record, { showHidden: true, depth: null })).not.toContain(secret);
  expect(JSON.stringify(record)).not.toContain(secret);
  expect(JSON.stringify(record)).not.toContain(encoded);
});
