import { inspect } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { arbitraries, expectNoSecretLeak } from '../src/index.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

function failure(secret: string | Uint8Array, values: unknown[]): Error {
  try {
    expectNoSecretLeak(secret, values);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expectNoSecretLeak did not throw');
}

function flipHexCase(text: string, upper: boolean): string {
  return text.replace(/%[0-9a-fA-F]{2}/g, (m) => (upper ? m.toUpperCase() : m.toLowerCase()));
}

const everyByte = (s: string, upper: boolean): string =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')[upper ? 'toUpperCase' : 'toLowerCase']();

const leakers: [string, (s: string) => unknown][] = [
  ['a raw string in a log line', (s) => `connecting with ${s} now`],
  ['an error message', (s) => new Error(`bad password ${s}`)],
  ['an error cause message', (s) => new Error('outer', { cause: new Error(`inner ${s}`) })],
  ['a deep cause', (s) => new Error('a', { cause: new Error('b', { cause: { detail: { deeper: [s] } } }) })],
  ['a non-enumerable property', (s) => Object.defineProperty({}, 'pw', { value: s, enumerable: false })],
  ['a symbol-keyed property', (s) => ({ [Symbol('pw')]: s })],
  ['a JSON-only toJSON', (s) => ({ toJSON: () => ({ x: s }), [inspect.custom]: () => 'hidden' })],
  ['a toString', (s) => ({ toString: () => `pw=${s}`, [inspect.custom]: () => 'hidden', toJSON: () => 'hidden' })],
  ['encodeURIComponent', (s) => `ssh://u:${encodeURIComponent(s)}@h`],
  ['encodeURIComponent with lower-case hex', (s) => flipHexCase(`ssh://u:${encodeURIComponent(s)}@h`, false)],
  ['every byte %XX upper case', (s) => `x=${everyByte(s, true)}`],
  ['every byte %xx lower case', (s) => `x=${everyByte(s, false)}`],
  ['URLSearchParams form encoding', (s) => new URLSearchParams({ p: s }).toString()],
  ['base64', (s) => `Basic ${Buffer.from(`user:${s}`).toString('base64')}`],
  ['base64 of the secret alone', (s) => Buffer.from(s).toString('base64')],
  ['base64url without padding', (s) => `t=${Buffer.from(`xy${s}`).toString('base64url')}`],
  ['a Buffer in util.inspect', (s) => ({ buf: Buffer.from(s) })],
  ['a Buffer in JSON', (s) => JSON.stringify({ buf: Buffer.from(s) })],
  ['a Uint8Array', (s) => ({ bytes: new Uint8Array(Buffer.from(s)) })],
  ['a string escaped in JSON', (s) => JSON.stringify({ nested: JSON.stringify({ pw: s }) })],
  ['a long string split by util.inspect', (s) => ({ text: `${'line\n'.repeat(20)}${s}\n${'more\n'.repeat(20)}` })],
];

describe('expectNoSecretLeak', () => {
  for (const [name, leak] of leakers) {
    test.prop([arbitraries.secret()], { numRuns: Math.ceil(numRuns / 10) })(
      `finds a secret leaked as ${name}, and its message does not contain the secret`,
      (secret) => {
        const err = failure(secret, ['harmless', leak(secret)]);
        expect(err.message).toMatch(/^secret leaked in \d+ place/);
        expect(err.message).toContain('values[1]');
        expect(err.message).not.toContain(secret);
        expect(inspect(err, { showHidden: true, depth: null })).not.toContain(secret);
      },
    );
  }

  test.prop([arbitraries.secret(), fc.array(fc.oneof(fc.string(), fc.integer(), fc.object()), { maxLength: 5 })], { numRuns })(
    'passes for values built without the secret',
    (secret, values) => {
      fc.pre(!values.some((v) => inspect(v, { depth: null }).includes(secret)));
      expect(() => expectNoSecretLeak(secret, [new Error('connection refused', { cause: new Error('ECONNREFUSED') }), ...values])).not.toThrow();
    },
  );

  test('names the value, the rendering and the encoding of each finding', () => {
    const secret = 'hunter2-π:@/?';
    const err = failure(secret, ['clean', new Error('outer', { cause: new Error(`x${encodeURIComponent(secret)}`) })]);
    expect(err.message).toBe(
      [
        'secret leaked in 3 place(s) (value, rendering, encoding):',
        '  values[1], util.inspect, percent-encoded',
        '  values[1].cause, String(), percent-encoded',
        '  values[1].cause, util.inspect, percent-encoded',
      ].join('\n'),
    );
  });

  test('finds raw bytes given as a Uint8Array in a Buffer inspect', () => {
    const secret = new Uint8Array([0xff, 0x00, 0x10, 0x80, 0x7f, 0x01, 0x02, 0x03, 0xfe]);
    expect(failure(secret, [{ key: Buffer.from(secret) }]).message).toContain('hex bytes (Buffer inspect)');
  });

  test('refuses an empty secret with a RangeError', () => {
    expect(() => expectNoSecretLeak('', [])).toThrow(RangeError);
  });
});
