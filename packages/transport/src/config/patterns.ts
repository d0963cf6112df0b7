/**
 * OpenSSH match.c: `match_pattern()`, `match_pattern_list()` and `match_hostname()`.
 *
 * OpenSSH compares bytes, so `?` matches one byte of a UTF-8 name, not one character: strings
 * are turned into "one char per byte" form before matching.
 */
import { asciiLower } from './lexer.js';

function bytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * match.c match_pattern(): `*` matches any run (also empty), `?` exactly one byte, everything
 * else itself, case-sensitively. Written as the usual linear backtracking matcher (same answers
 * as OpenSSH's recursive one, without its exponential worst case).
 */
export function matchPattern(subject: string, pattern: string): boolean {
  return matchBytes(bytes(subject), bytes(pattern));
}

function matchBytes(s: string, p: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      si++;
      pi++;
    } else if (pi < p.length && p[pi] === '*') {
      starP = pi++;
      starS = si;
    } else if (starP !== -1) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

/** match.c uses a 1024-byte buffer per sub-pattern: a longer one makes the whole list fail. */
const MAX_SUBPATTERN_BYTES = 1023;

/**
 * match.c match_pattern_list(): a comma-separated list of patterns, each optionally negated
 * with `!`. Returns 1 when a positive pattern matched and no negated one did, -1 when a negated
 * pattern matched, 0 otherwise. With `lower`, the patterns are lower-cased (the caller lower-cases
 * the subject).
 */
export function matchPatternList(subject: string, patternList: string, lower: boolean): -1 | 0 | 1 {
  let gotPositive = false;
  const subj = bytes(subject);
  const list = bytes(patternList);
  let i = 0;
  while (i < list.length) {
    let negated = false;
    if (list[i] === '!') {
      negated = true;
      i++;
    }
    const comma = list.indexOf(',', i);
    const end = comma === -1 ? list.length : comma;
    let sub = list.slice(i, end);
    if (sub.length >= MAX_SUBPATTERN_BYTES) return 0;
    i = comma === -1 ? end : end + 1;
    if (lower) sub = asciiLower(sub);
    if (matchBytes(subj, sub)) {
      if (negated) return -1;
      gotPositive = true;
    }
  }
  return gotPositive ? 1 : 0;
}

/** match.c match_hostname(): the host lower-cased, matched against a lower-cased pattern list. */
export function matchHostname(host: string, patternList: string): -1 | 0 | 1 {
  return matchPatternList(asciiLower(host), patternList, true);
}
