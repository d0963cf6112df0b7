/**
 * ssh_config resolution, following OpenSSH 9.2p1 (readconf.c process_config_line_depth(),
 * read_config_file_depth(), fill_default_options(); ssh.c main() for the order of passes,
 * HostName substitution and the expansions `ssh -G` shows). `ssh -G -F file host` is the oracle
 * the tests compare with.
 */
import { hostname as osHostname } from 'node:os';
import { parseSshUrl } from '@ssh-docker/url';
import { TransportError } from '../errors.js';
import { finalize, substituteHostname } from './finalize.js';
import { parseAlias } from './hostname.js';
import { localAccount } from './local.js';
import type { LocalAccount } from './local.js';
import { DEFAULT_MATCH_EXEC_TIMEOUT_MS, shellMatchExec } from './match.js';
import type { MatchExec } from './match.js';
import { overrideLines } from './overrides.js';
import { assertShellSafe } from './shell.js';
import type { SshConfigOverrides } from './overrides.js';
import { ConfigReader, fail } from './readconf.js';
import type { LineScope, LocalContext, PassState, ReadFlags } from './readconf.js';
import type { Env, ResolvedSshTarget } from './types.js';


/**
 * Options of {@link resolveSshTarget}. Defaults read the user's `~/.ssh/config`, never the
 * system-wide `/etc/ssh/ssh_config`.
 *
 * @example
 * ```ts
 * // Hermetic: a config given as text, a fixed home and user, no commands run by Match exec.
 * const t = await resolveSshTarget('db', {
 *   configText: 'Host db\n  HostName 10.0.0.5\n  User admin\n',
 *   homeDir: '/home/ci',
 *   localUser: 'ci',
 *   env: {},
 *   matchExec: false,
 * });
 * ```
 */
export interface ResolveSshTargetOptions {
  /** The user config file; default `<homeDir>/.ssh/config` (missing = empty); `false` = none. An explicit file that is missing is an error, as with `ssh -F`. */
  readonly configFile?: string | false;
  /** Config text used instead of reading `configFile`; relative Includes are under `<homeDir>/.ssh`. */
  readonly configText?: string;
  /**
   * The system-wide config, read after the user's (as ssh does). Default `false`: /etc/ssh/ssh_config
   * is NOT read unless asked for, so results do not depend on the machine; pass
   * `'/etc/ssh/ssh_config'` to behave like plain `ssh`.
   */
  readonly systemConfigFile?: string | false;
  /** For `${VAR}` expansion, SSH_AUTH_SOCK and `Match exec`. Default `process.env`. */
  readonly env?: Env;
  /**
   * `~`, `%d` and where `~/.ssh/config` is. Default: the password database's home directory of the
   * current uid, as ssh (not `$HOME`); `$HOME` only when the uid has no passwd entry.
   */
  readonly homeDir?: string;
  /** Default: the password database's name of the current uid (`os.userInfo().username`). */
  readonly localUser?: string;
  /** The `%i` token; default `os.userInfo().uid`. */
  readonly localUid?: number;
  /** The `%l`/`%L` tokens (and `%C`); default `os.hostname()`. */
  readonly localHostname?: string;
  /** Explicit settings: they win over URL parts, which win over the config files. */
  readonly overrides?: SshConfigOverrides;
  /**
   * Whether `Match exec` may run its command (with `/bin/sh -c`). Default `true`, as ssh. With
   * `false`, a config that reaches a `Match exec` is refused (ERR_SSH_CONFIG) — use it for config
   * text that is not the user's own.
   */
  readonly matchExec?: boolean;
  /** Time limit of one `Match exec` command; default 5000 ms. */
  readonly matchExecTimeoutMs?: number;
}

/**
 * Internal (not exported by the package): called with the remote user before each `Match exec`
 * runs, so that the transport can refuse a user that is a given secret before it reaches a shell
 * as `%r` (and the process list). It throws to refuse.
 */
