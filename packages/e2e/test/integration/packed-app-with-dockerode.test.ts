import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

// An app that uses @ssh-docker/transport next to dockerode (docker-modem has its own ssh2 ^1.15.0
// dependency) must get ONE ssh2: two copies' native sshcrypto.node loaded in one process segfault.
// The packages are packed as they would be published and installed with npm from the tarballs, into
// an app whose tree already holds ssh2 1.16.0 (its lockfile from before 1.17.0): a pin of 1.17.0 nests a
// second copy under @ssh-docker/transport; a range dedupes to the app's.
const root = fileURLToPath(new URL('../../../../', import.meta.url));
let app: string;

// Asynchronous: a minute of blocked event loop would time out vitest's worker RPC.
const run = promisify(execFile);

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'sdk-packed-app-'));
  const packs = join(app, 'packs');
  for (const name of ['url', 'hostkeys', 'transport']) {
    await run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(root, 'packages', name) });
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  await run('npm', ['install', '--no-audit', '--no-fund', 'dockerode@4.0.8', 'ssh2@1.16.0'], { cwd: app });
  await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: app });
  writeFileSync(
    join(app, 'load.cjs'),
    `const { createRequire } = require('node:module');
// docker-modem requires its ssh2 when it first dials ssh://: done here directly.
const load = { t: () => require('@ssh-docker/transport'), d: () => { new (require('dockerode'))({ host: '127.0.0.1', port: 1 }); require(createRequire(require.resolve('docker-modem')).resolve('ssh2')); } };
for (const k of process.argv[2]) load[k]();
const fromTransport = createRequire(require.resolve('@ssh-docker/transport')).resolve('ssh2');
const fromModem = createRequire(require.resolve('docker-modem')).resolve('ssh2');
process.stdout.write(JSON.stringify({ same: fromTransport === fromModem, loaded: Object.keys(require.cache).filter((p) => /[\\\\/]ssh2[\\\\/]lib[\\\\/]index\\.js$/.test(p)).length }));
`,
  );
}, 300_000);

afterAll(() => {
  rmSync(app, { recursive: true, force: true });
});

describe('an npm app with @ssh-docker/transport and dockerode', () => {
  test('npm installs one ssh2 for both', () => {
    const tree = JSON.parse(execFileSync('npm', ['ls', 'ssh2', '--all', '--json'], { cwd: app }).toString()) as {
      dependencies: Record<string, { version: string; dependencies?: Record<string, { version: string; dependencies?: Record<string, { version: string }> }> }>;
    };
    const ours = tree.dependencies['@ssh-docker/transport']?.dependencies?.['ssh2']?.version;
    const theirs = tree.dependencies['dockerode']?.dependencies?.['docker-modem']?.dependencies?.['ssh2']?.version;
    // npm ls shows a deduped dependency with the version of the copy it shares.
    expect({ ours, theirs }).toEqual({ ours: '1.16.0', theirs: '1.16.0' });
    expect(execFileSync('find', ['node_modules', '-path', '*/ssh2/package.json'], { cwd: app }).toString().trim().split('\n')).toEqual(['node_modules/ssh2/package.json']);
  });

  test.each([['transport first', 'td'], ['dockerode first', 'dt']])('loading both in one process, %s, uses one ssh2 and exits cleanly', (_name, order) => {
    const out = execFileSync(process.execPath, ['load.cjs', order], { cwd: app }).toString();
    expect(JSON.parse(out)).toEqual({ same: true, loaded: 1 });
  });
});
