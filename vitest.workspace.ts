import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

// One pair of projects per package: `<name>:unit` runs everywhere in seconds,
// `<name>:integration` needs the real sshd and dockerd that @ssh-docker/testkit starts.
const packages = ['url', 'hostkeys', 'testkit', 'transport', 'http', 'cli'] as const;

// Workspace packages resolve through the `source` export condition, so tests run on src/ without a build.
const conditions = ['source', 'node', 'import', 'module', 'default'];

function project(name: string, kind: 'unit' | 'integration'): TestProjectConfiguration {
  const root = fileURLToPath(new URL(`./packages/${name}/`, import.meta.url));
  return {
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['source'] } },
    test: {
      name: `${name}:${kind}`,
      root,
      include: kind === 'unit' ? ['test/**/*.test.ts'] : ['test/integration/**/*.test.ts'],
      exclude: kind === 'unit' ? ['test/integration/**', '**/node_modules/**'] : ['**/node_modules/**'],
      environment: 'node',
      testTimeout: kind === 'unit' ? 30_000 : 180_000,
      hookTimeout: kind === 'unit' ? 30_000 : 240_000,
      // Integration suites share one machine's namespaces and daemons: run their files one at a time.
      ...(kind === 'integration' ? { fileParallelism: false } : {}),
    },
  };
}

export default packages.flatMap((name) => [project(name, 'unit'), project(name, 'integration')]);
