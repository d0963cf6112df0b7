import { fc } from '@fast-check/vitest';
import { Secret } from '../src/index.js';
import type { SshUrlParts } from '../src/index.js';

/** Property runs: FC_NUM_RUNS (CI default 1,000; a deep run sets 100,000). */
export const numRuns = Number(process.env['FC_NUM_RUNS'] ?? 1000);

const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u;

const label = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,20}$/);
export const hostname = fc.oneof(
  fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.')),
  fc.ipV4(),
  fc.ipV6(),
);

const urlSpecial = fc.constantFrom('@', ':', '/', '?', '#', '%', '[', ']', ' ', '+', '&', '=', '"', '\\', '\n', '\u0000', 'é', '🔑');
const anyChar = fc.oneof(urlSpecial, fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));

/** Passwords of 8 or more characters, any Unicode, URL-special characters well represented. */
export const password = fc.string({ unit: anyChar, minLength: 8, maxLength: 40 });

export const user = fc
  .string({ unit: anyChar, minLength: 1, maxLength: 16 })
  .filter((u) => !u.startsWith('-') && !FORBIDDEN.test(u));

const socketPath = fc
  .array(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .map((segments) => `/${segments.join('/')}`);

export const urlParts: fc.Arbitrary<SshUrlParts & { passwordText?: string }> = fc
  .record(
    {
      host: hostname,
      port: fc.integer({ min: 1, max: 65535 }),
      user,
      password,
      ignoredSocketPath: socketPath,
    },
    { requiredKeys: ['host'] },
  )
  .filter((parts) => parts.password === undefined || parts.user !== undefined)
  .map(({ password: text, ...rest }) =>
    text === undefined ? rest : { ...rest, password: Secret.from(text), passwordText: text },
  );

/** The forms a leaked password would take: raw, percent-encoded two ways, base64 two ways. */
export function leakForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const all = [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return [secret, encodeURIComponent(secret), all, bytes.toString('base64'), bytes.toString('base64url')];
}

/** Whether `text` holds `secret` in any of its {@link leakForms}; percent forms in either hex case. */
export function leaks(text: string, secret: string): boolean {
  const [raw, ...encoded] = leakForms(secret);
  const lower = text.toLowerCase();
  return text.includes(raw!) || encoded.some((form) => text.includes(form) || (form.includes('%') && lower.includes(form.toLowerCase())));
}
