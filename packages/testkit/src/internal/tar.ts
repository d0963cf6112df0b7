import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** One entry of a ustar archive (POSIX.1-1988): directories, regular files and symlinks. */
export type TarEntry =
  | { type: 'dir'; name: string; mode?: number }
  | { type: 'file'; name: string; mode?: number; data: Buffer }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'random'; name: string; size: number };

function octal(value: number, width: number): string {
  // width includes the trailing NUL
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, mode: number, size: number, typeflag: string, linkname = ''): Buffer {
  const block = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    // ustar splits long names at a '/' into prefix (155) and name (100).
    const cut = name.lastIndexOf('/', 155);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) {
      throw new RangeError('tar entry name is too long for ustar');
    }
  }
  block.write(base, 0, 100, 'utf8');
  block.write(octal(mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write(typeflag, 156, 'ascii');
  block.write(linkname, 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

const CHUNK = 1024 * 1024;

/** Streams a tar archive of the entries; random files are generated chunk by chunk, never held whole. */
export function* tarStream(entries: Iterable<TarEntry>): Generator<Buffer> {
  for (const entry of entries) {
    switch (entry.type) {
      case 'dir':
        yield header(entry.name.endsWith('/') ? entry.name : `${entry.name}/`, entry.mode ?? 0o755, 0, '5');
        break;
      case 'symlink':
        yield header(entry.name, 0o777, 0, '2', entry.target);
        break;
      case 'file':
        yield header(entry.name, entry.mode ?? 0o644, entry.data.length, '0');
        yield entry.data;
        if (entry.data.length % 512) yield Buffer.alloc(512 - (entry.data.length % 512));
        break;
      case 'random': {
        yield header(entry.name, 0o644, entry.size, '0');
        for (let left = entry.size; left > 0; left -= CHUNK) {
          yield randomFillSync(Buffer.allocUnsafe(Math.min(CHUNK, left)));
        }
        if (entry.size % 512) yield Buffer.alloc(512 - (entry.size % 512));
        break;
      }
    }
  }
  yield Buffer.alloc(1024);
}

let rootfs: TarEntry[] | undefined;

/**
 * The busybox root filesystem as tar entries: the static busybox binary at /bin/busybox, one symlink
 * per applet at the path `busybox --list-full` gives, the usual empty directories and a minimal
 * /etc/passwd and /etc/group. Read once per process.
 */
export function busyboxRootfs(busybox: string): TarEntry[] {
  if (rootfs) return rootfs;
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && line !== 'bin/busybox' && !line.includes('..'));
  const dirs = new Set(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'root', 'proc', 'sys', 'dev', 'home']);
  for (const applet of applets) {
    const parts = applet.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: TarEntry[] = [...dirs].sort().map((name) => ({ type: 'dir', name }));
  entries.push({ type: 'dir', name: 'tmp', mode: 0o1777 });
  entries.push({ type: 'file', name: 'bin/busybox', mode: 0o755, data: readFileSync(busybox) });
  for (const applet of applets) entries.push({ type: 'symlink', name: applet, target: '/bin/busybox' });
  entries.push({
    type: 'file',
    name: 'etc/passwd',
    data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'),
  });
  entries.push({ type: 'file', name: 'etc/group', data: Buffer.from('root:x:0:\nnogroup:x:65534:\n') });
  rootfs = entries;
  return entries;
}
