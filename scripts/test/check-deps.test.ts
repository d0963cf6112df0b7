import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../check-deps.mjs', import.meta.url));
const names = ['url', 'hostkeys', 'transport', 'http', 'cli', 'testkit'];
let scratch = '';

function tree(files: Record<string, string>): string {
  scratch = mkdtempSync(join(tmpdir(), 'check-deps-'));
  for (const name of names) files[`packages/${name}/package.json`] ??= JSON.stringify({ name: `@ssh-docker/${name}` });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  return scratch;
}

function run(root: string): { status: number; output: string } {
  try {
    return { status: 0, output: execFileSync(process.execPath, [script, root], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const failure = err as { status: number; stderr: string };
    return { status: failure.status, output: failure.stderr };
  }
}

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

it('passes a tree whose imports follow the arrows', () => {
  const root = tree({
    'packages/hostkeys/src/index.ts': "import { redact } from '@ssh-docker/url';\n// import { x } from '@ssh-docker/transport' in a comment is fine\n",
    'packages/transport/src/index.ts': "import { Client } from 'ssh2';\nimport { KnownHosts } from '@ssh-docker/hostkeys';\n",
  });
  expect(run(root)).toEqual({ status: 0, output: 'Dependency direction check passed.\n' });
});

it.each([
  ['packages/url/src/a.ts', "import { connect } from 'node:net';", 'packages/url/src/a.ts: url may not import node:net'],
  ['packages/url/src/a.ts', "import type { X } from '@ssh-docker/hostkeys';", 'packages/url/src/a.ts: url may not import @ssh-docker/hostkeys'],
  ['packages/http/src/a.ts', "const t = await import('@ssh-docker/transport');", 'packages/http/src/a.ts: http may not import @ssh-docker/transport'],
  ['packages/http/src/a.ts', "import { Client } from 'ssh2';", 'packages/http/src/a.ts: only transport imports ssh2'],
  ['packages/hostkeys/src/a.ts', "import { Client } from 'ssh2';", 'packages/hostkeys/src/a.ts: only transport imports ssh2'],
  ['packages/transport/src/a.ts', "import { startDockerSshFixture } from '@ssh-docker/testkit';", 'packages/transport/src/a.ts: transport may not import @ssh-docker/testkit'],
  ['packages/transport/src/a.ts', "import { x } from '@ssh-docker/url/src/parse.js';", 'packages/transport/src/a.ts: deep import @ssh-docker/url/src/parse.js'],
])('fails on a wrong arrow: %s importing %s', (path, source, problem) => {
  const { status, output } = run(tree({ [path]: `${source}\n` }));
  expect(status).toBe(1);
  expect(output).toContain(`  - ${problem}\n`);
});

it('fails when a runtime package depends on testkit', () => {
  const root = tree({
    'packages/http/package.json': JSON.stringify({ name: '@ssh-docker/http', dependencies: { '@ssh-docker/testkit': 'workspace:*' } }),
  });
  const { status, output } = run(root);
  expect(status).toBe(1);
  expect(output).toContain('packages/http/package.json: runtime dependency on @ssh-docker/testkit (dev-only)');
});
