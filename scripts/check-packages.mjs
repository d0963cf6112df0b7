#!/usr/bin/env node
// Loads every built package the way users will: `import` of the ESM build and `require` of the CJS
// build, from a file outside the workspace's source conditions, and checks both expose the same
// names. publint and attw check the manifests and types; this checks the code actually loads
// (a CommonJS dependency's named exports, for one, can load in CJS and fail in ESM).
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const problems = [];
for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private === true) continue; // Test-only packages have no build.
  const require = createRequire(join(dir, 'package.json'));
  try {
    const esm = Object.keys(await import(pathToFileURL(join(dir, 'dist/index.js')).href)).sort();
    const cjs = Object.keys(require(join(dir, 'dist/index.cjs'))).sort();
    if (JSON.stringify(esm) !== JSON.stringify(cjs)) problems.push(`${pkg.name}: ESM exports ${esm} differ from CJS exports ${cjs}`);
    else process.stdout.write(`${pkg.name}: ESM and CJS load, ${esm.length} exports\n`);
  } catch (err) {
    problems.push(`${pkg.name}: ${err.message.split('\n')[0]}`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`Package load check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
