// load + verify on a 100,000-line known_hosts, half of it hashed.
//   pnpm vitest bench --run --project hostkeys:unit bench/verify.bench.ts
// Prints lines/s for each step; the vitest table gives ops/s (one op = one whole file).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { hashHostName, KnownHosts } from '../src/index.js';

const LINES = 100_000;

/** An Ed25519 public-key blob (any 32 bytes decode, as in OpenSSH). */
function ed25519Blob(): Buffer {
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(randomBytes(32))]);
}

// 49,999 hosts with a key each, every host on two lines: its hashed name (as HashKnownHosts
// writes it) and its plain `name,address` (as older clients with CheckHostIP wrote it).
const target = ed25519Blob();
const lines: string[] = [];
for (let i = 0; lines.length < LINES - 2; i++) {
  const key = ed25519Blob().toString('base64');
  const name = i % 3 === 0 ? `[host${i}.example.com]:2222` : `host${i}.example.com`;
  lines.push(`${hashHostName(name)} ssh-ed25519 ${key}`);
  lines.push(`${name},10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} ssh-ed25519 ${key}`);
}
// The hosts looked up sit at the end.
lines.push(`${hashHostName('[target.example.com]:2222')} ssh-ed25519 ${target.toString('base64')}`);
lines.push(`plain-target.example.com ssh-ed25519 ${target.toString('base64')}`);
const path = join(mkdtempSync(join(tmpdir(), 'hostkeys-bench-')), 'known_hosts');
writeFileSync(path, `${lines.join('\n')}\n`);

function report(label: string, fn: () => void, runs = 5): void {
  fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9 / runs;
  console.log(`${label}: ${(seconds * 1000).toFixed(1)} ms per file, ${Math.round(LINES / seconds).toLocaleString('en')} lines/s`);
}

const loaded = KnownHosts.load([path]);
report('load (parse 100,000 lines)', () => KnownHosts.load([path]));
// Each lookup name is examined once per KnownHosts (then remembered), so time fresh names.
let n = 0;
report('verify an unknown hashed-style name (full scan, 50,000 HMACs)', () => loaded.verify({ host: `new${n++}.example.com`, key: target }));
report('verify the same name again (remembered)', () => loaded.verify({ host: 'target.example.com', port: 2222, key: target }));
report('load + verify unknown host on port 2222 (two lookups)', () =>
  KnownHosts.load([path]).verify({ host: 'nobody.example.com', port: 2222, key: target }),
);

describe('known_hosts with 100,000 lines, half hashed', () => {
  bench('load', () => {
    KnownHosts.load([path]);
  }, { iterations: 5 });
  let m = 0;
  bench('verify a name not seen before', () => {
    loaded.verify({ host: `other${m++}.example.com`, port: 2222, key: target });
  }, { iterations: 5 });
  bench('load + verify', () => {
    KnownHosts.load([path]).verify({ host: 'target.example.com', port: 2222, key: target });
  }, { iterations: 5 });
});
