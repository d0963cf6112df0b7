import { randomBytes } from 'node:crypto';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { debuglog } from 'node:util';
import { runInNewContext } from 'node:vm';

const debug = debuglog('ssh-docker:testkit');

let collect: (() => void) | undefined;

/** `global.gc` when the process runs with `--expose-gc`; otherwise the flag is set now and gc fetched from a fresh context. */
function gcFunction(): () => void {
  if (collect) return collect;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') {
    collect = exposed;
  } else {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const MAX_CONS = 1 << 20;

/**
 * The snapshot's strings, plus the text of every concatenated string: V8 names a cons string node
 * `(concatenated string)` and keeps its content in its `first` and `second` children only, so a
 * secret built by `+` or a template literal would otherwise be seen in pieces.
 */
async function snapshotStrings(): Promise<string[]> {
  const started = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  chunks.length = 0;
  const taken = Date.now();
  const parsed = JSON.parse(text) as Snapshot;
  debug('heap snapshot: %d chars in %d ms, parsed in %d ms', text.length, taken - started, Date.now() - taken);
  const { meta } = parsed.snapshot;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const typeOffset = meta.node_fields.indexOf('type');
  const nameOffset = meta.node_fields.indexOf('name');
  const edgeCountOffset = meta.node_fields.indexOf('edge_count');
  const edgeTypeOffset = meta.edge_fields.indexOf('type');
  const edgeNameOffset = meta.edge_fields.indexOf('name_or_index');
  const edgeToOffset = meta.edge_fields.indexOf('to_node');
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const consType = nodeTypes.indexOf('concatenated string');
  const stringTypes = new Set(['string', 'sliced string'].map((t) => nodeTypes.indexOf(t)));
  const { nodes, edges, strings } = parsed;
  const nodeCount = nodes.length / nodeFieldCount;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let i = 0; i < nodeCount; i++) {
    firstEdge[i + 1] = (firstEdge[i] ?? 0) + (nodes[i * nodeFieldCount + edgeCountOffset] ?? 0) * edgeFieldCount;
  }
  const memo = new Map<number, string>();
  const textOf = (node: number, depth: number): string => {
    const type = nodes[node * nodeFieldCount + typeOffset];
    if (type !== consType) return stringTypes.has(type ?? -1) ? (strings[nodes[node * nodeFieldCount + nameOffset] ?? 0] ?? '') : '';
    const cached = memo.get(node);
    if (cached !== undefined) return cached;
    if (depth > 2000) return '';
    let first = '';
    let second = '';
    for (let e = firstEdge[node] ?? 0; e < (firstEdge[node + 1] ?? 0); e += edgeFieldCount) {
      if (edgeTypes[edges[e + edgeTypeOffset] ?? 0] !== 'internal') continue;
      const name = strings[edges[e + edgeNameOffset] ?? 0];
      const to = (edges[e + edgeToOffset] ?? 0) / nodeFieldCount;
      if (name === 'first') first = textOf(to, depth + 1);
      else if (name === 'second') second = textOf(to, depth + 1);
    }
    const text = first.length + second.length > MAX_CONS ? '' : first + second;
    memo.set(node, text);
    return text;
  };
  const out = [...strings];
  for (let node = 0; node < nodeCount; node++) {
    if (nodes[node * nodeFieldCount + typeOffset] === consType) out.push(textOf(node, 0));
  }
  return out;
}

/**
 * Takes a V8 heap snapshot after a forced full GC and reports whether any string in it contains the
 * bytes, read as UTF-8 text or as UTF-16LE code units (the two ways a secret becomes a JS string).
 *
 * Limits, stated honestly:
 * - The snapshot holds string contents, not ArrayBuffer/Buffer contents: a secret kept only in a
 *   Buffer or Uint8Array (as `Secret` does) is invisible here by design of V8's snapshot. This checks
 *   that no *string* copy survives.
 * - V8 names a string node by at most its first 1024 characters; a secret beyond that offset in a
 *   longer string is not seen.
 * - The caller must not itself keep the secret as a string (that copy would be found): keep it in a
 *   Buffer and pass the Buffer. A string argument is masked at once, but the caller's own variable
 *   still holds it.
 *
 * @example
 * ```ts
 * const password = Buffer.from(randomSecret, 'utf8');   // the test keeps bytes, never a string
 * const transport = await connect({ password: new Secret(password) });
 * await transport.ready();
 * expect(await heapContains(password)).toBe(false);
 * ```
 */
export async function heapContains(bytes: string | Uint8Array): Promise<boolean> {
  // Hold the needle masked while the snapshot is taken, so that this function's own copy is not
  // what the snapshot finds; unmask only afterwards.
  const plain = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  if (plain.length === 0) throw new RangeError('heapContains needs at least one byte');
  const mask = randomBytes(plain.length);
  for (let i = 0; i < plain.length; i++) plain[i] = (plain[i] ?? 0) ^ (mask[i] ?? 0);
  const gc = gcFunction();
  gc();
  gc();
  const strings = await snapshotStrings();
  for (let i = 0; i < plain.length; i++) plain[i] = (plain[i] ?? 0) ^ (mask[i] ?? 0);
  const needles: string[] = [];
  const utf8 = plain.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(plain)) needles.push(utf8);
  needles.push(plain.toString('latin1'));
  if (plain.length % 2 === 0) needles.push(plain.toString('utf16le'));
  const found = strings.some((s) => needles.some((needle) => s.includes(needle)));
  plain.fill(0);
  return found;
}
