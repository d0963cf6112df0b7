import { describe, expect, test } from 'vitest';
import { renderReport, renderStep, renderSummary } from '../../src/internal/commands/check.js';

describe('check output', () => {
  test('a passed step is one line: mark, name, time, detail', () => {
    expect(renderStep({ name: 'host key', status: 'ok', ms: 12.4, detail: 'ssh-ed25519 SHA256:abc (known)' })).toBe('✓ host key        12 ms  ssh-ed25519 SHA256:abc (known)');
  });

  test('a failed step adds its code and fix, aligned under the detail, and indents a multi-line detail', () => {
    expect(renderStep({ name: 'auth', status: 'failed', ms: 8, detail: 'first\nsecond', code: 'ERR_NOT_IN_THE_TABLE', fix: 'try a key' })).toBe(
      ['✗ auth           8.0 ms  first', '                         second', '                         code: ERR_NOT_IN_THE_TABLE', '                         fix:  try a key'].join('\n'),
    );
  });

  test("a CLI user is told the flag, not the library option the step's fix names (ERR_CHANNEL_REFUSED)", () => {
    const step = { name: 'daemon ping', status: 'failed', ms: 3, detail: 'refused', code: 'ERR_CHANNEL_REFUSED', fix: 'allow it for `socketPath`' } as const;
    const fix = renderStep(step).split('\n').at(-1) ?? '';
    expect(fix).toContain('--remote-socket');
    expect(fix).not.toContain('socketPath');
  });

  test('a check that skipped a step says so in its closing line', () => {
    const steps = [
      { name: 'auth', status: 'ok', ms: 1, detail: 'me by publickey' },
      { name: 'docker CLI', status: 'skipped', ms: 0, detail: 'not needed: streamlocal to /run/docker.sock' },
      { name: 'daemon ping', status: 'ok', ms: 1, detail: 'HTTP 200 OK' },
    ] as const;
    expect(renderSummary('h', { ok: true, steps })).toBe('2 steps passed, 1 skipped: Docker clients can use h over SSH.');
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
