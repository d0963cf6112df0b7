import { readFileSync } from 'node:fs';

export type KeyName = 'A' | 'B' | 'C' | 'X' | 'Y' | 'Z';

export interface OracleVectors {
  readonly openssh: string;
  readonly keys: Record<KeyName, { type: string; blob: string; fingerprint: string }>;
  readonly connect: {
    id: string;
    rule: string;
    template: string;
    knownHosts: string;
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
