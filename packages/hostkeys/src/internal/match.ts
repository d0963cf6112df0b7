/**
 * Host-name patterns, as OpenSSH's match.c evaluates them for known_hosts
 * (`match_hostname` → `match_pattern_list(host, patterns, dolower=1)`).
 */

/** Lower-cases A–Z only, as C `tolower()` does in the C locale. */
export function lowerAscii(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32)) : s;
}

/** C strings compare bytes: give non-ASCII text its UTF-8 bytes, one char per byte, so `?` matches one byte. */
export function toBytes(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * match.c `match_pattern`: `*` matches any run (also empty), `?` exactly one character, anything
 * else itself, case-sensitively. Iterative with back-tracking to the last `*`, which accepts the
 * same strings as the recursive original without its exponential worst case.
 */
export function matchPattern(s: string, pattern: string): boolean {
  let si = 0;
  let pi = 0;
  let starPi = -1;
  let starSi = 0;
  while (si < s.length) {
    const pc = pattern[pi];
    if (pc === '*') {
      starPi = pi++;
      starSi = si;
    } else if (pc !== undefined && (pc === '?' || pc === s[si])) {
      si++;
      pi++;
    } else if (starPi !== -1) {
      pi = starPi + 1;
      si = ++starSi;
    } else {
      return false;
    }
  }
  while (pattern[pi] === '*') pi++;
  return pi === pattern.length;
}

/** match.c: a sub-pattern of sizeof(sub) - 1 = 1023 characters or more fails the whole list. */
export const MAX_SUBPATTERN = 1023;

/** A host field split once, as match_pattern_list would walk it. */
export interface CompiledPatterns {
  /** A sub-pattern of 1023+ characters: the list can never return 1 (match.c). */
  readonly never: boolean;
  /** When every sub-pattern is a positive literal: the lower-cased names, for a map lookup. */
  readonly literals: readonly string[] | null;
  readonly subs: readonly { readonly negated: boolean; readonly pattern: string }[];
}

/** Splits `patterns` (bytes-as-latin1) into sub-patterns, lower-cased as match_pattern_list does. */
export function compilePatterns(patterns: string): CompiledPatterns {
  const subs: { negated: boolean; pattern: string }[] = [];
  let never = false;
  let i = 0;
  const len = patterns.length;
  while (i < len) {
    let negated = false;
    if (patterns[i] === '!') {
      negated = true;
      i++;
    }
    let end = patterns.indexOf(',', i);
    if (end === -1) end = len;
    const sub = patterns.slice(i, end);
    if (sub.length >= MAX_SUBPATTERN) never = true;
    subs.push({ negated, pattern: lowerAscii(sub) });
    i = end < len ? end + 1 : end;
  }
  const literal = subs.every((x) => !x.negated && !x.pattern.includes('*') && !x.pattern.includes('?'));
  return { never, literals: literal && !never ? subs.map((x) => x.pattern) : null, subs };
}

/**
 * match.c `match_pattern_list` with `dolower` over a compiled list: true exactly when it would
 * return 1 — a positive sub-pattern matches and no negated one does. `name` must already be
 * lower-case (OpenSSH lower-cases the host before the lookup).
 */
export function matchCompiled(name: string, compiled: CompiledPatterns): boolean {
  if (compiled.never) return false;
  let positive = false;
  for (const { negated, pattern } of compiled.subs) {
    if (matchPattern(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}
