/**
 * The name rules of shell.ts, character by character, against OpenSSH ≥ 9.6's valid_hostname()
 * and valid_ruser() (ssh.c / misc.c).
 */
import { describe, expect, it } from 'vitest';
import { assertShellSafe, isShellSafe, shellTokenProblem } from '../../src/config/shell.js';

describe('isShellSafe', () => {
  it('refuses in a host name exactly the characters valid_hostname() refuses', () => {
    for (const c of ["'", '`', '"', '$', '\\', ';', '&', '<', '>', '|', '(', ')', '{', '}', ',', ' ', '\t', '\n', '\v', '\f', '\r', '\u0000', '\u001b', '\u007f']) {
      expect(isShellSafe('host', `a${c}b`), JSON.stringify(c)).toBe(false);
    }
    for (const name of ['build-1.example', 'under_score', '10.0.0.5', '::1', 'fe80::1%eth0', 'h*st?', 'a%h', 'héllo', 'a!b', 'a~b', 'a=b', 'a+b', 'a@b']) {
      expect(isShellSafe('host', name), name).toBe(true);
    }
    expect(isShellSafe('host', '-oProxyCommand=x')).toBe(false);
  });

  it('refuses in a user name exactly what valid_ruser() refuses, and allows $ and inner spaces as it does', () => {
    for (const c of ["'", '`', '"', ';', '&', '<', '>', '|', '(', ')', '{', '}', '\u0000', '\n', '\u007f']) {
      expect(isShellSafe('user', `a${c}b`), JSON.stringify(c)).toBe(false);
    }
    expect(isShellSafe('user', '-l')).toBe(false);
    expect(isShellSafe('user', 'a -x')).toBe(false);
    expect(isShellSafe('user', 'a\\')).toBe(false);
    for (const name of ['deploy', 'ci$bot', 'DOMAIN\\user', 'first last', 'a-b', 'a,b', 'u@corp', 'déploy']) {
      expect(isShellSafe('user', name), name).toBe(true);
    }
  });

  it('allows spaces in a path (a home directory may have them) but not a space before "-"', () => {
    expect(isShellSafe('path', '/Users/John Smith')).toBe(true);
    expect(isShellSafe('path', '/home/x -rf')).toBe(false);
    expect(isShellSafe('path', '/home/$(id)')).toBe(false);
  });
});

describe('assertShellSafe', () => {
  it('throws ERR_SSH_CONFIG naming the field, the rule and the fix, never the value', () => {
    let caught: unknown;
    try {
      assertShellSafe('user', 'x;reboot', 'the remote user');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: 'ERR_SSH_CONFIG',
      message:
        "the remote user must not start with '-' nor contain ' ` \" ; & < > | ( ) { } or control characters, whitespace followed by '-', nor end in '\\': ProxyCommand and Match exec pass it to a shell, and OpenSSH refuses such names too; use a user name without them",
    });
    expect(String(caught)).not.toContain('reboot');
    expect(() => assertShellSafe('host', 'web-1', 'the host')).not.toThrow();
  });
});

describe('shellTokenProblem', () => {
  it('checks %r and %u as user names, %d as a path and the others as host names', () => {
    expect(shellTokenProblem('r', 'ci$bot')).toBeNull();
    expect(shellTokenProblem('h', 'ci$bot')).toMatch(/^the %h token \(the hostname\) must not /);
    expect(shellTokenProblem('d', '/Users/John Smith')).toBeNull();
    expect(shellTokenProblem('p', '22')).toBeNull();
    expect(shellTokenProblem('u', 'me;id')).toMatch(/^the %u token \(the local user\) must not /);
  });
});
