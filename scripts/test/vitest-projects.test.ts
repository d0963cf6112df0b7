import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { packageProjects } from '../../vitest.workspace.js';

let scratch = '';

function tree(files: string[]): string {
  scratch = mkdtempSync(join(tmpdir(), 'vitest-projects-'));
  for (const path of files) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), path.endsWith('package.json') ? '{}' : '');
  }
  return scratch;
}

const names = (root: string) => packageProjects(root).map((p) => (typeof p === 'object' && 'test' in p ? p.test?.name : undefined));

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

it('gives every package directory its unit and integration projects, and soak where it has test/soak', () => {
  const root = tree(['packages/a/package.json', 'packages/a/test/x.test.ts', 'packages/b/package.json', 'packages/b/test/soak/s.test.ts']);
  expect(names(root)).toEqual(['a:unit', 'a:integration', 'b:unit', 'b:integration', 'b:soak']);
});

it('fails loudly on a package directory without package.json', () => {
  const root = tree(['packages/a/package.json', 'packages/stray/test/x.test.ts']);
  expect(() => packageProjects(root)).toThrow(/packages\/stray: a directory without package.json/);
});

it.each(['src/x.test.ts', 'test/x.test.mjs', 'test/x.spec.ts', 'tests/x.test.ts'])('fails loudly on a test file no project runs: %s', (file) => {
  const root = tree(['packages/a/package.json', `packages/a/${file}`]);
  expect(() => packageProjects(root)).toThrow(`packages/a/${file}: no project runs it`);
});

it('the repository itself: every package has its projects', () => {
  const root = join(import.meta.dirname, '..', '..');
  expect(names(root)).toEqual(expect.arrayContaining(['url:unit', 'transport:integration', 'e2e:soak', 'cli:unit']));
});
