import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { redact, Secret } from '../src/index.js';
import { leakForms, leaks, numRuns, password } from './arbitraries.js';

const filler = fc.string({ maxLength: 30 });

describe('redact, for generated secrets', () => {
  test.prop([password, fc.array(fc.tuple(filler, fc.nat(4)), { minLength: 1, maxLength: 4 }), filler], { numRuns })(
    'leaves no raw, percent-encoded or base64 form of a listed secret in any text',
    (secret, pieces, tail) => {
      const forms = leakForms(secret);
      const text = pieces.map(([before, form]) => `${before}${forms[form % forms.length]!}`).join('') + tail;
      fc.pre(!leaks(`${pieces.map(([before]) => before).join('')}${tail}[redacted]***`, secret));
      const out = redact(text, [Secret.from(secret)]);
      expect(leaks(out, secret)).toBe(false);
    },
  );

  test.prop([fc.uint8Array({ minLength: 6, maxLength: 40 }), fc.uint8Array({ maxLength: 5 }), fc.uint8Array({ maxLength: 5 })], { numRuns })(
    'hides any bytes inside a longer base64 text, at every alignment',
    (secret, before, after) => {
      const text = Buffer.concat([before, secret, after]).toString('base64');
      const out = redact(text, [secret]);
      expect(out).not.toBe(text);
      const visible = out.split(/\[redacted\]|\*\*\*/);
      for (const part of visible) expect(part.length).toBeLessThan(Math.ceil(((before.length + 3) * 4) / 3) + Math.ceil(((after.length + 3) * 4) / 3));
    },
  );
});
