import { inspect } from 'node:util';

interface Form {
  /** How the secret is encoded in this form (reported; never the secret itself). */
  encoding: string;
  find(haystack: string): boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A regex atom matching one byte as `%XX` in any hex case. */
function percentByte(byte: number): string {
  const hex = byte.toString(16).padStart(2, '0');
  return `%${Array.from(hex).map((d) => (/\d/.test(d) ? d : `[${d}${d.toUpperCase()}]`)).join('')}`;
}

/**
 * Every percent-encoding of a text at once: each character raw or as its UTF-8 bytes in `%XX` (any
 * hex case), a space also as `+` (form encoding). This covers `encodeURIComponent`, the WHATWG URL
 * userinfo set, every-byte `%XX`, and any mix.
 */
function percentPattern(text: string): RegExp {
  const atoms = Array.from(text).map((char) => {
    const bytes = [...Buffer.from(char, 'utf8')].map(percentByte).join('');
    const alternatives = [escapeRegExp(char), bytes];
    if (char === ' ') alternatives.push('\\+');
    return `(?:${alternatives.join('|')})`;
  });
  return new RegExp(atoms.join(''), 'u');
}

/**
 * The base64 characters that depend only on the secret, for each of the three alignments it can
 * have inside a longer base64 text (e.g. `user:password` in a Basic header): with k bytes before it,
 * the first ceil(8k/6) characters mix in the prefix and the last partial one the suffix.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + bytes.length)) / 6));
    if (core.length >= 4) cores.push(core);
  }
  return cores;
}

function textForms(text: string): Form[] {
  const forms: Form[] = [];
  const literal = (encoding: string, needle: string): void => {
    if (needle.length > 0 && !forms.some((f) => f.encoding === encoding && f.find(needle))) {
      forms.push({ encoding, find: (haystack) => haystack.includes(needle) });
    }
  };
  literal('raw', text);
  // Escaped as JSON.stringify and util.inspect (all three quote styles) write it inside a string.
  const json = JSON.stringify(text).slice(1, -1);
  literal('JSON-escaped', json);
  // A JSON text inside a JSON string (a structured log line that carries a serialized body).
  literal('JSON-escaped twice', JSON.stringify(json).slice(1, -1));
  literal('JSON-escaped in util.inspect', inspect(json).slice(1, -1));
  literal('inspect-escaped', inspect(text).slice(1, -1));
  literal('inspect-escaped', inspect(`${text}'`).slice(1, -2));
  literal('inspect-escaped', inspect(`${text}'"`).slice(1, -3));
  const percent = percentPattern(text);
  forms.push({ encoding: 'percent-encoded', find: (haystack) => percent.test(haystack) });
  return forms;
}

function byteForms(bytes: Buffer): Form[] {
  const forms: Form[] = [];
  for (const core of base64Cores(bytes)) {
    const url = core.replace(/\+/g, '-').replace(/\//g, '_');
    forms.push({ encoding: 'base64', find: (haystack) => haystack.includes(core) });
    forms.push({ encoding: 'base64url', find: (haystack) => haystack.includes(url) });
  }
  const hex = bytes.toString('hex');
  forms.push({ encoding: 'hex', find: (haystack) => haystack.toLowerCase().includes(hex) });
  // util.inspect(Buffer) prints `<Buffer 70 61 73 ...>` (the first 50 bytes).
  const spaced = [...bytes.subarray(0, 48)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  forms.push({ encoding: 'hex bytes (Buffer inspect)', find: (haystack) => haystack.includes(spaced) });
  // util.inspect(Uint8Array) and JSON.stringify(Buffer) print decimal lists, inspect over several lines.
  const decimal = new RegExp(`(?<![\\d])${[...bytes.subarray(0, 64)].join(',\\s*')}(?![\\d])`);
  forms.push({ encoding: 'decimal byte list', find: (haystack) => decimal.test(haystack) });
  return forms;
}

function formsOf(secret: string | Uint8Array): Form[] {
  if (typeof secret === 'string') return [...textForms(secret), ...byteForms(Buffer.from(secret, 'utf8'))];
  const bytes = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  const forms = byteForms(bytes);
  const utf8 = bytes.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(bytes)) forms.unshift(...textForms(utf8));
  else forms.unshift({ encoding: 'latin1', find: (haystack) => haystack.includes(bytes.toString('latin1')) });
  return forms;
}

function renderings(value: unknown): [string, string][] {
  const out: [string, string][] = [];
  try {
    out.push(['String()', String(value)]);
  } catch {
    // an object without toString/Symbol.toPrimitive: nothing printable
  }
  // util.inspect splits long strings into `'...' +\n  '...'`: join them back before searching.
  out.push([
    'util.inspect',
    inspect(value, { showHidden: true, depth: null, maxArrayLength: null, maxStringLength: null }).replace(
      /(['"`]) \+\n\s*\1/g,
      '',
    ),
  ]);
  try {
    const json = JSON.stringify(value);
    if (typeof json === 'string') out.push(['JSON.stringify', json]);
  } catch {
    // cycles and BigInt: util.inspect above covers the value
  }
  return out;
}

/** The value itself, then for errors their cause chain and AggregateError members, with a path name. */
function expand(value: unknown, path: string, seen: Set<unknown>, out: [string, unknown][]): void {
  if (seen.has(value)) return;
  seen.add(value);
  out.push([path, value]);
  if (value instanceof Error) {
    if ('cause' in value) expand(value.cause, `${path}.cause`, seen, out);
    if (value instanceof AggregateError) {
      (value.errors as unknown[]).forEach((member, i) => {
        expand(member, `${path}.errors[${i}]`, seen, out);
      });
    }
  }
}

/**
 * Throws when `secret` shows in any of `values` (errors, objects, captured log lines): in `String()`,
 * `util.inspect(value, { showHidden: true, depth: null })` or `JSON.stringify()` of each value and of
 * each error's cause chain, raw, JSON/inspect-escaped, percent-encoded (any mix of raw and `%XX`, any
 * hex case), base64 or base64url (any alignment, with or without padding), hex, or as a byte list.
 * The failure names the value, the rendering and the encoding, never the secret.
 *
 * @example
 * ```ts
 * const err = await connect({ url: `ssh://u:${encodeURIComponent(password)}@host` }).catch((e: unknown) => e);
 * expectNoSecretLeak(password, [err, ...capturedLogLines]);
 * ```
 */
export function expectNoSecretLeak(secret: string | Uint8Array, values: readonly unknown[]): void {
  if (typeof secret === 'string' ? secret.length === 0 : secret.byteLength === 0) {
    throw new RangeError('expectNoSecretLeak needs a non-empty secret');
  }
  const forms = formsOf(secret);
  const findings: string[] = [];
  values.forEach((value, index) => {
    const expanded: [string, unknown][] = [];
    expand(value, `values[${index}]`, new Set(), expanded);
    for (const [path, item] of expanded) {
      for (const [rendering, text] of renderings(item)) {
        const hit = forms.find((form) => form.find(text));
        if (hit) findings.push(`${path}, ${rendering}, ${hit.encoding}`);
      }
    }
  });
  if (findings.length > 0) {
    throw new Error(
      `secret leaked in ${findings.length} place(s) (value, rendering, encoding):\n  ${findings.slice(0, 20).join('\n  ')}`,
    );
  }
}
