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

/**
 * match.c `match_pattern_list` with `dolower`: `1` when a positive sub-pattern matches and no
 * negated one does, `-1` when a negated one matches (checked in order), `0` otherwise.
 * `name` must already be lower-case (OpenSSH lower-cases the host before the lookup).
 */
export function matchPatternList(name: string, patterns: string): -1 | 0 | 1 {
  let positive = false;
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
    // "If subpattern too long, return failure (no match)."
    if (sub.length >= MAX_SUBPATTERN) return 0;
    i = end < len ? end + 1 : end;
    if (matchPattern(name, lowerAscii(sub))) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}
