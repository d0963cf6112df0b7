#!/usr/bin/env node
// Builds test/vectors/openssh-oracle.json by asking the real OpenSSH (ssh, sshd, ssh-keygen):
//   node packages/hostkeys/scripts/gen-oracle.mjs
// Starts one sshd on 127.0.0.1 (needs root for /run/sshd), kills it on exit, also on failure.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cases, findCases, hashNames } from '../test/oracle/cases.mjs';
import { askFind, askSsh, splitFiles, keygenHash, makeKeys, makeWorkDir, mapLimit, opensshVersion, render, startSshd } from '../test/oracle/harness.mjs';

const out = fileURLToPath(new URL('../test/vectors/openssh-oracle.json', import.meta.url));
const work = makeWorkDir();
let sshd;
const stop = async () => {
  if (sshd) await sshd.stop();
  work.cleanup();
};
process.once('SIGINT', () => void stop().then(() => process.exit(130)));
try {
  const keys = await makeKeys(work.dir);
  sshd = await startSshd(work.dir, keys);
  const connect = await mapLimit(cases, 8, async (c) => {
    const files = splitFiles(await render(c.kh, keys, work.dir));
    const { verdict, evidence } = await askSsh(sshd, work.dir, c, files);
    return { id: c.id, rule: c.rule, template: c.kh, files, host: c.host, port: c.port ?? 22, ...(c.alias === undefined ? {} : { hostKeyAlias: c.alias }), presented: c.presented, expected: verdict, evidence };
  });
  const find = await mapLimit(findCases, 8, async (c) => {
    const knownHosts = await render(c.kh, keys, work.dir);
    return { id: c.id, template: c.kh, knownHosts, name: c.name, lines: await askFind(work.dir, c.id, knownHosts, c.name) };
  });
  const hashed = await keygenHash(work.dir, hashNames, keys);
  const vectors = {
    comment: 'Expected answers from the real OpenSSH client; regenerate with node packages/hostkeys/scripts/gen-oracle.mjs',
    openssh: await opensshVersion(),
    keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { type: v.type, blob: v.b64, fingerprint: v.fingerprint }])),
    connect,
    find,
    hash: hashNames.map((name, i) => ({ name, hashed: hashed[i] })),
  };
  writeFileSync(out, `${JSON.stringify(vectors, null, 2)}\n`);
  const counts = {};
  for (const c of connect) counts[c.expected] = (counts[c.expected] ?? 0) + 1;
  process.stdout.write(`${connect.length} connect cases ${JSON.stringify(counts)}, ${find.length} find cases, ${hashed.length} hashes -> ${out}\n`);
} finally {
  await stop();
}
