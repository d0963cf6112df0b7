/**
 * HostKeyAlgorithms: validation as readconf.c (sshkey_names_valid2 with wildcards) and expansion as
 * dump_client_config() does it with kex.c kex_assemble_names(): `+list` appends to the default,
 * `-list` removes from it, `^list` puts in front of it, and patterns expand against every known
 * algorithm, in OpenSSH's order.
 */
import { ALL_KEY_ALGORITHMS, DEFAULT_HOST_KEY_ALGORITHMS } from './keywords.js';
import { matchPatternList } from './patterns.js';

/** C strsep() over commas stopping at the first empty element, as OpenSSH's list loops do. */
function names(list: string): string[] {
  const out: string[] = [];
  for (const n of list.split(',')) {
    if (n === '') break;
    out.push(n);
  }
  return out;
}

/** sshkey_names_valid2(names, allow_wildcard=1, plain=0). */
export function validKeyAlgorithmList(list: string): boolean {
  if (list === '') return false;
  for (const name of names(list)) {
    if (ALL_KEY_ALGORITHMS.includes(name)) continue;
    if (ALL_KEY_ALGORITHMS.some((known) => matchPatternList(known, name, false) !== 0)) continue;
    return false;
  }
  return true;
}

/** kex.c kex_names_cat(): `a` then the names of `b` not already in it. */
function namesCat(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  const have = a.split(',');
  let out = a;
  for (const n of names(b)) {
    if (have.includes(n)) continue;
    have.push(n);
    out += `,${n}`;
  }
  return out;
}

/** kex.c kex_assemble_names(); `null` when the result is empty or uses `!` (an error in ssh). */
export function assembleHostKeyAlgorithms(value: string): string | null {
  const def = DEFAULT_HOST_KEY_ALGORITHMS.join(',');
  let list: string;
  if (value.startsWith('+')) list = namesCat(def, value.slice(1));
  else if (value.startsWith('-')) {
    return DEFAULT_HOST_KEY_ALGORITHMS.filter((n) => matchPatternList(n, value.slice(1), false) !== 1).join(',');
  } else if (value.startsWith('^')) list = namesCat(value.slice(1), def);
  else list = value;
  let ret = '';
  for (const pattern of list.split(',')) {
    if (pattern.startsWith('!')) return null;
    const matching = ALL_KEY_ALGORITHMS.filter((n) => matchPatternList(n, pattern, false) === 1).join(',');
    ret = namesCat(ret, matching);
  }
  return ret === '' ? null : ret;
}
