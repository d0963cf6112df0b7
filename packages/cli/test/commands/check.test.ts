import { describe, expect, test } from 'vitest';
import { renderReport, renderStep } from '../../src/internal/commands/check.js';

describe('check output', () => {
  test('a passed step is one line: mark, name, time, detail', () => {
    expect(renderStep({ name: 'host key', status: 'ok', ms: 12.4, detail: 'ssh-ed25519 SHA256:abc (known)' })).toBe('✓ host key        12 ms  ssh-ed25519 SHA256:abc (known)');
  });

  test('a failed step adds its code and fix, aligned under the detail, and indents a multi-line detail', () => {
    expect(renderStep({ name: 'auth', status: 'failed', ms: 8, detail: 'first\nsecond', code: 'ERR_AUTH_FAILED', fix: 'try a key' })).toBe(
      ['✗ auth           8.0 ms  first', '                         second', '                         code: ERR_AUTH_FAILED', '                         fix:  try a key'].join('\n'),
    );
  });

  test('a failed step without a fix from the transport gets the CLI one for its code', () => {
    expect(renderStep({ name: 'tcp', status: 'failed', ms: 3, detail: 'refused', code: 'ERR_CONNECTION_REFUSED' }).split('\n').at(-1)).toBe(
      '                         fix:  start sshd on the host, or check the port (-p)',
    );
  });

  test('a skipped step has no time', () => {
    expect(renderStep({ name: 'round trip', status: 'skipped', ms: 0, detail: 'not run: an earlier step failed' })).toBe('- round trip             skipped');
  });

  test('the report ends with what passed or where it failed', () => {
    const ok = renderReport('ssh://me@h', { ok: true, steps: [{ name: 'resolve', status: 'ok', ms: 1, detail: 'me@h' }] });
    expect(ok).toBe('Checking ssh://me@h\n✓ resolve        1.0 ms  me@h\nAll 1 steps passed: Docker clients can use ssh://me@h over SSH.\n');
    const failed = renderReport('h', { ok: false, steps: [{ name: 'tcp', status: 'failed', ms: 1, detail: 'x', code: 'ERR_CONNECT_TIMEOUT' }] });
    expect(failed.split('\n').at(-2)).toBe('Check failed at step "tcp" (ERR_CONNECT_TIMEOUT).');
  });
});
