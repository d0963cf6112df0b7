import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// The ```ts blocks of the READMEs, extracted so that a test compiles each one against the real
// packages (readme-snippets.test.ts) and runs it against the testkit fixture
// (integration/readme-snippets.test.ts): the docs cannot drift from the code.
//
// A block is a module of its own. The only exception is a marker on the line before the fence:
//
//   <!-- snippet: given transport -->   the block uses `transport`, the one the README's first block
//                                        makes (a DockerSshTransport); the test declares it
//   <!-- snippet: given connect -->     the block uses `connect`, `() => transport.openStream()`
//
// so that each section of a README can show its own step without repeating the setup.
//
// The blocks import what a user's app would: every package, dockerode, undici, vitest. So the e2e
// package depends on them all; @ssh-docker/cli and undici only through the blocks, which knip cannot
// see (knip.json ignores those two for packages/e2e).

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const e2eNodeModules = fileURLToPath(new URL('../node_modules/', import.meta.url));

/** The names a block may be given, as declarations for the compiler. */
export const GIVENS = {
  transport: "import type { DockerSshTransport } from '@ssh-docker/transport';\ndeclare const transport: DockerSshTransport;",
  connect: "import type { Duplex } from 'node:stream';\ndeclare const connect: () => Promise<Duplex>;",
} as const;
export type Given = keyof typeof GIVENS;

export interface Snippet {
  /** The README, relative to the repository root, e.g. `packages/http/README.md`. */
  readme: string;
  /** 1-based among the README's ```ts blocks. */
  ordinal: number;
  /** The line of the opening fence (1-based). */
  line: number;
  code: string;
  given: Given[];
  /** `README.md#2 (line 79)`: how a failure names the block. */
  name: string;
  /** A file name for the block's module, e.g. `packages-http-README-2.ts`. */
  file: string;
}

/** The root README and every package's. */
export function readmes(): string[] {
  const packages = readdirSync(join(repoRoot, 'packages')).sort();
  return ['README.md', ...packages.map((p) => `packages/${p}/README.md`).filter((p) => existsSync(join(repoRoot, p)))];
}

export function extractSnippets(readme: string): Snippet[] {
  const lines = readFileSync(join(repoRoot, readme), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(.*)$/.exec(lines[i]!);
    if (fence === null) continue;
    const info = fence[2]!.trim();
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    if (end === -1) throw new Error(`${readme}:${i + 1}: unclosed code block`);
    if (/^(ts|typescript)\b/.test(info)) {
      const given: Given[] = [];
      for (let k = i - 1; k >= 0 && /^<!-- snippet: .* -->$/.test(lines[k]!); k--) {
        const marker = /^<!-- snippet: given (\w+) -->$/.exec(lines[k]!);
        const name = marker?.[1];
        if (name === undefined || !(name in GIVENS)) throw new Error(`${readme}:${k + 1}: unknown snippet marker ${lines[k]!}`);
        given.push(name as Given);
      }
      const ordinal = out.length + 1;
      out.push({
        readme,
        ordinal,
        line: i + 1,
        code: lines.slice(i + 1, end).join('\n'),
        given,
        name: `${readme}#${ordinal} (line ${i + 1})`,
        file: `${readme.replace(/\.md$/, '').replace(/\//g, '-')}-${ordinal}.ts`,
      });
    }
    i = end;
  }
  return out;
}

export function allSnippets(): Snippet[] {
  return readmes().flatMap(extractSnippets);
}

/** The prelude a block's module starts with: the declarations of what it is given. */
export function prelude(snippet: Snippet): string {
  return snippet.given.map((g) => `${GIVENS[g]}\n`).join('');
}

/**
 * A scratch directory (an ES module package) whose node_modules is the e2e package's: the blocks
 * import `@ssh-docker/*`, dockerode, undici and vitest from there, as a user's app would.
 */
export function snippetDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-snippets-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true, type: 'module' }));
  symlinkSync(e2eNodeModules, join(dir, 'node_modules'));
  return dir;
}

/** The names a block declares at its top level (not its imports), so that a test can export them. */
export function topLevelNames(code: string): string[] {
  const source = ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names: string[] = [];
  const collect = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) collect(element.name);
  };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) collect(d.name);
    else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name !== undefined) names.push(statement.name.text);
  }
  return names;
}