export const GUARD_MATCH_EXEC_USER: unique symbol = Symbol('ssh-docker.guardMatchExecUser');
/** {@link ResolveSshTargetOptions} with the internal guard. */
export type GuardedResolveOptions = ResolveSshTargetOptions & { readonly [GUARD_MATCH_EXEC_USER]?: (user: string) => void };

function checkOptions(options: ResolveSshTargetOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('resolveSshTarget() options must be an object');
  const { configFile, configText, systemConfigFile, homeDir, localUser, localUid, localHostname, matchExecTimeoutMs, env, overrides } = options;
  if (configFile !== undefined && configFile !== false && (typeof configFile !== 'string' || configFile === '')) throw new TypeError('configFile must be a path or false');
  if (configText !== undefined && typeof configText !== 'string') throw new TypeError('configText must be a string');
  if (systemConfigFile !== undefined && systemConfigFile !== false && (typeof systemConfigFile !== 'string' || systemConfigFile === '')) throw new TypeError('systemConfigFile must be a path or false');
  if (homeDir !== undefined && (typeof homeDir !== 'string' || !homeDir.startsWith('/'))) throw new TypeError('homeDir must be an absolute path');
  if (localUser !== undefined && (typeof localUser !== 'string' || localUser === '')) throw new TypeError('localUser must be a non-empty string');
  if (localUid !== undefined && (!Number.isInteger(localUid) || localUid < 0)) throw new TypeError('localUid must be a non-negative integer');
  if (localHostname !== undefined && typeof localHostname !== 'string') throw new TypeError('localHostname must be a string');
  if (matchExecTimeoutMs !== undefined && (!Number.isInteger(matchExecTimeoutMs) || matchExecTimeoutMs <= 0)) throw new TypeError('matchExecTimeoutMs must be a positive integer');
  if (env !== undefined && (typeof env !== 'object' || env === null)) throw new TypeError('env must be an object');
  if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null)) throw new TypeError('overrides must be an object');
}

/**
 * A target already parsed (from an `ssh://` URL with `@ssh-docker/url`, or a ProxyJump hop), so it
 * is not formatted and parsed again. Its names follow the same rules as a URL's or an alias's.
 */
export interface SshTarget {
  readonly host: string;
  readonly user?: string;
  /** 1–65535; absent for the config's (or 22). */
  readonly port?: number;
}

function parsedTarget(t: SshTarget): { host: string; user?: string; port?: number } {
  if (typeof t.host !== 'string' || t.host === '') throw new TypeError('target.host must be a non-empty string');
  if (t.user !== undefined && (typeof t.user !== 'string' || t.user === '')) throw new TypeError('target.user must be a non-empty string');
  if (t.port !== undefined && (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535)) throw new TypeError('target.port must be an integer from 1 to 65535');
  // The same rules as for a URL or an alias: no option-like names, no shell syntax (they become %h, %n, %r).
  assertShellSafe('host', t.host, 'the ssh target host');
  if (t.user !== undefined) assertShellSafe('user', t.user, 'the user in the ssh target');
  return { host: t.host, ...(t.user === undefined ? {} : { user: t.user }), ...(t.port === undefined ? {} : { port: t.port }) };
}

