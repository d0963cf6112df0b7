import { open, readFile } from 'node:fs/promises';

/** Bytes read from /proc/<pid>/mem at a time; a needle that spans two reads is still found. */
const CHUNK = 1 << 20;

/** One mapping of /proc/<pid>/maps that can be read. */
interface Region {
  readonly start: bigint;
  readonly end: bigint;
  readonly name: string;
}

/** Readable mappings, except the kernel's own pages ([vvar] faults on read, [vsyscall] is not the process's). */
async function readableRegions(pid: number): Promise<Region[]> {
  const maps = await readFile(`/proc/${String(pid)}/maps`, 'utf8');
  const regions: Region[] = [];
  for (const line of maps.split('\n')) {
    const [range, perms, , , , ...rest] = line.trim().split(/\s+/);
    if (range === undefined || perms === undefined || !perms.startsWith('r')) continue;
    const name = rest.join(' ');
    if (name === '[vvar]' || name === '[vsyscall]' || name === '[vvar_vclock]') continue;
    const [from, to] = range.split('-');
    if (from === undefined || to === undefined) continue;
    regions.push({ start: BigInt(`0x${from}`), end: BigInt(`0x${to}`), name });
  }
  return regions;
}

/** What {@link processMemoryContains} found for one needle. */
export interface MemoryHit {
  /** Where the needle starts, as an address in the scanned process. */
  readonly address: bigint;
  /** The mapping it is in: a file path, `[heap]`, `[stack]`, or '' for anonymous memory (V8's heap, Buffer backing stores). */
  readonly region: string;
}

/**
 * Scans every readable page of a live process (`/proc/<pid>/mem`, which needs the same user or
 * root) for each needle, and returns the hits per needle. Unlike a V8 heap snapshot, this sees
 * everything: stale copies the garbage collector moved away from, Buffer pool slabs, native
 * buffers of OpenSSL and libuv, freed memory not yet reused.
 *
 * Stop the process (or keep it idle) while it is scanned, or a copy may move under the scan.
 *
 * @example
 * ```ts
 * const [hits] = await processMemoryContains(child.pid, [passwordBytes]);
 * expect(hits).toEqual([]);
 * ```
 */
export async function processMemoryContains(pid: number, needles: readonly Uint8Array[]): Promise<MemoryHit[][]> {
  const found: MemoryHit[][] = needles.map(() => []);
  if (needles.some((n) => n.length === 0)) throw new RangeError('a needle must not be empty');
  const overlap = Math.max(...needles.map((n) => n.length)) - 1;
  const mem = await open(`/proc/${String(pid)}/mem`, 'r');
  const buffer = Buffer.alloc(CHUNK + overlap);
  try {
    for (const region of await readableRegions(pid)) {
      let carried = 0;
      for (let at = region.start; at < region.end; at += BigInt(CHUNK)) {
        const want = Number(region.end - at < BigInt(CHUNK) ? region.end - at : BigInt(CHUNK));
        let got = 0;
        try {
          ({ bytesRead: got } = await mem.read(buffer, carried, want, Number(at)));
        } catch {
          // A page that cannot be read (a guard page, a mapping that went away): nothing carried over it.
          carried = 0;
          continue;
        }
        const view = buffer.subarray(0, carried + got);
        const base = at - BigInt(carried);
        needles.forEach((needle, i) => {
          for (let hit = view.indexOf(needle); hit !== -1; hit = view.indexOf(needle, hit + 1)) {
            // A hit wholly inside the carried bytes was already counted by the previous read.
            if (hit + needle.length <= carried) continue;
            found[i]?.push({ address: base + BigInt(hit), region: region.name });
          }
        });
        carried = Math.min(overlap, view.length);
        view.copy(buffer, 0, view.length - carried);
      }
    }
  } finally {
    await mem.close();
    buffer.fill(0);
  }
  return found;
}
