import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

// One pair of projects per package: `<name>:unit` runs everywhere in seconds,
// `<name>:integration` needs the real sshd and dockerd that @ssh-docker/testkit starts.
const packages = ['url', 'hostkeys', 'testkit', 'transport', 'http', 'cli'] as const;

// Workspace packages resolve through the `source` export condition, so tests run on src/ without a build.
const conditions = ['source', 'node', 'import', 'module', 'default'];

// Property tests scale with FC_NUM_RUNS (1,000 by default; a deep run sets 100,000): so does their time limit.
const propertyRuns = Number(process.env['FC_NUM_RUNS'] ?? 1000);
const unitTimeout = Math.max(30_000, propertyRuns * 10);

function project(name: string, kind: 'unit' | 'integration'): TestProjectConfiguration {
  const root = fileURLToPath(new URL(`./packages/${name}/`, import.meta.url));
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['source'] } },
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

// Cross-package reliability and security tests (never published): `e2e:unit`, `e2e:integration`,
// and `e2e:soak` (long runs; `pnpm test:soak`, shortened in CI by SOAK_SCALE).
const e2eRoot = fileURLToPath(new URL('./packages/e2e/', import.meta.url));
const e2e: TestProjectConfiguration[] = [
  project('e2e', 'unit'),
  project('e2e', 'integration'),
  {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['source'] } },
    test: { name: 'e2e:soak', root: e2eRoot, include: ['test/soak/**/*.test.ts'], testTimeout: 3_600_000, hookTimeout: 240_000 },
  },
];

// Checks of the repository's own tooling (the dependency-direction script).
const tools: TestProjectConfiguration = {
  test: { name: 'tools:unit', root: fileURLToPath(new URL('./', import.meta.url)), include: ['scripts/test/*.test.ts'] },
};

export default [...packages.flatMap((name) => [project(name, 'unit'), project(name, 'integration')]), ...e2e, tools];
