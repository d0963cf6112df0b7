import { defineConfig } from 'vitest/config';

// Container mode of @ssh-docker/testkit (issue 15): tests that start a containerized remote host
// (sshd + Docker-in-Docker) on a Docker daemon. Not part of `pnpm test` or CI yet:
//   DOCKER_HOST=unix:///path/to/docker.sock npx vitest run --config vitest.container.config.ts
const conditions = ['@ssh-docker/source', 'node', 'import', 'module', 'default'];

// One inline project: it keeps vitest from taking the root's vitest.workspace.ts projects.
export default defineConfig({
  test: {
    fileParallelism: false,
    projects: [
      {
        resolve: { conditions },
        ssr: { resolve: { conditions, externalConditions: ['@ssh-docker/source'] } },
        test: {
          name: 'container',
          include: ['packages/*/test/container/**/*.ctest.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 1_200_000,
        },
      },
    ],
  },
});