/**
 * Resolves where and how to connect for an `ssh://` URL or a `[user@]host` alias, the way
 * `ssh -G` does with OpenSSH 9.2p1: explicit overrides first, then URL parts, then the user config
 * (and the system config only if asked for), first obtained value wins.
 *
 * Rules implemented (each cited at its code): first obtained value wins; IdentityFile and
 * CertificateFile and the Local/Remote/DynamicForward accumulate without duplicates, SendEnv
 * accumulates (with duplicates, as 9.2); UserKnownHostsFile and
 * GlobalKnownHostsFile take their whole first line; `Host` patterns (case-sensitive, `*` `?` `!`,
 * commas literal); `Match host/originalhost/user/localuser/all/canonical/final/exec` with `!`;
 * `Include` globs under `~/.ssh` (16 levels); `%` tokens, `~` and `${ENV}` where ssh expands them;
 * quotes and escapes as readconf.c; time values in seconds; yes/no synonyms as `ssh -G` prints them.
 *
 * Deliberate differences from `ssh -G`:
 * - /etc/ssh/ssh_config is not read unless `systemConfigFile` says so.
 * - No DNS: CanonicalizeHostname only triggers the second pass (as ssh does); CanonicalDomains
 *   are not tried. `Match localnetwork` is refused. `Port` takes numbers only (no /etc/services).
 * - `~user` is only expanded for the local user. `Match exec` runs `/bin/sh -c` (not $SHELL),
 *   with a time limit; `matchExec: false` refuses it instead.
 * - Keywords we do not resolve (Ciphers, LocalCommand, …) are accepted without checking their
 *   values; IdentityFile, CertificateFile and ProxyCommand tokens are expanded now (ssh does it
 *   when connecting), so a bad token fails here rather than later.
 * - FIFOs and devices are not read; files over 1 MiB, and more than 1000 files, are refused.
 * - Error messages never echo a config value (nor an unknown keyword); they name file:line and the rule.
 *
 * @throws TransportError `ERR_SSH_CONFIG` when a config file cannot be read, parsed or resolved
 *   (its message names file:line and the rule, never a value); `UrlError` (`ERR_SSH_URL_*`) from
 *   `@ssh-docker/url` for a bad URL; `TypeError` for wrong option types.
 *
 * @example
 * ```ts
 * import { resolveSshTarget } from '@ssh-docker/transport';
 *
 * const target = await resolveSshTarget('ssh://deploy@build-box', { configFile: '/home/me/.ssh/config' });
 * // → { hostname: 'build.internal.example', port: 2222, user: 'deploy', identityfile: ['~/.ssh/build'], … }
 * ```
 */
