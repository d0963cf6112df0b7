/**
 * Names that may reach a shell. `Match exec`, `ProxyCommand` (and, in ssh, `LocalCommand` and
 * `KnownHostsCommand`) are run with `/bin/sh -c` after `%` tokens are expanded, and the tokens
 * carry the remote user (`%r`), the host as given (`%n`), the hostname (`%h`) and so on — so a user
 * or host name from outside the config must not hold shell syntax (CVE-2023-51385).
 *
 * The rules are OpenSSH's (≥ 9.6, ssh.c/misc.c `valid_hostname()` and `valid_ruser()`), which
 * refuse such names when they come from the command line:
 * - a host name: no leading `-`; none of `'` `` ` `` `"` `$` `\` `;` `&` `<` `>` `|` `(` `)` `{` `}` `,`;
 *   no whitespace, no control character;
 * - a user name: no leading `-`; none of `'` `` ` `` `"` `;` `&` `<` `>` `|` `(` `)` `{` `}`; no control
 *   character; no whitespace followed by `-`; no `\` at the end. (`$` alone is allowed, as in
 *   OpenSSH: without `(` or `{` it cannot start a command.)
 *
 * We apply them at every source (URL, alias, `user`/`-l`/`-o User`, HostName and HostKeyAlias
 * overrides, every ProxyJump hop) and again at every sink: each token value expanded into a shell
 * command is checked, whatever its source.
 */
import { TransportError } from '../errors.js';

/** Which rule a value follows: OpenSSH's host-name rule, its remote-user rule, or (for `%d`) a path. */
export type ShellNameKind = 'host' | 'user' | 'path';

const HOST_META = /['`"$\\;&<>|(){},]/;
const USER_META = /['`";&<>|(){}]/;
/** C isspace() in the C locale. */
const SPACE = /[ \t\n\v\f\r]/;
const SPACE_THEN_DASH = /[ \t\n\v\f\r]-/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The characters a rule refuses, for messages (the value itself is never echoed). */
const REFUSED: Record<ShellNameKind, string> = {
  host: `' \` " $ \\ ; & < > | ( ) { } , whitespace or control characters`,
  user: `' \` " ; & < > | ( ) { } or control characters`,
  path: `' \` " $ \\ ; & < > | ( ) { } , or control characters`,
};

/**
 * Whether `value` may be expanded into a shell command under `kind`'s rule (OpenSSH ≥ 9.6
 * `valid_hostname()` / `valid_ruser()`; `path` is the host rule without whitespace, which a home
 * directory may hold, but with no whitespace followed by `-`).
 *
 * @example
 * ```ts
 * isShellSafe('host', 'build-1.example');    // true
 * isShellSafe('user', '$(reboot)');          // false
 * ```
 */
export function isShellSafe(kind: ShellNameKind, value: string): boolean {
  if (value.startsWith('-') || CONTROL.test(value)) return false;
  switch (kind) {
    case 'host':
      return !HOST_META.test(value) && !SPACE.test(value);
    case 'user':
      return !USER_META.test(value) && !SPACE_THEN_DASH.test(value) && !value.endsWith('\\');
    case 'path':
      return !HOST_META.test(value) && !SPACE_THEN_DASH.test(value);
  }
}

/**
 * Throws `ERR_SSH_CONFIG` unless `value` passes {@link isShellSafe} for `kind`. `field` names
 * where the value came from ("the user name in the ssh URL"); the message names the field, the
 * rule and the fix, never the value.
 *
 * Use it on anything from outside the config that may become a `%` token of a command run by a
 * shell (ProxyCommand, Match exec) — the resolver already does for the values it expands.
 *
 * @example
 * ```ts
 * assertShellSafe('user', options.user, 'the user option (-l)');
 * ```
 */
export function assertShellSafe(kind: ShellNameKind, value: string, field: string): void {
  if (isShellSafe(kind, value)) return;
  throw new TransportError('ERR_SSH_CONFIG', shellUnsafeMessage(kind, field));
}

/** The rule, for a message: "<field> must not start with '-' nor contain …; …". */
export function shellUnsafeMessage(kind: ShellNameKind, field: string): string {
  const what = kind === 'user' ? 'a user name' : kind === 'host' ? 'a host name' : 'a path';
  const extra = kind === 'user' ? ", whitespace followed by '-', nor end in '\\'" : kind === 'path' ? ", nor whitespace followed by '-'" : '';
  return (
    `${field} must not start with '-' nor contain ${REFUSED[kind]}${extra}: ` +
    `ProxyCommand and Match exec pass it to a shell, and OpenSSH refuses such ${kind === 'path' ? 'values' : 'names'} too; use ${what} without them`
  );
}

/** The rule for each `%` token a shell command may contain; unlisted tokens (`%C %i %p %%`) are generated digits or hex. */
const TOKEN_KIND: Readonly<Record<string, ShellNameKind>> = { h: 'host', n: 'host', k: 'host', l: 'host', L: 'host', j: 'host', r: 'user', u: 'user', d: 'path' };
const TOKEN_NAME: Readonly<Record<string, string>> = {
  h: 'the hostname',
  n: 'the host as given',
  k: 'the host key alias',
  l: 'the local hostname',
  L: 'the local hostname',
  j: 'the jump host',
  r: 'the remote user',
  u: 'the local user',
  d: 'the home directory',
};

/**
 * The value check for tokens expanded into a shell command: returns null when `value` is safe
 * for token `key`, or the reason (naming the token, never its value).
 */
export function shellTokenProblem(key: string, value: string): string | null {
  const kind = TOKEN_KIND[key] ?? 'host';
  if (isShellSafe(kind, value)) return null;
  return shellUnsafeMessage(kind, `the %${key} token (${TOKEN_NAME[key] ?? 'a generated value'})`);
}
