// Re-asks the real OpenSSH 9.2p1 every recorded question, with fresh keys and a fresh sshd on
// 127.0.0.1, and checks that ssh, the recorded vectors and this package still agree.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fingerprint, hashHostName, KnownHosts } from '../../src/index.js';
import { cases, findCases, hashNames } from '../oracle/cases.mjs';
import { askFind, askSsh, keygenHash, makeKeys, makeWorkDir, mapLimit, render, startSshd } from '../oracle/harness.mjs';
import { vectors } from '../helpers.js';

type Keys = Awaited<ReturnType<typeof makeKeys>>;
type Sshd = Awaited<ReturnType<typeof startSshd>>;

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
      const text = await render(c.kh, keys, work.dir);
      const { verdict } = await askSsh(server, work.dir, c, text);
      const ours = KnownHosts.parse(text).verify({
        host: c.host,
        port: c.port ?? 22,
        key: Buffer.from(keys[c.presented as 'A'].b64, 'base64'),
        ...(c.alias === undefined ? {} : { hostKeyAlias: c.alias }),
      }).status;
      return { id: c.id, ssh: verdict, recorded: recorded.get(c.id)?.expected, ours };
    });
    const disagreements = outcomes.filter((o) => o.ssh !== o.ours || o.ssh !== o.recorded);
    expect(disagreements).toEqual([]);
  });

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
