#!/usr/bin/env node
// Fails when an import crosses a boundary that DESIGN.md forbids (STYLE.md item 1):
//   url ← hostkeys ← transport; http knows none of them; cli composes; testkit is dev-only.
// It reads every import in packages/*/src and every dependency in packages/*/package.json.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

// The repository root; a test points it at a scratch tree to prove the check fails.
const root = process.argv[2] ?? new URL('..', import.meta.url).pathname;

/** Which of our packages, and which outside modules, each package's src may import. */
const rules = {
  url: { ours: [], banned: [/^node:(net|tls|http|https|fs|child_process|dgram|dns)$/, /^ssh2$/, /^ssh-config$/] },
  hostkeys: { ours: ['url'], banned: [/^node:(net|tls|http|https|dgram|dns)$/, /^ssh2$/] },
  transport: { ours: ['url', 'hostkeys'], banned: [] },
  http: { ours: [], banned: [/^ssh2$/, /^ssh-config$/] },
  cli: { ours: ['url', 'hostkeys', 'transport', 'http', 'testkit'], banned: [/^ssh2$/] },
  testkit: { ours: ['url', 'hostkeys', 'transport', 'http'], banned: [] },
  // Tests only (no src/): may use everything.
  e2e: { ours: ['url', 'hostkeys', 'transport', 'http', 'testkit', 'cli'], banned: [] },
};
// Only transport may import ssh2 (STYLE.md item 1); testkit may, for hostile in-process peers.
const ssh2Allowed = new Set(['transport', 'testkit', 'e2e']);

const problems = [];

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (/\.(ts|mts|cts|js|mjs)$/.test(entry)) out.push(p);
  }
  return out;
}

for (const name of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', name);
  const rule = rules[name];
  if (!rule) {
    problems.push(`packages/${name}: no dependency rule; add it to scripts/check-deps.mjs`);
    continue;
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })) {
    const ours = dep.startsWith('@ssh-docker/') ? dep.slice('@ssh-docker/'.length) : null;
    // The CLI's `demo` loads testkit when it is installed: an optional peer, never a dependency.
    const optionalPeer = pkg.peerDependenciesMeta?.[dep]?.optional === true && !pkg.dependencies?.[dep];
    if (ours === 'testkit' && !(name === 'cli' && optionalPeer)) problems.push(`packages/${name}/package.json: runtime dependency on @ssh-docker/testkit (dev-only)`);
    else if (ours && !rule.ours.includes(ours)) problems.push(`packages/${name}/package.json: may not depend on @ssh-docker/${ours}`);
  }
  const src = join(dir, 'src');
  if (!existsSync(src)) continue;
  for (const file of walk(src)) {
    // TypeScript's own pre-processor finds static and dynamic imports and requires, and skips
    // comments, such as the import lines of TSDoc examples.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      const where = relative(root, file);
      if (spec.startsWith('@ssh-docker/')) {
        const target = spec.slice('@ssh-docker/'.length).split('/')[0];
        if (spec.split('/').length > 2) problems.push(`${where}: deep import ${spec}`);
        if (!rule.ours.includes(target)) problems.push(`${where}: ${name} may not import @ssh-docker/${target}`);
        else if (target === 'testkit' && name !== 'cli') problems.push(`${where}: runtime import of testkit`);
      } else if (spec === 'ssh2' && !ssh2Allowed.has(name)) {
        problems.push(`${where}: only transport imports ssh2`);
      } else if (rule.banned.some((re) => re.test(spec))) {
        problems.push(`${where}: ${name} may not import ${spec}`);
      } else if (spec.startsWith('.') && spec.includes('/packages/')) {
        problems.push(`${where}: relative import into another package`);
      }
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`Dependency direction check failed:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('Dependency direction check passed.\n');
