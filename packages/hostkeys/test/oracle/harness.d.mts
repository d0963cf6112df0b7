export interface OracleCase {
  readonly id: string;
  readonly rule: string;
  readonly kh: string;
  readonly host: string;
  readonly port?: number;
  readonly alias?: string;
  readonly presented: 'A' | 'B' | 'C';
  readonly tabs?: boolean;
}
export interface OracleKey {
  readonly type: string;
  readonly b64: string;
  readonly path: string;
  readonly fingerprint: string;
}
export type OracleKeys = Record<'A' | 'B' | 'C' | 'X' | 'Y' | 'Z', OracleKey>;
export interface Sshd {
  readonly port: number;
  readonly proxy: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}
export declare const ALGORITHM: Record<'A' | 'B' | 'C', string>;
export declare function makeWorkDir(): { dir: string; cleanup(): void };
export declare function opensshVersion(): Promise<string>;
export declare function makeKeys(dir: string): Promise<OracleKeys>;
export declare function keygenHash(dir: string, names: readonly string[], keys: OracleKeys): Promise<string[]>;
export declare function render(template: string, keys: OracleKeys, dir: string): Promise<string>;
export declare function startSshd(dir: string, keys: OracleKeys): Promise<Sshd>;
export declare function classify(stderr: string): 'trusted' | 'unknown' | 'changed' | 'revoked';
export declare function askSsh(
  sshd: Sshd,
  dir: string,
  c: OracleCase,
  knownHostsText: string,
): Promise<{ verdict: 'trusted' | 'unknown' | 'changed' | 'revoked'; evidence: string }>;
export declare function askFind(dir: string, id: string, knownHostsText: string, name: string): Promise<number[]>;
export declare function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]>;
