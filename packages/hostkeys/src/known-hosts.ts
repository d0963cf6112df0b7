import { readFileSync } from 'node:fs';
import { hashDigest, parseLine, type ParsedEntry } from './internal/line.js';
import { lowerAscii, matchCompiled, toBytes } from './internal/match.js';
import { decodeKeyBlob, sha256Fingerprint, type DecodedKey } from './internal/wire.js';

/**
 * A line that OpenSSH would skip, or a file it could not read. Never an exception.
 *
 * @example
 * ```ts
 * for (const w of knownHosts.warnings) log(`${w.source}:${w.line}: ${w.reason}`);
 * ```
 */
export interface KnownHostsWarning {
  /** The file path, or the `source` given to {@link KnownHosts.parse}. */
  readonly source: string;
  /** 1-based line number; 0 when the whole file could not be read. */
  readonly line: number;
  readonly reason: string;
}

/**
 * A known_hosts line that names the host looked up.
 *
 * @example
 * ```ts
 * for (const m of result.matches) log(`${m.source}:${m.line} ${m.keyType} ${m.fingerprint}`);
 * ```
 */
export interface KnownHostsMatch {
  readonly source: string;
  readonly line: number;
  /** The key's canonical type, e.g. `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`. */
  readonly keyType: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** `@revoked`, `@cert-authority`, or null for a plain entry. */
  readonly marker: 'revoked' | 'cert-authority' | null;
  /** Whether this line's key is the presented key. */
  readonly sameKey: boolean;
}

/**
 * OpenSSH's HostStatus: HOST_OK, HOST_NEW, HOST_CHANGED, HOST_REVOKED.
 *
 * @example
 * ```ts
 * const status: HostKeyStatus = knownHosts.verify({ host, key }).status;
 * ```
 */
export type HostKeyStatus = 'trusted' | 'unknown' | 'changed' | 'revoked';

/**
 * What {@link KnownHosts.verify} found.
 *
 * @example
 * ```ts
 * const r: VerifyResult = knownHosts.verify({ host: 'h', port: 2222, key });
 * if (r.status === 'changed') log(r.presented.fingerprint, r.matches);
 * ```
 */
export interface VerifyResult {
  readonly status: HostKeyStatus;
  /**
   * The lines that decided: for `trusted` the line(s) listing the key; for `revoked` the
   * `@revoked` line(s); for `changed` every plain line of the name; for `unknown` any
   * `@cert-authority` line of the name (it cannot vouch through ssh2). Ordered by file, then line.
   */
  readonly matches: readonly KnownHostsMatch[];
  readonly presented: { readonly keyType: string; readonly fingerprint: string };
  /** The name the decision was made under: the alias, `host`, `[host]:port`, or the bare host after the fallback. */
  readonly lookupName: string;
  /** Every line whose patterns named `lookupName`, whatever its marker or key. */
  readonly candidates: readonly KnownHostsMatch[];
}

/**
 * Arguments of {@link KnownHosts.verify}.
 *
 * @example
 * ```ts
 * const options: VerifyOptions = { host: 'docker.example.com', port: 2222, key, hostKeyAlias: 'docker-prod' };
 * ```
 */
export interface VerifyOptions {
  /** The host name as the user typed it (before any resolution); compared lower-cased. */
  readonly host: string;
  /** Defaults to 22. */
  readonly port?: number;
  /** The SSH wire-format public-key blob, as ssh2 passes it to `hostVerifier`. */
  readonly key: Uint8Array;
  /** ssh_config `HostKeyAlias`: looked up instead of the host and port. */
  readonly hostKeyAlias?: string;
}

/**
 * Arguments of {@link KnownHosts.hostKeyAlgorithms}.
 *
 * @example
 * ```ts
 * const serverHostKey = knownHosts.hostKeyAlgorithms({ host: 'docker.example.com', port: 2222 });
 * ```
 */
export interface LookupOptions {
  readonly host: string;
  readonly port?: number;
  readonly hostKeyAlias?: string;
}

interface Entry extends ParsedEntry {
  readonly source: string;
  readonly line: number;
  readonly index: number;
}

/**
 * The hardened host-key algorithm preference, most preferred first. No `ssh-rsa` (SHA-1) and no
 * DSA. ECDSA is listed for ordering only: it is offered when a known key for the name is ECDSA.
 */
const PREFERENCE = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
] as const;

