/**
 * LocalForward, RemoteForward and DynamicForward, as OpenSSH 9.2p1 readconf.c parse_forward(),
 * add_local_forward()/add_remote_forward() and dump_cfg_forwards() handle them.
 */
import { expand, ExpandError } from './tokens.js';
import { strtonumOrNull } from './values.js';

/** readconf.h PORT_STREAMLOCAL: the side is a Unix socket path. */
const STREAMLOCAL = -2;

/** One forwarding, as readconf.c `struct Forward`. */
export interface Forward {
  readonly listenHost: string | null;
  readonly listenPort: number;
  readonly listenPath: string | null;
  readonly connectHost: string | null;
  readonly connectPort: number;
  readonly connectPath: string | null;
}

/** misc.c a2port() without the service-name lookup: -1 when invalid, 0 allowed. */
function a2portRaw(s: string): number {
  return strtonumOrNull(s, 0, 65535) ?? -1;
}

/** readconf.c parse_fwd_field(): a `[bracketed]` field is literal; `\` escapes; `/` marks a path. */
function fields(spec: string): { arg: string; isPath: boolean }[] | null {
  const out: { arg: string; isPath: boolean }[] = [];
  let cp = spec;
  while (out.length < 4) {
    if (cp === '') return out;
    if (cp.startsWith('[')) {
      const close = cp.indexOf(']');
      if (close === -1) return null;
      const after = cp[close + 1];
      if (after !== undefined && after !== ':') return finish(out, cp);
      const arg = cp.slice(1, close);
      out.push({ arg, isPath: arg.includes('/') });
      cp = cp.slice(close + (after === undefined ? 1 : 2));
      continue;
    }
    let arg = '';
    let isPath = false;
    let i = 0;
    let ended = false;
    for (; i < cp.length; i++) {
      const c = cp.charAt(i);
      if (c === '\\') {
        if (i + 1 >= cp.length) return finish(out, cp);
        // The escaped character is taken as it is: an escaped ':' does not end the field, an
        // escaped '/' does not make it a path.
        arg += cp.charAt(++i);
        continue;
      }
      if (c === '/') isPath = true;
      if (c === ':') {
        ended = true;
        break;
      }
      arg += c;
    }
    out.push({ arg, isPath });
    cp = ended ? cp.slice(i + 1) : '';
    if (!ended) return out;
  }
  // "Check for trailing garbage"
  return cp === '' ? out : null;
}

/** A field that failed to parse stops parsing; leftover text then makes the whole spec invalid. */
function finish(out: { arg: string; isPath: boolean }[], rest: string): { arg: string; isPath: boolean }[] | null {
  return rest === '' ? out : null;
}

/**
 * readconf.c parse_forward(): `${ENV}` expanded first, then 1–4 colon-separated fields.
 * Returns null for "Bad forwarding specification".
 */
export function parseForward(spec: string, dynamic: boolean, remote: boolean, env: Readonly<Record<string, string | undefined>>): Forward | null {
  let text: string;
  try {
    text = expand(spec, null, env);
  } catch (err) {
    if (err instanceof ExpandError) return null;
    throw err;
  }
  text = text.replace(/^[ \t\n\v\f\r]+/, '');
  const f = fields(text);
  if (f === null) return null;
  const [a, b, c, d] = f;
  let fwd: Forward | null = null;
  if (f.length === 1 && a !== undefined) {
    fwd = a.isPath
      ? { listenHost: null, listenPort: STREAMLOCAL, listenPath: a.arg, connectHost: 'socks', connectPort: 0, connectPath: null }
      : { listenHost: null, listenPort: a2portRaw(a.arg), listenPath: null, connectHost: 'socks', connectPort: 0, connectPath: null };
  } else if (f.length === 2 && a !== undefined && b !== undefined) {
    if (a.isPath && b.isPath) fwd = { listenHost: null, listenPort: STREAMLOCAL, listenPath: a.arg, connectHost: null, connectPort: STREAMLOCAL, connectPath: b.arg };
    else if (b.isPath) fwd = { listenHost: null, listenPort: a2portRaw(a.arg), listenPath: null, connectHost: null, connectPort: STREAMLOCAL, connectPath: b.arg };
    else fwd = { listenHost: a.arg, listenPort: a2portRaw(b.arg), listenPath: null, connectHost: 'socks', connectPort: 0, connectPath: null };
  } else if (f.length === 3 && a !== undefined && b !== undefined && c !== undefined) {
    if (a.isPath) fwd = { listenHost: null, listenPort: STREAMLOCAL, listenPath: a.arg, connectHost: b.arg, connectPort: a2portRaw(c.arg), connectPath: null };
    else if (c.isPath) fwd = { listenHost: a.arg, listenPort: a2portRaw(b.arg), listenPath: null, connectHost: null, connectPort: STREAMLOCAL, connectPath: c.arg };
    else fwd = { listenHost: null, listenPort: a2portRaw(a.arg), listenPath: null, connectHost: b.arg, connectPort: a2portRaw(c.arg), connectPath: null };
  } else if (f.length === 4 && a !== undefined && b !== undefined && c !== undefined && d !== undefined) {
    fwd = { listenHost: a.arg, listenPort: a2portRaw(b.arg), listenPath: null, connectHost: c.arg, connectPort: a2portRaw(d.arg), connectPath: null };
  }
  if (fwd === null) return null;
  const n = f.length;
  if (dynamic) {
    if (n !== 1 && n !== 2) return null;
  } else {
    if (n !== 3 && n !== 4 && fwd.connectPath === null && fwd.listenPath === null) return null;
    if (fwd.connectPort <= 0 && fwd.connectPath === null) return null;
  }
  if ((fwd.listenPort < 0 && fwd.listenPath === null) || (!remote && fwd.listenPort === 0)) return null;
  // NI_MAXHOST (1025) and the sun_path size (108) bound hosts and socket paths.
  if ((fwd.connectHost?.length ?? 0) >= 1025 || (fwd.listenHost?.length ?? 0) >= 1025) return null;
  if ((fwd.connectPath?.length ?? 0) >= 108 || (fwd.listenPath?.length ?? 0) >= 108) return null;
  return fwd;
}

/** readconf.c forward_equals(): add_local_forward()/add_remote_forward() drop an equal forwarding. */
export function forwardEquals(a: Forward, b: Forward): boolean {
  return a.listenHost === b.listenHost && a.listenPort === b.listenPort && a.listenPath === b.listenPath && a.connectHost === b.connectHost && a.connectPort === b.connectPort && a.connectPath === b.connectPath;
}

/** readconf.c dump_cfg_forwards(): how `ssh -G` prints one forwarding (after the keyword). */
export function formatForward(fwd: Forward, dynamic: boolean): string {
  const side = (host: string | null, port: number, path: string | null): string =>
    port === STREAMLOCAL ? (path ?? '') : host === null ? String(port) : `[${host}]:${port}`;
  const listen = side(fwd.listenHost, fwd.listenPort, fwd.listenPath);
  return dynamic ? listen : `${listen} ${side(fwd.connectHost, fwd.connectPort, fwd.connectPath)}`;
}

/** True for a DynamicForward (kept with the local forwardings, with "socks" as its target). */
export function isDynamic(fwd: Forward): boolean {
  return fwd.connectHost === 'socks';
}
