import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  // import.meta.url in the CJS build (container/image.ts finds the package's container/ dir with it).
  shims: true,
  target: 'node20',
  platform: 'node',
  tsconfig: 'tsconfig.build.json',
});
