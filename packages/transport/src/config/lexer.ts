/**
 * Line handling of ssh_config, as OpenSSH 9.2p1 readconf.c and misc.c do it.
 *
 * The `ssh-config` npm parser is not used for resolution: it keeps no line numbers (our errors
 * name file:line), keeps backslash escapes literally, folds `Match` criteria into an object
 * (order and repeats are lost) and reads a quoted value differently from `argv_split()`.
 * This file ports the two tokenisers OpenSSH itself uses instead.
 */

/** misc.h WHITESPACE. */
const WHITESPACE = ' \t\r\n';

function isWhitespace(c: string | undefined): boolean {
  return c !== undefined && WHITESPACE.includes(c);
}

/** The unread remainder of a line; `null` once `strdelim()` has consumed everything. */
export interface Cursor {
  rest: string | null;
}

/**
 * misc.c strdelim(): the next word of `cursor.rest`, split on whitespace and (once) on `=`,
 * with `"` quoting. Returns `null` when nothing is left or a quote is not closed.
 * `Match` criteria and the keyword itself are read with it; other arguments use {@link argvSplit}.
 */
export function strdelim(cursor: Cursor): string | null {
  const s = cursor.rest;
  if (s === null) return null;
  let i = 0;
  while (i < s.length && !isWhitespace(s[i]) && s[i] !== '"' && s[i] !== '=') i++;
  if (i === s.length) {
    cursor.rest = null;
    return s;
  }
  if (s[i] === '"') {
    // The opening quote is removed, the word runs to the next quote (no escapes here).
    const close = s.indexOf('"', i + 1);
    if (close === -1) {
      cursor.rest = null;
      return null;
    }
    let k = close + 1;
    while (isWhitespace(s[k])) k++;
    cursor.rest = s.slice(k);
    return s.slice(0, i) + s.slice(i + 1, close);
  }
  // "Allow only one '=' to be skipped".
  const sawEquals = s[i] === '=';
  let k = i + 1;
  while (isWhitespace(s[k])) k++;
  if (s[k] === '=' && !sawEquals) {
    k++;
    while (isWhitespace(s[k])) k++;
  }
  cursor.rest = s.slice(k);
  return s.slice(0, i);
}

/**
 * misc.c argv_split(s, …, terminate_on_comment=1): words split on space/tab, `"` and `'` quotes,
 * backslash escapes only before `\ " '` (and space outside quotes); a `#` that starts a word ends
 * the line. Returns `null` for an unterminated quote ("invalid quotes").
 */
export function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let quote = '';
    let arg = '';
    for (; i < s.length; i++) {
      const ch = s.charAt(i);
      if (ch === '\\') {
        const next = s[i + 1];
        if (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' ')) {
          i++;
          arg += next;
        } else {
          arg += ch; // an unrecognised escape keeps its backslash
        }
      } else if (quote === '' && (ch === ' ' || ch === '\t')) {
        break;
      } else if (quote === '' && (ch === '"' || ch === "'")) {
        quote = ch;
      } else if (quote !== '' && ch === quote) {
        quote = '';
      } else {
        arg += ch;
      }
    }
    out.push(arg);
    if (i >= s.length && quote !== '') return null;
  }
  return out;
}

/** ASCII-only lower-casing, as OpenSSH's `lowercase()` under the C locale. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** One directive line: its keyword (lower-cased) and the raw text after it. */
export interface LexedLine {
  readonly keyword: string;
  /** The rest of the line after the keyword and its separator, trailing whitespace removed. */
  readonly rest: string;
}

/** Why a line could not be lexed (message text follows readconf.c's). */
export type LexFailure = { readonly error: string; readonly keyword: string };

/**
 * readconf.c process_config_line_depth(), up to the keyword dispatch: returns `null` for blank
 * and comment lines, the keyword and the rest otherwise, or an error.
 */
export function lexLine(raw: string): LexedLine | LexFailure | null {
  // Lines are C strings: nothing after a NUL byte is seen.
  const nul = raw.indexOf('\0');
  let line = nul === -1 ? raw : raw.slice(0, nul);
  if (line.length === 0) return null;
  // "Strip trailing whitespace. Allow \f (form feed) at EOLine" — never the first character.
  let end = line.length - 1;
  while (end > 0 && (isWhitespace(line[end]) || line[end] === '\f')) end--;
  line = line.slice(0, end + 1);

  const cursor: Cursor = { rest: line };
  let keyword = strdelim(cursor);
  // "Ignore leading whitespace."
  if (keyword === '') keyword = strdelim(cursor);
  if (keyword === null || keyword === '' || keyword.startsWith('\n') || keyword.startsWith('#')) return null;
  keyword = asciiLower(keyword);

  let rest = cursor.rest;
  if (rest !== null) {
    let k = 0;
    while (isWhitespace(rest[k])) k++;
    rest = rest.slice(k);
  }
  if (rest === null || rest === '') return { error: 'no argument after keyword', keyword };
  return { keyword, rest };
}

/** The whitespace skip readconf.c does before a raw "rest of line" value (`strspn(str, WHITESPACE "=")`). */
export function skipWhitespaceAndEquals(s: string): string {
  let k = 0;
  while (k < s.length && (isWhitespace(s[k]) || s[k] === '=')) k++;
  return s.slice(k);
}
