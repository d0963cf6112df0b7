/**
 * Token, `${ENV}` and `~` expansion, as OpenSSH 9.2p1 misc.c (percent_expand,
 * dollar_expand, tilde_expand) and ssh.c (default_client_percent_expand) do it.
 */
import { createHash } from 'node:crypto';

/** Why an expansion failed; the caller adds file, line and keyword. */
export class ExpandError extends Error {
  override readonly name = 'ExpandError';
}

/**
 * misc.c vdollar_percent_expand(): `%x` looked up in `tokens` (unknown → error, `%%` → `%`,
 * a trailing `%` → error) and, with `env`, `${NAME}` replaced by its value (unset → error).
 * `check`, given for a command that a shell will run, vets each token value substituted
 * (it returns why a value is refused, or null); expansion is single-pass, so a value is never
 * expanded again.
 */
export function expand(
  input: string,
  tokens: Readonly<Record<string, string>> | null,
  env: Readonly<Record<string, string | undefined>> | null,
  check?: (key: string, value: string) => string | null,
): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const c = input.charAt(i);
    if (env !== null && c === '$' && input[i + 1] === '{') {
      const close = input.indexOf('}', i + 2);
      if (close === -1) throw new ExpandError("environment variable is missing its closing '}'");
      const name = input.slice(i + 2, close);
      if (name === '') throw new ExpandError('zero-length environment variable');
      const value = env[name];
      // The variable's name comes from the config: not echoed (messages never quote config text).
      if (value === undefined) throw new ExpandError('an environment variable it names (${...}) is not set');
      out += value;
      i = close;
      continue;
    }
    if (c !== '%' || tokens === null) {
      out += c;
      continue;
    }
    i++;
    const key = input[i];
    if (key === '%') {
      out += '%';
      continue;
    }
    if (key === undefined) throw new ExpandError('invalid format: "%" at the end');
    const value = Object.hasOwn(tokens, key) ? tokens[key] : undefined;
    if (value === undefined) throw new ExpandError(`unknown token %${key}`);
    const problem = check?.(key, value) ?? null;
    if (problem !== null) throw new ExpandError(problem);
    out += value;
  }
  return out;
}

/**
 * misc.c tilde_expand(): `~` and `~/path` become the home directory (with exactly one `/`);
 * `~user` is only understood for the local user (we do not read the password database).
 */
export function tildeExpand(path: string, homeDir: string, localUser: string): string {
  if (!path.startsWith('~')) return path;
  let rest = path.slice(1);
  let user: string | null = null;
  let tail: string | null;
  if (rest === '') tail = null;
  else if (rest.startsWith('/')) {
    rest = rest.replace(/^\/+/, '');
    tail = rest === '' ? null : rest;
  } else {
    const slash = rest.indexOf('/');
    user = slash === -1 ? rest : rest.slice(0, slash);
    tail = slash === -1 ? null : rest.slice(slash + 1).replace(/^\/+/, '');
    if (tail === '') tail = null;
  }
  if (user !== null && user !== localUser) throw new ExpandError('"~user" is only supported for the local user');
  const slash = homeDir === '' || !homeDir.endsWith('/');
  return `${homeDir}${slash ? '/' : ''}${tail ?? ''}`;
}

/** ssh.c ssh_connection_hash() (9.2): SHA-1 of local host, host, port and user, hex — the `%C` token. */
export function connectionHash(localHost: string, host: string, port: string, user: string): string {
  return createHash('sha1').update(localHost).update(host).update(port).update(user).digest('hex');
}

/** misc.c valid_env_name(): the legacy `$NAME` form in IdentityAgent and ForwardAgent. */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(name);
}
