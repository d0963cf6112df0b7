/**
 * Reading config files and expanding `Include` globs, as readconf.c does with glob(3)
 * (GLOB_TILDE, sorted results, no match = nothing to read).
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { posix } from 'node:path';

/** Characters that make glob(3) look at a directory rather than test one path. */
function hasMagic(s: string): boolean {
  return /[*?[]/.test(s);
}

/** One path segment of a glob(3) pattern as a RegExp (fnmatch without FNM_NOESCAPE, with FNM_PERIOD). */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charAt(i);
    if (c === '\\' && i + 1 < segment.length) {
      re += escapeRe(segment.charAt(++i));
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = findClassEnd(segment, i);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      let cls = '';
      for (let k = 0; k < body.length; k++) {
        const b = body.charAt(k);
        if (b === '-' && k > 0 && k < body.length - 1) cls += '-';
        else cls += escapeRe(b);
      }
      re += `[${negate ? '^/' : ''}${cls}]`;
      i = close;
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`, 's');
}

function findClassEnd(segment: string, open: number): number {
  let k = open + 1;
  if (segment[k] === '!' || segment[k] === '^') k++;
  if (segment[k] === ']') k++; // a leading ']' is literal
  const close = segment.indexOf(']', k);
  return close;
}

function escapeRe(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Where glob(3)'s GLOB_TILDE takes `~` and `~user` from. */
export interface GlobHomes {
  /** For a bare `~`: glibc uses `$HOME` when it is set and non-empty, else the passwd entry (unlike ssh's own tilde_expand). */
  readonly tilde: string;
  readonly localUser: string;
  /** For `~<localUser>`: the passwd entry's home. */
  readonly localUserHome: string;
}

/**
 * glob(3) with GLOB_TILDE for an Include argument: `~` and `~/` are `homes.tilde`,
 * `~user` only for the local user (others match nothing, as an unknown user does in glibc).
 * Results are sorted bytewise, as glob(3) sorts them under the C locale.
 */
export async function globPaths(pattern: string, homes: GlobHomes): Promise<string[]> {
  let path = pattern;
  if (path.startsWith('~')) {
    const slash = path.indexOf('/');
    const user = slash === -1 ? path.slice(1) : path.slice(1, slash);
    if (user !== '' && user !== homes.localUser) return [];
    path = (user === '' ? homes.tilde : homes.localUserHome) + (slash === -1 ? '' : path.slice(slash));
  }
  if (!hasMagic(path)) return (await exists(path)) ? [path] : [];

  const absolute = path.startsWith('/');
  const segments = path.split('/').filter((s, i) => s !== '' || (i === 0 && absolute));
  let bases: string[] = [absolute ? '/' : '.'];
  const start = absolute ? 1 : 0;
  for (let i = start; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasMagic(segment)) {
        const candidate = posix.join(base, segment.replace(/\\(.)/g, '$1'));
        if (last ? await exists(candidate) : await isDirectory(candidate)) next.push(candidate);
        continue;
      }
      let names: string[];
      try {
        names = await readdir(base);
      } catch {
        continue;
      }
      const re = segmentRegExp(segment);
      for (const name of names) {
        // FNM_PERIOD: a leading dot must be matched by a literal dot.
        if (name.startsWith('.') && !segment.startsWith('.')) continue;
        if (!re.test(name)) continue;
        const candidate = posix.join(base, name);
        if (last || (await isDirectory(candidate))) next.push(candidate);
      }
    }
    bases = next;
  }
  const results = absolute ? bases : bases.map((b) => b.replace(/^\.\//, ''));
  return results.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** The largest config file we read (real ones are a few KiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** What reading one config file gave. */
export type ReadResult = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'missing' } | { readonly kind: 'error'; readonly reason: string };

/**
 * Reads a config file. With `checkPerm`, refuses a file that another user owns or that group or
 * others can write (readconf.c read_config_file_depth(), SSHCONF_CHECKPERM: "Bad owner or
 * permissions"), as OpenSSH does for ~/.ssh/config and every included file.
 */
export async function readConfig(path: string, checkPerm: boolean): Promise<ReadResult> {
  try {
    const info = await stat(path);
    if (checkPerm) {
      const uid = typeof process.getuid === 'function' ? process.getuid() : info.uid;
      if ((info.uid !== 0 && info.uid !== uid) || (info.mode & 0o022) !== 0) {
        return { kind: 'error', reason: 'bad owner or permissions (it must not be writable by group or others, nor owned by another user)' };
      }
    }
    // fopen() of a directory succeeds and reading it gives nothing: an empty config.
    if (info.isDirectory()) return { kind: 'text', text: '' };
    // ssh would read a FIFO or a device too (and could block forever): a library must not.
    if (!info.isFile()) return { kind: 'error', reason: 'is not a regular file' };
    if (info.size > MAX_CONFIG_BYTES) return { kind: 'error', reason: `is larger than ${MAX_CONFIG_BYTES} bytes` };
    const text = await readFile(path, 'utf8');
    if (text.length > MAX_CONFIG_BYTES) return { kind: 'error', reason: `is larger than ${MAX_CONFIG_BYTES} bytes` };
    return { kind: 'text', text };
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'error', reason: `cannot be read (${code === '' ? 'I/O error' : code})` };
  }
}
