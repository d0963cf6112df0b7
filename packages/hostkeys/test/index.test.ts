import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';
import * as api from '../src/index.js';

const indexPath = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Every name src/index.ts exports, with whether its declaration's TSDoc has an @example. */
function documentedExports(): Map<string, boolean> {
  const program = ts.createProgram([indexPath], { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(indexPath);
  if (source === undefined) throw new Error('src/index.ts not found');
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) throw new Error('src/index.ts is not a module');
  const out = new Map<string, boolean>();
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const hasExample = (symbol.declarations ?? []).some((d) => ts.getJSDocTags(d).some((t) => t.tagName.text === 'example'));
    out.set(exported.name, hasExample);
  }
  return out;
}

describe('the public API', () => {
  const docs = documentedExports();

  test('exports exactly the documented set of names', () => {
    expect([...docs.keys()].sort()).toEqual(
      [
        'AppendOptions', 'AppendTarget', 'HostKeyDecision', 'HostKeyError', 'HostKeyErrorCode', 'HostKeyErrorDetails',
        'HostKeyPolicy', 'HostKeyStatus', 'HostKeyVerifier', 'HostKeyVerifierOptions', 'KnownHosts', 'KnownHostsMatch',
        'KnownHostsWarning', 'LookupOptions', 'PendingRecord', 'VerifyOptions', 'VerifyResult', 'appendKnownHost',
        'createHostKeyVerifier', 'fingerprint', 'hashHostName',
      ].sort(),
    );
    expect(Object.keys(api).sort()).toEqual(['HostKeyError', 'KnownHosts', 'appendKnownHost', 'createHostKeyVerifier', 'fingerprint', 'hashHostName']);
  });

  test('every export has TSDoc with an @example', () => {
    expect([...docs].filter(([, ok]) => !ok).map(([name]) => name)).toEqual([]);
  });
});
