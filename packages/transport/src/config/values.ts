/**
 * Value parsers of OpenSSH 9.2p1 (misc.c convtime, strtonum via atoi_err and a2port; readconf.c
 * multistate tables). Each returns `null` where OpenSSH reports an invalid value.
 */
import { asciiLower } from './lexer.js';

const INT_MAX = 2147483647;

/** C strtol/strtoll prefix parse (base 10): leading isspace, sign, digits. `end` is where it stopped. */
function strtol(s: string, from: number): { value: number; end: number } {
  let i = from;
  while (i < s.length && ' \t\n\v\f\r'.includes(s.charAt(i))) i++;
  let sign = 1;
  if (s[i] === '+' || s[i] === '-') {
    if (s[i] === '-') sign = -1;
    i++;
  }
  const digitsStart = i;
  let value = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    // Saturate far above INT_MAX: callers only compare with INT_MAX-sized bounds.
    value = Math.min(value * 10 + (s.charCodeAt(i) - 48), 2 ** 62);
    i++;
  }
  if (i === digitsStart) return { value: 0, end: from };
  return { value: sign * value, end: i };
}

/** misc.c convtime(): `90`, `1m30s`, `1h`, `2d`, `1w` → seconds; `null` when invalid or above INT_MAX. */
export function convtime(s: string): number | null {
  if (s === '') return null;
  let total = 0;
  let p = 0;
  while (p < s.length) {
    const { value, end } = strtol(s, p);
    if (end === p || value < 0) return null;
    let multiplier = 1;
    let next = end;
    const unit = s[end];
    if (unit !== undefined) {
      next = end + 1;
      switch (unit) {
        case 's':
        case 'S':
          break;
        case 'm':
        case 'M':
          multiplier = 60;
          break;
        case 'h':
        case 'H':
          multiplier = 3600;
          break;
        case 'd':
        case 'D':
          multiplier = 86400;
          break;
        case 'w':
        case 'W':
          multiplier = 604800;
          break;
        default:
          return null;
      }
    }
    if (value > Math.floor(INT_MAX / multiplier)) return null;
    const secs = value * multiplier;
    if (total > INT_MAX - secs) return null;
    total += secs;
    p = next;
  }
  return total;
}

/** OpenBSD strtonum(s, min, max): the whole string must be one base-10 integer in range. */
export function strtonumOrNull(s: string, min: number, max: number): number | null {
  if (s === '') return null;
  const { value, end } = strtol(s, 0);
  if (end === 0 || end !== s.length) return null;
  if (value < min || value > max) return null;
  return value === 0 ? 0 : value; // no -0
}

/** misc.c atoi_err(): an int in 0…INT_MAX. */
export function parseNonNegativeInt(s: string): number | null {
  return strtonumOrNull(s, 0, INT_MAX);
}

/**
 * misc.c a2port(): 1…65535. OpenSSH also accepts a service name from /etc/services
 * (`Port ssh`); we deliberately do not read that file, so names are refused.
 */
export function a2port(s: string): number | null {
  const port = strtonumOrNull(s, 0, 65535);
  return port === null || port <= 0 ? null : port;
}

/** A readconf.c multistate table: names (case-insensitive) → value; the first name of a value is how ssh -G prints it. */
export type Multistate = readonly (readonly [string, string])[];

/** readconf.c multistate_flag: yes/no and their synonyms, printed "yes"/"no" by ssh -G. */
export const FLAG: Multistate = [
  ['true', 'yes'],
  ['false', 'no'],
  ['yes', 'yes'],
  ['no', 'no'],
];

/** multistate_strict_hostkey: ssh -G prints the first name of each state: true, false, ask, accept-new. */
export const STRICT_HOSTKEY: Multistate = [
  ['true', 'true'],
  ['false', 'false'],
  ['yes', 'true'],
  ['no', 'false'],
  ['ask', 'ask'],
  ['off', 'false'],
  ['accept-new', 'accept-new'],
];

/** multistate_addressfamily. */
export const ADDRESS_FAMILY: Multistate = [
  ['inet', 'inet'],
  ['inet6', 'inet6'],
  ['any', 'any'],
];

/** multistate_compression: only yes and no (no true/false synonyms here). */
export const COMPRESSION: Multistate = [
  ['yes', 'yes'],
  ['no', 'no'],
];

/** multistate_canonicalizehostname. */
export const CANONICALIZE_HOSTNAME: Multistate = [
  ['true', 'true'],
  ['false', 'false'],
  ['yes', 'true'],
  ['no', 'false'],
  ['always', 'always'],
];

/** readconf.c parse_multistate_value(): case-insensitive lookup. */
export function multistate(table: Multistate, arg: string): string | null {
  const lower = asciiLower(arg);
  for (const [name, value] of table) if (name === lower) return value;
  return null;
}
