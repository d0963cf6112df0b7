import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

// The projects come from the packages directory: every packages/<name> gets `<name>:unit`, which runs
// everywhere in seconds, and `<name>:integration`, which needs the real sshd and dockerd that
// @ssh-docker/testkit starts; a package with test/soak also gets `<name>:soak` (long runs; today
// only e2e: `pnpm test:soak`, shortened in CI by SOAK_SCALE). A package directory that has no
// package.json, or a test file that no project would run, fails the config loudly.

// Workspace packages resolve through the `@ssh-docker/source` export condition (scoped, so that no other
// package's `source` export is taken), so tests run on src/ without a build.
const conditions = ['@ssh-docker/source', 'node', 'import', 'module', 'default'];

// Property tests scale with FC_NUM_RUNS (1,000 by default; a deep run sets 100,000): so does their time limit.
const propertyRuns = Number(process.env['FC_NUM_RUNS'] ?? 1000);
const unitTimeout = Math.max(30_000, propertyRuns * 10);

type Kind = 'unit' | 'integration' | 'soak';

function project(root: string, name: string, kind: Kind): TestProjectConfiguration {
  const resolve = { resolve: { conditions }, ssr: { resolve: { conditions, externalConditions: ['@ssh-docker/source'] } } };
  if (kind === 'soak') {
    return { ...resolve, test: { name: `${name}:soak`, root, include: ['test/soak/**/*.test.ts'], testTimeout: 3_600_000, hookTimeout: 240_000 } };
  }
  return {
    ...resolve,
    test: {
      name: `${name}:${kind}`,
      root,
      include: kind === 'unit' ? ['test/**/*.test.ts'] : ['test/integration/**/*.test.ts'],
      exclude: kind === 'unit' ? ['test/integration/**', 'test/soak/**', '**/node_modules/**'] : ['**/node_modules/**'],
      environment: 'node',
      testTimeout: kind === 'unit' ? unitTimeout : 180_000,
      hookTimeout: kind === 'unit' ? 30_000 : 240_000,
      // Integration suites share one machine's namespaces and daemons: run their files one at a time.
      ...(kind === 'integration' ? { fileParallelism: false } : {}),
    },
  };
}

// What looks like a test file, in any language or spelling vitest could be pointed at.
const testFile = /\.(test|spec)\.[cm]?[jt]sx?$/;

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...testFiles(path));
    else if (testFile.test(entry)) out.push(path);
  }
  return out;
}

/** The project a test file of a package belongs to (its path relative to the package), or null when none would run it. */
function kindOf(file: string): Kind | null {
  if (!file.endsWith('.test.ts') || !file.startsWith('test/')) return null;
  if (file.startsWith('test/integration/')) return 'integration';
  if (file.startsWith('test/soak/')) return 'soak';
  return 'unit';
}

/** Every package's projects under `<root>/packages`; throws on a package directory or a test file that no project covers. */
export function packageProjects(root: string): TestProjectConfiguration[] {
  const problems: string[] = [];
  const projects: TestProjectConfiguration[] = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const dir = join(root, 'packages', name);
    if (!statSync(dir).isDirectory()) continue;
    if (!existsSync(join(dir, 'package.json'))) {
      problems.push(`packages/${name}: a directory without package.json, so no test project`);
      continue;
    }
    const kinds = new Set<Kind>(['unit', 'integration']);
    for (const file of testFiles(dir)) {
      const rel = relative(dir, file).split(sep).join('/');
      const kind = kindOf(rel);
      if (kind === null) problems.push(`packages/${name}/${rel}: no project runs it (tests are test/**/*.test.ts)`);
      else kinds.add(kind);
    }
    for (const kind of ['unit', 'integration', 'soak'] as const) {
      if (kinds.has(kind)) projects.push(project(`${dir}${sep}`, name, kind));
    }
  }
  if (problems.length > 0) throw new Error(`vitest.workspace.ts: tests that nobody runs:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return projects;
}

const root = fileURLToPath(new URL('./', import.meta.url));

// Checks of the repository's own tooling (the dependency-direction script, this file).
const tools: TestProjectConfiguration = {
  test: { name: 'tools:unit', root, include: ['scripts/test/*.test.ts'] },
};

export default [...packageProjects(root), tools];