/** What the transport offers when nothing is known for the name. */
const DEFAULT_ALGORITHMS = ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'] as const;

/** Host-key algorithms that can present a key of each known type (RSA keys sign with SHA-2 only). */
const ALGORITHMS_FOR_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
};

function checkPort(port: unknown): number {
  if (port === undefined) return 22;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError('port must be an integer from 1 to 65535');
  }
  return port;
}

function checkHost(host: unknown): string {
  if (typeof host !== 'string' || host.length === 0) throw new TypeError('host must be a non-empty string');
  return host;
}

/**
 * The name OpenSSH looks up (sshconnect.c `get_hostfile_hostname_ipaddr`): `HostKeyAlias` if set,
 * otherwise the lower-cased host on port 22 and `[host]:port` on any other port.
 * ssh(1) lower-cases both the host and the alias before the lookup.
 */
export function lookupName(host: string, port: number, hostKeyAlias: string | undefined): string {
  if (hostKeyAlias !== undefined) return lowerAscii(hostKeyAlias);
  const h = lowerAscii(host);
  return port === 22 ? h : `[${h}]:${port}`;
}

function normaliseLookup(options: LookupOptions): { host: string; port: number; alias: string | undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const host = checkHost(options.host);
  const port = checkPort(options.port);
  const alias = options.hostKeyAlias;
  if (alias !== undefined && (typeof alias !== 'string' || alias.length === 0)) {
    throw new TypeError('hostKeyAlias must be a non-empty string when given');
  }
  return { host, port, alias };
}

function toBuffer(key: unknown): Buffer {
  if (!(key instanceof Uint8Array)) throw new TypeError('key must be the SSH wire-format public-key blob (a Buffer or Uint8Array)');
  return Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
}

/** Decodes the presented key or throws the caller's mistake. */
export function decodePresented(key: unknown): DecodedKey {
  const decoded = decodeKeyBlob(toBuffer(key));
  if (decoded === undefined) throw new TypeError('key is not an SSH public-key blob that OpenSSH would accept');
  return decoded;
}

let addText: (kh: KnownHosts, text: string, source: string, firstLine: number) => void;

/**
 * A set of known_hosts lines from one or more files, looked up exactly as OpenSSH 9.2's ssh(1)
 * does with `StrictHostKeyChecking yes`.
 *
 * @example
 * ```ts
 * import { KnownHosts } from '@ssh-docker/hostkeys';
 * import { homedir } from 'node:os';
 *
 * const kh = KnownHosts.load([`${homedir()}/.ssh/known_hosts`, '/etc/ssh/ssh_known_hosts']);
 * for (const w of kh.warnings) console.warn(`${w.source}:${w.line}: ${w.reason}`);
 * ```
 */
export class KnownHosts {
  readonly #entries: Entry[] = [];
  /** Plain lines whose names are all literal, by name: most lines, found without a scan. */
  readonly #literal = new Map<string, Entry[]>();
  /** Hashed lines and lines with wildcards or negations: examined one by one. */
  readonly #scan: Entry[] = [];
  /** Lines found per lookup name, until lines are added (a re-key or reconnect looks up again). */
  readonly #memo = new Map<string, Entry[]>();
  readonly #warnings: KnownHostsWarning[] = [];
  readonly #paths: string[];

  static {
    addText = (kh, text, source, firstLine) => {
      kh.#add(text, source, firstLine);
    };
  }

  private constructor(paths: string[]) {
    this.#paths = paths;
  }

  /**
   * Parses known_hosts text. Never throws on content: lines OpenSSH would skip become warnings.
   *
   * @param text - the file's content; `\n` ends a line, a `\r` before it is kept as OpenSSH keeps it.
   * @param options.source - the name used in warnings and matches (default `"<text>"`).
   * @example
   * ```ts
   * const kh = KnownHosts.parse('example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...\n', { source: 'inline' });
   * kh.warnings; // []
   * ```
   */
  static parse(text: string, options: { readonly source?: string } = {}): KnownHosts {
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    const kh = new KnownHosts([]);
    kh.#add(text, options.source ?? '<text>');
    return kh;
  }

