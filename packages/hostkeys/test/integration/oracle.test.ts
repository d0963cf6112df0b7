// Re-asks the real OpenSSH 9.2p1 every recorded question, with fresh keys and a fresh sshd on
// 127.0.0.1, and checks that ssh, the recorded vectors and this package still agree.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fingerprint, hashHostName, KnownHosts } from '../../src/index.js';
import * as casesModule from '../oracle/cases.mjs';
import * as harness from '../oracle/harness.mjs';
import { loadFiles, vectors } from '../helpers.js';

// The harness is plain JavaScript (scripts/gen-oracle.mjs runs it with node); these are its shapes.
interface OracleCase {
  id: string;
  kh: string;
  host: string;
  port?: number;
  alias?: string;
  presented: 'A' | 'B' | 'C';
}
type Keys = Record<'A' | 'B' | 'C' | 'X' | 'Y' | 'Z', { type: string; b64: string; fingerprint: string }>;
interface Sshd {
  stop(): Promise<void>;
}
type Status = 'trusted' | 'unknown' | 'changed' | 'revoked';
const cases = casesModule.cases as OracleCase[];
const findCases = casesModule.findCases as { id: string; kh: string; name: string }[];
const hashNames = casesModule.hashNames;
const makeWorkDir = harness.makeWorkDir;
const makeKeys = harness.makeKeys as (dir: string) => Promise<Keys>;
const startSshd = harness.startSshd as (dir: string, keys: Keys) => Promise<Sshd>;
const render = harness.render as (template: string, keys: Keys, dir: string) => Promise<string>;
const askSsh = harness.askSsh as (sshd: Sshd, dir: string, c: OracleCase, files: string[]) => Promise<{ verdict: Status }>;
const splitFiles = harness.splitFiles as (text: string) => string[];
const askFind = harness.askFind as (dir: string, id: string, text: string, name: string) => Promise<number[]>;
const keygenHash = harness.keygenHash as (dir: string, names: string[], keys: Keys) => Promise<string[]>;
const mapLimit = harness.mapLimit as <T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>) => Promise<R[]>;

const work = makeWorkDir();
let keys: Keys;
let sshd: Sshd | undefined;

beforeAll(async () => {
  keys = await makeKeys(work.dir);
  sshd = await startSshd(work.dir, keys);
});

afterAll(async () => {
  await sshd?.stop();
  work.cleanup();
});

const recorded = new Map(vectors.connect.map((c) => [c.id, c]));

describe('the real OpenSSH client, asked again', () => {
  test('every case in cases.mjs has a recorded vector, and every vector a case', () => {
    expect(cases.map((c) => c.id).sort()).toEqual([...recorded.keys()].sort());
  });

  test(`ssh, the recorded vectors and KnownHosts.verify agree on all ${cases.length} cases`, async () => {
    const server = sshd!;
    const outcomes = await mapLimit(cases, 8, async (c) => {
      const files = splitFiles(await render(c.kh, keys, work.dir));
      const { verdict } = await askSsh(server, work.dir, c, files);
      const ours = loadFiles(files).verify({
        host: c.host,
        port: c.port ?? 22,
        key: Buffer.from(keys[c.presented].b64, 'base64'),
        ...(c.alias === undefined ? {} : { hostKeyAlias: c.alias }),
      }).status;
      return { id: c.id, ssh: verdict, recorded: recorded.get(c.id)?.expected, ours };
    });
    const disagreements = outcomes.filter((o) => o.ssh !== o.ours || o.ssh !== o.recorded);
    expect(disagreements).toEqual([]);
  }, 600_000);

  test('ssh-keygen -F finds the lines verify considers, for every find case', async () => {
    const outcomes = await mapLimit(findCases, 8, async (c) => {
      const text = await render(c.kh, keys, work.dir);
      const lines = await askFind(work.dir, c.id, text, c.name);
      const kh = KnownHosts.parse(text);
      const invalid = new Set(kh.warnings.map((w) => w.line));
      const ours = kh
        .verify({ host: 'unused', hostKeyAlias: c.name, key: Buffer.from(keys.A.b64, 'base64') })
        .candidates.map((m) => m.line);
      return { id: c.id, keygen: lines.filter((l) => !invalid.has(l)), ours };
    });
    expect(outcomes.filter((o) => JSON.stringify(o.keygen) !== JSON.stringify(o.ours))).toEqual([]);
  });

  test('hashHostName reproduces ssh-keygen -H and fingerprint reproduces ssh-keygen -lf for fresh keys', async () => {
    const hashed = await keygenHash(work.dir, hashNames, keys);
    expect(hashNames.map((n, i) => hashHostName(n, Buffer.from(hashed[i]!.split('|')[2]!, 'base64')))).toEqual(hashed);
    for (const k of Object.values(keys)) expect(fingerprint(`${k.type} ${k.b64}`)).toBe(k.fingerprint);
  });
});
