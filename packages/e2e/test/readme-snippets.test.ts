import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allSnippets, prelude, readmes, repoRoot, snippetDir, type Snippet } from './readme-snippets.js';

// Every ```ts block of the READMEs type-checks as a module of its own, against the packages' sources,
// with the repository's compiler settings (tsconfig.base.json: strict, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, NodeNext). integration/readme-snippets.test.ts runs them.
const snippets = allSnippets();
let diagnostics: Map<string, string[]>;
let dir: string;

beforeAll(() => {
  dir = snippetDir();
  for (const s of snippets) writeFileSync(join(dir, s.file), prelude(s) + s.code + '\n');
  const base = ts.readConfigFile(join(repoRoot, 'tsconfig.base.json'), (f) => ts.sys.readFile(f));
  const { options, errors } = ts.parseJsonConfigFileContent(base.config, ts.sys, dir);
  expect(errors).toEqual([]);
  const program = ts.createProgram(
    snippets.map((s) => join(dir, s.file)),
    { ...options, noEmit: true, declaration: false, sourceMap: false, typeRoots: [join(dir, 'node_modules', '@types')] },
  );
  diagnostics = new Map(snippets.map((s) => [s.file, [] as string[]]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const snippet = snippets.find((s) => d.file !== undefined && d.file.fileName === join(dir, s.file));
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (snippet === undefined || d.file === undefined || d.start === undefined) throw new Error(`outside any README block: ${d.file?.fileName ?? ''} ${text}`);
    diagnostics.get(snippet.file)!.push(`${where(snippet, d.file.getLineAndCharacterOfPosition(d.start).line)}: TS${d.code} ${text}`);
  }
}, 300_000); // one program over every package's sources: seconds, a minute on a loaded machine

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `packages/http/README.md:84` for line `line` (0-based) of the block's module. */
function where(snippet: Snippet, line: number): string {
  const preludeLines = prelude(snippet).split('\n').length - 1;
  return line < preludeLines ? `${snippet.name}, in its given prelude` : `${snippet.readme}:${snippet.line + 1 + line - preludeLines}`;
}

describe('README code blocks', () => {
  test('are found in every README', () => {
    const count = (readme: string): number => snippets.filter((s) => s.readme === readme).length;
    expect(Object.fromEntries(readmes().map((r) => [r, count(r)]))).toEqual({
      'README.md': 6,
      'packages/cli/README.md': 1,
      'packages/hostkeys/README.md': 1,
      'packages/http/README.md': 5,
      'packages/testkit/README.md': 2,
      'packages/transport/README.md': 1,
      'packages/url/README.md': 1,
    });
  });

  test.each(snippets.map((s) => [s.name, s] as const))('%s compiles', (_name, snippet) => {
    expect(diagnostics.get(snippet.file)).toEqual([]);
  });
});
