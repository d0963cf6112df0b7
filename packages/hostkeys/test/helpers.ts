import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts } from '../src/index.js';

export type KeyName = 'A' | 'B' | 'C' | 'X' | 'Y' | 'Z';

export interface OracleVectors {
  readonly openssh: string;
  readonly keys: Record<KeyName, { type: string; blob: string; fingerprint: string }>;
  readonly connect: {
    id: string;
    rule: string;
    template: string;
    files: string[];
    host: string;
    port: number;
    hostKeyAlias?: string;
    presented: 'A' | 'B' | 'C';
    expected: 'trusted' | 'unknown' | 'changed' | 'revoked';
    evidence: string;
  }[];
  readonly find: { id: string; template: string; knownHosts: string; name: string; lines: number[] }[];
  readonly hash: { name: string; hashed: string }[];
}

/** Expected answers recorded from the real OpenSSH 9.2p1 (scripts/gen-oracle.mjs). */
export const vectors = JSON.parse(
  readFileSync(new URL('./vectors/openssh-oracle.json', import.meta.url), 'utf8'),
) as OracleVectors;

/** The key blob ssh2 would hand to hostVerifier. */
export function blob(name: KeyName): Buffer {
  return Buffer.from(vectors.keys[name].blob, 'base64');
}

/** A known_hosts line for a key. */
export function line(names: string, key: KeyName): string {
  return `${names} ${vectors.keys[key].type} ${vectors.keys[key].blob}`;
}

/** Writes each text to a file of its own and loads them in order, as ssh reads UserKnownHostsFile. */
export function loadFiles(files: readonly string[]): KnownHosts {
  const dir = mkdtempSync(join(tmpdir(), 'hostkeys-files-'));
  const paths = files.map((text, i) => {
    const path = join(dir, `known_hosts${i === 0 ? '' : String(i + 1)}`);
    writeFileSync(path, text);
    return path;
  });
  return KnownHosts.load(paths);
}