export async function resolveSshTarget(urlOrAlias: string | SshTarget, options: ResolveSshTargetOptions = {}): Promise<ResolvedSshTarget> {
  if (typeof urlOrAlias !== 'string' && (typeof urlOrAlias !== 'object' || urlOrAlias === null)) {
    throw new TypeError('resolveSshTarget() takes an ssh:// URL, a [user@]host string or a { host, user?, port? } target');
  }
  checkOptions(options);

  let target: { host: string; user?: string; port?: number };
  if (typeof urlOrAlias === 'object') {
    target = parsedTarget(urlOrAlias);
  } else if (/^ssh:\/\//i.test(urlOrAlias)) {
    const url = parseSshUrl(urlOrAlias);
    // We only need where to connect; the password (if any) is the transport's business: drop our copy.
    url.password?.clear();
    target = { host: url.host, ...(url.user === undefined ? {} : { user: url.user }), ...(url.port === undefined ? {} : { port: url.port }) };
    if (target.host.startsWith('-') || target.user?.startsWith('-') === true) {
      throw new TransportError('ERR_SSH_CONFIG', 'ssh target must not start with "-" (it would be read as an ssh option)');
    }
    // The URL is outside input and its user becomes %r: OpenSSH ≥ 9.6 refuses shell syntax in it.
    // (The url package already limits a host to letters, digits, '.', '-', '_' or an IPv6 address.)
    assertShellSafe('host', target.host, 'the host in the ssh URL');
    if (target.user !== undefined) assertShellSafe('user', target.user, 'the user name in the ssh URL');
  } else {
    target = parseAlias(urlOrAlias);
  }

  let account: LocalAccount | null = null;
  const user = (): LocalAccount => (account ??= localAccount());
  // ssh.c takes `~` from the password database, not $HOME (a `sudo -E` or a CI job's HOME is not ssh's).
  const homeDir = options.homeDir ?? user().homeDir;
  const env = options.env ?? process.env;
  const timeout = options.matchExecTimeoutMs ?? DEFAULT_MATCH_EXEC_TIMEOUT_MS;
  const ctx: LocalContext = {
    homeDir,
    // readconf.c globs Include paths with GLOB_TILDE, and glibc's glob() reads `~` from $HOME (non-empty), not passwd.
    globHome: options.homeDir ?? (env.HOME !== undefined && env.HOME !== '' ? env.HOME : homeDir),
    localUser: options.localUser ?? user().username,
    uid: options.localUid ?? user().uid,
    localHostname: options.localHostname ?? osHostname(),
    env,
    exec: options.matchExec === false ? null : guardedExec(shellMatchExec(env, timeout), (options as GuardedResolveOptions)[GUARD_MATCH_EXEC_USER]),
  };
  const r = new ConfigReader(ctx);
  const s = r.s;
  const hostArg = target.host;

  // ssh -o options are processed before the destination and the config files: first wins.
  const cmdFlags: ReadFlags = { userConf: true, checkPerm: false, neverMatch: false, finalPass: false, cmdline: true };
  const cmdPass: PassState = { host: hostArg, originalHost: hostArg, wantFinal: false };
  for (const line of overrideLines(options.overrides ?? {})) {
    await r.line(line, { file: 'overrides', line: 0 }, { flags: cmdFlags, pass: cmdPass, active: { value: true }, depth: 0 });
  }
  // ssh.c: the destination's user and port only fill what -o did not set.
  if (target.user !== undefined && s.user === undefined) s.user = target.user;
  if (target.port !== undefined && s.port === undefined) s.port = target.port;

  // A top-level file starts outside any Host/Match block (as if under `Host *`).
  const top = (flags: ReadFlags, pass: PassState): LineScope => ({ flags, pass, active: { value: true }, depth: 0 });
  const readAll = async (pass: PassState, finalPass: boolean): Promise<void> => {
    const userFlags: ReadFlags = { userConf: true, checkPerm: false, neverMatch: false, finalPass, cmdline: false };
    if (options.configText !== undefined) {
      await r.readFile({ path: '', displayName: 'configText', text: options.configText, scope: top(userFlags, pass), from: null });
    } else if (options.configFile !== false) {
      const explicit = options.configFile !== undefined;
      const path = options.configFile ?? `${homeDir.replace(/\/+$/, '')}/.ssh/config`;
      // ssh checks ownership/permissions of ~/.ssh/config, not of a file given with -F.
      const res = await r.readFile({ path, displayName: path, text: null, scope: top({ ...userFlags, checkPerm: !explicit }, pass), from: null });
      if (res === 'missing' && explicit) fail(null, `config file ${path} does not exist`);
    }
    if (options.systemConfigFile !== undefined && options.systemConfigFile !== false) {
      const sys = options.systemConfigFile;
      await r.readFile({ path: sys, displayName: sys, text: null, scope: top({ userConf: false, checkPerm: false, neverMatch: false, finalPass, cmdline: false }, pass), from: null });
    }
  };

  const first: PassState = { host: hostArg, originalHost: hostArg, wantFinal: false };
  await readAll(first, false);
  const host = substituteHostname(s, hostArg);

  // ssh.c: `Match final`, or CanonicalizeHostname, asks for a second pass over the same files,
  // with `Host` now matching the final hostname; values from the first pass still win.
  if (first.wantFinal || (s.canonicalizeHostname !== undefined && s.canonicalizeHostname !== 'false')) {
    s.hostname = { value: host, origin: s.hostname?.origin ?? { file: 'hostname', line: 0 } };
    await readAll({ host, originalHost: hostArg, wantFinal: false }, true);
  }

  const resolved = finalize(s, ctx, hostArg, host);
  // (`account` is set by user() above, which TypeScript cannot see through the closure.)
  const read = account as LocalAccount | null;
  if (options.homeDir !== undefined || read === null || read.fromPasswd) return resolved;
  // ssh would stop here ("No user exists for uid"); we go on with $HOME, and say so.
  const warning = { keyword: 'HOME', file: 'passwd', line: 0, message: 'the current uid has no password-database entry: ~ and ~/.ssh/config are taken from $HOME; pass homeDir to choose' };
  return { ...resolved, warnings: [...resolved.warnings, warning] };
}

function guardedExec(exec: MatchExec, guard: ((user: string) => void) | undefined): MatchExec {
  if (guard === undefined) return exec;
  return (command, user) => {
    guard(user);
    return exec(command, user);
  };
}
