/**
 * ProxyJump parsing and printing, as OpenSSH 9.2p1 readconf.c parse_jump(), misc.c
 * parse_user_host_port()/parse_ssh_uri() and ssh.c dump_client_config() do it.
 */
import { asciiLower } from './lexer.js';
import { a2port } from './values.js';

/** The last hop of a ProxyJump list (the one ssh connects to first) and the hops before it. */
export interface JumpSpec {
  /** `none` disables ProxyJump (it still blocks a later ProxyJump line). */
  readonly host: string;
  readonly user?: string;
  /** -1 when not given. */
  readonly port: number;
  /** The hops before the last one, as written. */
  readonly extra?: string;
  /** Every hop, parsed, in the order written (the last one is `host`/`user`/`port`); empty for `none`. */
  readonly hops: readonly JumpHop[];
}

/** One hop of a ProxyJump list. */
export interface JumpHop {
  readonly user?: string;
  readonly host: string;
  /** -1 when not given. */
  readonly port: number;
}

type HostPort = JumpHop | null;

/** misc.c hpdelim2(): `host`, `host:port`, `host/port`, `[v6]:port`. */
function hpdelim(s: string): { head: string; tail: string | null; delim: string } | null {
  let i: number;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close === -1) return null;
    i = close + 1;
  } else {
    const m = /[:/]/.exec(s);
    i = m === null ? s.length : m.index;
  }
  if (i === s.length) return { head: s, tail: null, delim: '' };
  const c = s.charAt(i);
  if (c !== ':' && c !== '/') return null;
  return { head: s.slice(0, i), tail: s.slice(i + 1), delim: c };
}

/** misc.c cleanhostname(): strips the brackets of `[v6]`. */
function cleanHostname(h: string): string {
  return h.startsWith('[') && h.endsWith(']') && h.length >= 2 ? h.slice(1, -1) : h;
}

/** misc.c parse_user_host_port(). */
function parseUserHostPort(s: string): HostPort {
  let rest = s;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    if (at === 0) return null;
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  const hp = hpdelim(rest);
  if (hp === null || hp.head === '') return null;
  let port = -1;
  if (hp.tail !== null && hp.tail !== '') {
    const p = a2port(hp.tail);
    if (p === null) return null;
    port = p;
  }
  return { ...(user === undefined ? {} : { user }), host: cleanHostname(hp.head), port };
}

/** misc.c urldecode(): `+` is a space, `%XX` a byte; a bad escape fails. */
function urldecode(s: string): string | null {
  const bytes: number[] = [];
  const src = Buffer.from(s, 'utf8');
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? 0;
    if (c === 0x2b) bytes.push(0x20);
    else if (c === 0x25) {
      const hex = src.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(c);
  }
  const out = Buffer.from(bytes).toString('utf8');
  const nul = out.indexOf('\0');
  return nul === -1 ? out : out.slice(0, nul);
}

/** misc.c valid_domain(name, 0). */
function validDomain(name: string): boolean {
  if (name === '' || !/^[A-Za-z0-9]/.test(name) || name.endsWith('.')) return false;
  if (name.includes('..')) return false;
  return /^[A-Za-z0-9._-]+$/.test(name);
}

/** misc.c parse_ssh_uri(): 1 = not an ssh:// URI, null = invalid. */
function parseSshUri(s: string): HostPort | 1 {
  if (!s.startsWith('ssh://')) return 1;
  let rest = s.slice('ssh://'.length);
  let user: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    let userPart = rest.slice(0, at);
    const semi = userPart.indexOf(';');
    if (semi !== -1) userPart = userPart.slice(0, semi); // connection parameters are ignored
    if (userPart === '') return null;
    const decoded = urldecode(userPart);
    if (decoded === null) return null;
    user = decoded;
    rest = rest.slice(at + 1);
  }
  const hp = hpdelim(rest);
  if (hp === null || hp.head === '') return null;
  const host = cleanHostname(hp.head);
  if (!validDomain(host)) return null;
  let port = -1;
  let tail = hp.tail;
  if (tail !== null && tail !== '') {
    if (hp.delim === ':') {
      const slash = tail.indexOf('/');
      const p = a2port(slash === -1 ? tail : tail.slice(0, slash));
      if (p === null) return null;
      port = p;
      tail = slash === -1 ? null : tail.slice(slash + 1);
    }
    // "path not allowed"
    if (tail !== null && tail !== '') return null;
  }
  return { ...(user === undefined ? {} : { user }), host, port };
}

/**
 * readconf.c parse_jump(): checks every hop's syntax, returns the last hop (and the text of the
 * hops before it), `{ host: 'none' }` for `none`, or null when a hop is invalid.
 * `raw` is the rest of the line as written (readconf.c reads ProxyJump from the raw line).
 */
export function parseJump(raw: string): JumpSpec | null {
  const hashAt = raw.indexOf('#');
  const work = (hashAt === -1 ? raw : raw.slice(0, hashAt)).replace(/[ \t\r\n]+$/, '');
  if (asciiLower(raw) === 'none') return { host: 'none', port: 0, hops: [] };
  let last: HostPort = null;
  const hops: JumpHop[] = [];
  let remaining = work;
  let first = true;
  for (;;) {
    const comma = remaining.lastIndexOf(',');
    const hop = comma === -1 ? remaining : remaining.slice(comma + 1);
    let parsed = parseSshUri(hop);
    if (parsed === 1) parsed = parseUserHostPort(hop);
    if (parsed === null) return null;
    hops.unshift(parsed);
    if (first) last = parsed;
    first = false;
    if (comma === -1) break;
    remaining = remaining.slice(0, comma);
  }
  if (last === null) return null;
  // The hops before the last come from the text without its comment (`a#,b` is just `a`).
  const comma = work.lastIndexOf(',');
  return {
    host: last.host,
    port: last.port,
    ...(last.user === undefined ? {} : { user: last.user }),
    ...(comma > 0 ? { extra: work.slice(0, comma) } : {}),
    hops,
  };
}

/** ssh.c dump_client_config(): `[extra,][user@]host[:port]`, a numeric host in brackets. */
export function formatJump(jump: JumpSpec): string {
  const numeric = jump.host.includes(':') || /^[0-9.]*$/.test(jump.host);
  return (
    (jump.extra === undefined ? '' : `${jump.extra},`) +
    (jump.user === undefined ? '' : `${jump.user}@`) +
    (numeric ? `[${jump.host}]` : jump.host) +
    (jump.port <= 0 ? '' : `:${jump.port}`)
  );
}
