// vite-node config for child processes of the integration tests: workspace packages resolve
// through their `source` condition, as in vitest, so a child runs on src/ without a build.
const conditions = ['source', 'node', 'import', 'module', 'default'];

export default {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
};
