import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPairSync } from 'node:crypto';
import { fc, test as fcTest } from '@fast-check/vitest';
import ts from 'typescript';
import { beforeAll, describe, expect, test } from 'vitest';
import { appendKnownHost, KnownHosts } from '../src/index.js';
import { blob, line, vectors } from './helpers.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

/** A fresh Ed25519 public-key blob. */
function newKey(): Buffer {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const pk = Buffer.from(jwk.x!, 'base64url');
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(pk)]);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hostkeys-append-'));

describe('appendKnownHost', () => {
  test('creates a missing file 0600 and writes a hashed line that verifies as trusted', async () => {
    const dir = tmp();
    const path = join(dir, 'sub', 'known_hosts');
    const written = await appendKnownHost(path, { host: 'MyHost', port: 2222, key: blob('A') });
    expect(written).toMatch(new RegExp(`^\\|1\\|\\S+ ssh-ed25519 ${vectors.keys.A.blob.replace(/[+/]/g, '\\$&')}$`));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8')).toBe(`${written}\n`);
    expect(KnownHosts.load([path]).verify({ host: 'myhost', port: 2222, key: blob('A') }).status).toBe('trusted');
  });

  test('with hash false it writes the lower-cased [host]:port, and keeps every existing line', async () => {
    const dir = tmp();
    const path = join(dir, 'known_hosts');
    const before = `# mine\n${line('other', 'X')}\nno newline at the end`;
    writeFileSync(path, before);
    await appendKnownHost(path, { host: 'Web.Example', port: 2200, key: blob('B') }, { hash: false });
    await appendKnownHost(path, { host: 'web.example', key: blob('C') }, { hash: false });
    await appendKnownHost(path, { host: 'ignored', hostKeyAlias: 'MyAlias', key: blob('A') }, { hash: false });
    expect(readFileSync(path, 'utf8')).toBe(
      `${before}\n${line('[web.example]:2200', 'B')}\n${line('web.example', 'C')}\n${line('myalias', 'A')}\n`,
    );
  });

  test('caller mistakes are TypeError or RangeError', async () => {
    const path = join(tmp(), 'kh');
    await expect(appendKnownHost('', { host: 'h', key: blob('A') })).rejects.toThrow(new TypeError('path must be a non-empty string'));
    await expect(appendKnownHost(path, { host: 'h', port: 70000, key: blob('A') })).rejects.toThrow(
      new RangeError('port must be an integer from 1 to 65535'),
    );
    await expect(appendKnownHost(path, { host: 'a b', key: blob('A') })).rejects.toThrow(
      new TypeError('host cannot be written to known_hosts: it contains whitespace, a comma, or starts with @ # | !'),
    );
    await expect(appendKnownHost(path, { host: 'h', key: Buffer.from('junk') })).rejects.toThrow(
      new TypeError('key is not an SSH public-key blob that OpenSSH would accept'),
    );
  });

  fcTest.prop(
    [
      fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,20}[A-Za-z0-9])?$/),
      fc.integer({ min: 1, max: 65535 }),
      fc.boolean(),
    ],
    { numRuns: Math.min(numRuns, 200) },
  )('after appendKnownHost the key verifies as trusted', async (host, port, hash) => {
    const path = join(tmp(), 'known_hosts');
    const key = newKey();
    await appendKnownHost(path, { host, port, key }, { hash });
    const kh = KnownHosts.load([path]);
    expect(kh.warnings).toEqual([]);
    expect(kh.verify({ host, port, key }).status).toBe('trusted');
    expect(kh.verify({ host, port, key: blob('A') }).status).toBe('changed');
  });
});

describe('appendKnownHost from several processes at once', () => {
  let childScript = '';

  // Child processes run plain JavaScript: transpile src/ once (no build step needed).
  beforeAll(() => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const out = mkdtempSync(join(tmpdir(), 'hostkeys-js-'));
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : [join(dir, e)]));
    for (const file of walk(src).filter((f) => f.endsWith('.ts'))) {
      const js = ts.transpileModule(readFileSync(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, js);
    }
    writeFileSync(join(out, 'package.json'), '{"type":"module"}');
    childScript = join(out, 'child.mjs');
    writeFileSync(
      childScript,
      `import { appendKnownHost } from './index.js';
const [path, host, ...keys] = process.argv.slice(2);
for (const [i, k] of keys.entries()) await appendKnownHost(path, { host: host + '-' + i, port: 2222, key: Buffer.from(k, 'base64') });
`,
    );
  });

  const runChild = (args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [childScript, ...args], (err, _stdout, stderr) => (err ? reject(new Error(stderr)) : resolve()));
    });

  fcTest.prop([fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 5 })], { numRuns: Math.min(numRuns, 20) })(
    'concurrent appends from several processes keep every line',
    async (processes, perProcess) => {
      const path = join(tmp(), 'known_hosts');
      writeFileSync(path, `${line('existing', 'A')}\n`);
      const jobs = Array.from({ length: processes }, (_, p) => ({
        host: `host${p}`,
        keys: Array.from({ length: perProcess }, () => newKey()),
      }));
      await Promise.all(jobs.map((j) => runChild([path, j.host, ...j.keys.map((k) => k.toString('base64'))])));
      const text = readFileSync(path, 'utf8');
      expect(text.split('\n').filter((l) => l !== '')).toHaveLength(1 + processes * perProcess);
      const kh = KnownHosts.load([path]);
      expect(kh.warnings).toEqual([]);
      expect(kh.verify({ host: 'existing', key: blob('A') }).status).toBe('trusted');
      for (const j of jobs) {
        for (const [i, key] of j.keys.entries()) expect(kh.verify({ host: `${j.host}-${i}`, port: 2222, key }).status).toBe('trusted');
      }
    },
    // Up to 20 runs of up to 6 fresh node processes each, beside other test files on a small machine.
    120_000,
  );
});
