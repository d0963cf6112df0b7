import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

// vitest 3.2 deprecates the workspace file; the root config takes its projects from it.
export default defineConfig({
  test: {
    projects,
    passWithNoTests: false,
  },
});