  /**
   * Reads known_hosts files in order. A missing file is skipped silently (as OpenSSH does); an
   * unreadable one becomes a warning with line 0. Paths are used as given (no `~` expansion).
   * Accepted keys of the `accept-new` policy are recorded to the first path.
   *
   * @example
   * ```ts
   * const kh = KnownHosts.load(['/home/me/.ssh/known_hosts', '/home/me/.ssh/known_hosts2']);
   * ```
   */
  static load(paths: readonly string[]): KnownHosts {
    const list: unknown = paths;
    if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p.length === 0)) {
      throw new TypeError('paths must be an array of non-empty strings');
    }
    const files = list as string[];
    const kh = new KnownHosts([...files]);
    for (const path of files) {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        kh.#warnings.push({ source: path, line: 0, reason: `file could not be read (${code ?? 'error'})` });
        continue;
      }
      kh.#add(text, path);
    }
    return kh;
  }

  /** The files given to {@link KnownHosts.load}, in order (empty for {@link KnownHosts.parse}). */
  get paths(): readonly string[] {
    return this.#paths;
  }

  /** Lines that were skipped, and files that could not be read. */
  get warnings(): readonly KnownHostsWarning[] {
    return this.#warnings;
  }

  /** The number of valid entries (plain, `@revoked` and `@cert-authority`). */
  get size(): number {
    return this.#entries.length;
  }

  #add(text: string, source: string, firstLine = 1): void {
    this.#memo.clear();
    let lineNo = firstLine - 1;
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl === -1) nl = text.length;
      const raw = text.slice(start, nl);
      start = nl + 1;
      lineNo++;
      const parsed = parseLine(raw);
      if (parsed.kind === 'entry') {
        const entry: Entry = {
          kind: 'entry',
          marker: parsed.marker,
          patterns: parsed.patterns,
          hashed: parsed.hashed,
          key: parsed.key,
          writtenType: parsed.writtenType,
          source,
          line: lineNo,
          index: this.#entries.length,
        };
        this.#entries.push(entry);
        const literals = entry.patterns?.literals;
        if (literals) {
          for (const name of new Set(literals)) {
            const list = this.#literal.get(name);
            if (list) list.push(entry);
            else this.#literal.set(name, [entry]);
          }
        } else {
          this.#scan.push(entry);
        }
      } else if (parsed.kind === 'invalid') {
        this.#warnings.push({ source, line: lineNo, reason: parsed.reason });
      }
    }
  }

  /** hostfile.c `match_maybe_hashed`: hashed fields compare the HMAC, others go through match.c. */
  #entriesFor(name: string): Entry[] {
    const cached = this.#memo.get(name);
    if (cached) return cached;
    const bytes = toBytes(name);
    const out: Entry[] = [...(this.#literal.get(bytes) ?? [])];
    for (const e of this.#scan) {
      if (e.hashed !== null) {
        if (e.hashed.digest !== null && hashDigest(e.hashed.salt, name) === e.hashed.digest) out.push(e);
      } else if (e.patterns !== null && matchCompiled(bytes, e.patterns)) {
        out.push(e);
      }
    }
    out.sort((a, b) => a.index - b.index);
    if (this.#memo.size >= 256) this.#memo.clear();
    this.#memo.set(name, out);
    return out;
  }

  /**
   * hostfile.c `check_hostkeys_by_key_or_type` for a plain key: REVOKED if an `@revoked` line
   * lists the key (it beats any good line), OK if a plain line lists it, CHANGED if plain lines
   * list only other keys (another type counts), NEW otherwise. `@cert-authority` lines never
   * vouch for a plain key: ssh2 has no host certificates.
   */
  #check(name: string, presented: DecodedKey, presentedFp: string): VerifyResult {
    const found = this.#entriesFor(name);
    const describe = (e: Entry): KnownHostsMatch => ({
      source: e.source,
      line: e.line,
      keyType: e.key.keyType,
      fingerprint: sha256Fingerprint(e.key.blob),
      marker: e.marker,
      sameKey: e.key.identity === presented.identity,
    });
    const candidates = found.map(describe);
    const revoked = candidates.filter((c) => c.marker === 'revoked' && c.sameKey);
    const plain = candidates.filter((c) => c.marker === null);
    const presentedOut = { keyType: presented.keyType, fingerprint: presentedFp };
    let status: HostKeyStatus;
    let matches: KnownHostsMatch[];
    if (revoked.length > 0) {
      status = 'revoked';
      matches = revoked;
    } else if (plain.some((c) => c.sameKey)) {
      status = 'trusted';
      matches = plain.filter((c) => c.sameKey);
    } else if (plain.length > 0) {
      status = 'changed';
      matches = plain;
    } else {
      status = 'unknown';
      matches = candidates.filter((c) => c.marker === 'cert-authority');
    }
    return { status, matches, presented: presentedOut, lookupName: name, candidates };
  }

  /**
   * Decides whether `key` is the known host key for the host, as ssh(1) with
   * `StrictHostKeyChecking yes` does (sshconnect.c `check_host_key`).
   *
   * Looked up under `hostKeyAlias` if given, else the lower-cased host on port 22, else
   * `[host]:port`; when that finds nothing (NEW) on a non-22 port without an alias, the bare host
   * is tried and counts only if it lists this very key ("found matching key w/out port") — or
   * revokes it. A different key found only under the bare host leaves the result `unknown`.
   *
   * @throws TypeError when `key` is not a public-key blob, RangeError for a bad port.
   * @example
   * ```ts
   * const r = kh.verify({ host: 'docker.example.com', port: 2222, key });
   * if (r.status !== 'trusted') throw new Error(`${r.status}: ${r.presented.fingerprint}`);
   * ```
   */
  verify(options: VerifyOptions): VerifyResult {
    const { host, port, alias } = normaliseLookup(options);
    const presented = decodePresented(options.key);
    const fp = sha256Fingerprint(presented.blob);
    const name = lookupName(host, port, alias);
    const first = this.#check(name, presented, fp);
    if (first.status !== 'unknown' || alias !== undefined || port === 22) return first;
    // sshconnect.c, HOST_NEW: "checking without port identifier".
    const bare = this.#check(lowerAscii(host), presented, fp);
    if (bare.status === 'trusted' || bare.status === 'revoked') return bare;
    // Still NEW; keep the @cert-authority lines the bare name found, so the error can explain them.
    const seen = new Set(first.candidates.map((c) => `${c.source}:${c.line}`));
    const cas = bare.candidates.filter((c) => c.marker === 'cert-authority' && !seen.has(`${c.source}:${c.line}`));
    if (cas.length === 0) return first;
    return { ...first, matches: [...first.matches, ...cas], candidates: [...first.candidates, ...cas] };
  }

  /**
   * The exact ordered list for ssh2's `algorithms.serverHostKey`: first the algorithms of the key
   * types already known (plain lines) for the lookup name, in the hardened preference order
   * (ssh-ed25519, ecdsa-sha2-nistp256/384/521, rsa-sha2-512, rsa-sha2-256), then the rest of the
   * default hardened set `['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']`.
   *
   * As OpenSSH's `order_hostkeyalgs` does, this keeps a host whose known key is RSA from being
   * reported as changed because the server preferred Ed25519. `ssh-rsa` (SHA-1) and DSA are
   * never offered; ECDSA only when an ECDSA key of that curve is known for the name. Unlike
   * OpenSSH, when nothing is known for `[host]:port`, the key types of the bare host are used,
   * matching the bare-host fallback of {@link KnownHosts.verify}.
   *
   * @example
   * ```ts
   * const serverHostKey = kh.hostKeyAlgorithms({ host: 'docker.example.com', port: 2222 });
   * new Client().connect({ host, port, algorithms: { serverHostKey }, hostVerifier });
   * ```
   */
  hostKeyAlgorithms(options: LookupOptions): string[] {
    const { host, port, alias } = normaliseLookup(options);
    const typesFor = (name: string): Set<string> =>
      new Set(this.#entriesFor(name).filter((e) => e.marker === null).map((e) => e.key.keyType));
    let known = typesFor(lookupName(host, port, alias));
    if (known.size === 0 && alias === undefined && port !== 22) known = typesFor(lowerAscii(host));
    const offered = new Set<string>();
    for (const type of known) for (const alg of ALGORITHMS_FOR_TYPE[type] ?? []) offered.add(alg);
    const first = PREFERENCE.filter((alg) => offered.has(alg));
    return [...first, ...DEFAULT_ALGORITHMS.filter((alg) => !offered.has(alg))];
  }
}

/** Internal: adds lines to a KnownHosts in memory (used after `appendKnownHost`), numbered from `firstLine`. */
export function addKnownHostsText(kh: KnownHosts, text: string, source: string, firstLine: number): void {
  addText(kh, text, source, firstLine);
}


