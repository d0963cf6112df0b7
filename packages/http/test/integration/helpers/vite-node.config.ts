// vite-node config for child processes of the integration tests: workspace packages resolve
// through their `@ssh-docker/source` condition, as in vitest, so a child runs on src/ without a build.
const conditions = ['@ssh-docker/source', 'node', 'import', 'module', 'default'];

export default {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@ssh-docker/source'] } },
};
