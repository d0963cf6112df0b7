import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { FIX_CODES, fixFor } from '../src/fixes.js';

const PACKAGES = fileURLToPath(new URL('../../', import.meta.url));

/** Every code in the `…ErrorCode` union of every package's errors.ts. */
function unionCodes(): string[] {
  const codes: string[] = [];
  for (const pkg of readdirSync(PACKAGES)) {
    let text: string;
    try {
      text = readFileSync(`${PACKAGES}${pkg}/src/errors.ts`, 'utf8');
    } catch {
      continue;
    }
    for (const union of text.matchAll(/export type \w+Code =([^;]+);/g)) codes.push(...[...(union[1] ?? '').matchAll(/'(ERR_[A-Z0-9_]+)'/g)].map((m) => m[1] ?? ''));
  }
  return codes;
}

/** DESIGN.md's list (the design document lives outside the repository), and the CLI's own codes. */
const DESIGN = ['ERR_HOST_KEY_UNKNOWN', 'ERR_HOST_KEY_CHANGED', 'ERR_HOST_KEY_REVOKED', 'ERR_AUTH_FAILED', 'ERR_CONNECT_TIMEOUT', 'ERR_CONNECTION_REFUSED', 'ERR_HOST_NOT_FOUND', 'ERR_CONNECTION_LOST', 'ERR_REMOTE_DOCKER_MISSING', 'ERR_DAEMON_UNREACHABLE', 'ERR_CHANNEL_REFUSED', 'ERR_TRANSPORT_CLOSED'];
const CLI = ['ERR_USAGE', 'ERR_STDIN', 'ERR_INVALID_ARG', 'ERR_UNEXPECTED'];
const LIBRARY_WORDS = /socketPath|socketVia|identityFiles|hostKeyPolicy|connectTimeoutMs|configFile|`password`/;
const CLI_FLAGS = /--remote-socket|--streamlocal|--password-stdin|--help|-o StrictHostKeyChecking|\(-i\)|\(-p\)/;

describe('the one fix table', () => {
  const documented = [...new Set([...unionCodes(), ...DESIGN, ...CLI])];

  test('reads the unions of at least url, hostkeys, transport, http and testkit', () => {
    for (const code of ['ERR_SSH_URL_SCHEME', 'ERR_HOST_KEY_CHANGED', 'ERR_REMOTE_NOT_HTTP', 'ERR_HTTP_TIMEOUT', 'ERR_FIXTURE_STOPPED']) expect(documented).toContain(code);
  });

  test.each(documented)('%s has a fix for a program and for a person at the CLI', (code) => {
    expect(fixFor(code, 'library')).toMatch(/\S{3}/);
    expect(fixFor(code, 'cli')).toMatch(/\S{3}/);
  });

  test.each(FIX_CODES.filter((c) => !CLI.includes(c)))('%s: the CLI phrasing names no library option, the library phrasing no CLI flag', (code) => {
    expect(fixFor(code, 'cli')).not.toMatch(LIBRARY_WORDS);
    expect(fixFor(code, 'library')).not.toMatch(CLI_FLAGS);
  });

  test('ERR_CHANNEL_REFUSED names socketPath for a program and --remote-socket for a person', () => {
    expect(fixFor('ERR_CHANNEL_REFUSED', 'library')).toContain('`socketPath`');
    expect(fixFor('ERR_CHANNEL_REFUSED', 'cli')).toContain('--remote-socket');
  });

  test('a code without a fix gives undefined, also for inherited names', () => {
    expect(fixFor('ERR_NOT_A_CODE', 'cli')).toBeUndefined();
    expect(fixFor('toString', 'cli')).toBeUndefined();
  });
});
