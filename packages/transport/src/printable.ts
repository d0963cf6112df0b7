/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts colour, title, clear-
 * screen and cursor sequences), DEL, C1 controls (0x9B is a one-byte CSI on some terminals), the
 * Arabic letter mark, bidi marks, embeddings, overrides and isolates (text that reads differently
 * from what it is: "Trojan Source", CVE-2021-42574), the Unicode line and paragraph separators,
 * and lone surrogates (not text).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu;

const NAMED: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const cp = ch.codePointAt(0) ?? 0;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/**
 * Text from the remote side made safe to show a person: every character a terminal would act on
 * (ESC and the other C0 controls, DEL, C1 controls, bidi overrides, line separators) is written
 * out visibly instead (`\x1b`, `\x9b`, `\u{202e}`, `\r`, `\t`), so remote text can neither recolour
 * nor retitle nor clear a terminal, nor reorder what is read. `\n` stays a line break only with
 * `keepNewlines` (for text that is ours); otherwise it is shown as `\n` too.
 *
 * @example
 * ```ts
 * import { printable } from '@ssh-docker/transport';
 *
 * printable('Docker version 27\x1b]0;pwned\x07'); // 'Docker version 27\\x1b]0;pwned\\x07'
 * ```
 */
export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  const keep = options.keepNewlines === true;
  return text.replace(UNSAFE, (ch) => (keep && ch === '\n' ? ch : visible(ch)));
}

/**
 * The first line of remote text, made printable and cut to `max` characters (`…` marks a cut):
 * what a one-line detail or message may quote of it.
 */
export function firstLine(text: string, max = 120): string {
  const line = text.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? '';
  const shown = printable(line.trimEnd());
  if (shown.length <= max) return shown;
  // Never cut a surrogate pair in two: half of one is not text.
  const cut = /[\ud800-\udbff]$/.test(shown.slice(0, max)) ? max - 1 : max;
  return `${shown.slice(0, cut)}…`;
}
