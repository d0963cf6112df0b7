/**
 * The target name: `[user@]host` validation, and the final hostname as ssh.c computes it after
 * HostName substitution (numeric addresses canonicalised, other names lower-cased).
 */
import { isIP } from 'node:net';
import { TransportError } from '../errors.js';
import { asciiLower } from './lexer.js';
import { assertShellSafe } from './shell.js';

/** `[user@]host`: no option-like or whitespace/control characters (the name may reach `ssh` argv). */
export function parseAlias(input: string): { host: string; user?: string } {
  // eslint-disable-next-line no-control-regex
  if (input === '' || /[\s\u0000-\u001f\u007f]/.test(input)) {
    throw new TransportError('ERR_SSH_CONFIG', 'ssh target must be a non-empty [user@]host without whitespace or control characters');
  }
  const at = input.lastIndexOf('@');
  const user = at === -1 ? undefined : input.slice(0, at);
  const host = at === -1 ? input : input.slice(at + 1);
  if (host === '' || user === '') throw new TransportError('ERR_SSH_CONFIG', 'ssh target has an empty user or host');
  if (host.startsWith('-') || user?.startsWith('-') === true) {
    throw new TransportError('ERR_SSH_CONFIG', 'ssh target must not start with "-" (it would be read as an ssh option)');
  }
  // The name as given becomes %n/%h (and the user %r) of Match exec and ProxyCommand: OpenSSH ≥ 9.6
  // refuses shell syntax in a destination from the command line (valid_hostname()/valid_ruser()).
  assertShellSafe('host', host, 'the ssh target host');
  if (user !== undefined) assertShellSafe('user', user, 'the user in the ssh target');
  return user === undefined ? { host } : { host, user };
}


/** inet_aton() forms glibc's getaddrinfo(AI_NUMERICHOST) accepts: `a`, `a.b`, `a.b.c`, `a.b.c.d`, hex/octal parts. */
function inetAton(s: string): string | null {
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return null;
    nums.push(n);
  }
  const limits = [[0xffffffff], [0xff, 0xffffff], [0xff, 0xff, 0xffff], [0xff, 0xff, 0xff, 0xff]][nums.length - 1] ?? [];
  if (nums.some((n, i) => n > (limits[i] ?? 0))) return null;
  let value = 0;
  const shifts = nums.length === 1 ? [0] : nums.length === 2 ? [24, 0] : nums.length === 3 ? [24, 16, 0] : [24, 16, 8, 0];
  nums.forEach((n, i) => (value += n * 2 ** (shifts[i] ?? 0)));
  return [24, 16, 8, 0].map((sh) => Math.floor(value / 2 ** sh) % 256).join('.');
}

/** glibc inet_ntop() of an IPv6 address (RFC 5952 compression; dotted tail for v4-mapped/compatible). */
function canonicalIpv6(s: string): string | null {
  let compressed: string;
  try {
    compressed = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const m = /^::(ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (m !== null) {
    const hi = parseInt(m[2] ?? '0', 16);
    const lo = parseInt(m[3] ?? '0', 16);
    // inet_ntop prints ::ffff:a.b.c.d, and ::a.b.c.d when the first six words are zero (not ::1-style).
    if (m[1] !== undefined || hi !== 0) return `::${m[1] ?? ''}${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return compressed;
}

/**
 * ssh.c resolve_canonicalize()/resolve_addr(): a numeric address is rewritten to its canonical
 * form (when that differs other than in case) and not lower-cased; any other name is lower-cased
 * unless it looks like an address.
 * No DNS lookup happens: CanonicalizeHostname/CanonicalDomains are not applied (documented).
 */
export function finalHostname(host: string, addressFamily: string | undefined): string {
  const family = addressFamily ?? 'any';
  let canonical: string | null = null;
  if (family !== 'inet6') canonical = inetAton(host);
  if (canonical === null && family !== 'inet' && isIP(host) === 6 && !host.includes('%')) canonical = canonicalIpv6(host);
  if (canonical === null) {
    // ssh.c is_addr_fast(): something that looks like an address (a `%` or `:`, or only digits
    // and dots) but did not parse as one is left alone; any other name is lower-cased.
    if (host.includes('%') || host.includes(':') || /^[0-9.]*$/.test(host)) return host;
    return asciiLower(host);
  }
  return asciiLower(canonical) === asciiLower(host) ? host : canonical;
}
