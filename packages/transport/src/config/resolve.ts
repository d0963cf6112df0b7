/**
 * ssh_config resolution, following OpenSSH 9.2p1 (readconf.c process_config_line_depth(),
 * read_config_file_depth(), fill_default_options(); ssh.c main() for the order of passes,
 * HostName substitution and the expansions `ssh -G` shows). `ssh -G -F file host` is the oracle
 * the tests compare with.
 */
import { hostname as osHostname, homedir, userInfo } from 'node:os';
import { parseSshUrl } from '@ssh-docker/url';
import { TransportError } from '../errors.js';
import { assembleHostKeyAlgorithms, validKeyAlgorithmList } from './algorithms.js';
import { finalHostname, parseAlias } from './hostname.js';
import { formatForward, forwardEquals, isDynamic, parseForward } from './forward.js';
import type { Forward } from './forward.js';
import { globPaths, MAX_CONFIG_BYTES, readConfig } from './include.js';
import { KNOWN_KEYWORDS } from './keywords.js';
import { argvSplit, asciiLower, lexLine, skipWhitespaceAndEquals } from './lexer.js';
import { formatJump, parseJump } from './jump.js';
import type { JumpSpec } from './jump.js';
import { DEFAULT_MATCH_EXEC_TIMEOUT_MS, matchCfgLine, MatchError, shellMatchExec } from './match.js';
import type { MatchExec } from './match.js';
import { overrideLines } from './overrides.js';
import { matchPattern, matchPatternList } from './patterns.js';
import { connectionHash, expand, ExpandError, isValidEnvName, tildeExpand } from './tokens.js';
import { a2port, ADDRESS_FAMILY, CANONICALIZE_HOSTNAME, COMPRESSION, convtime, FLAG, multistate, parseNonNegativeInt, STRICT_HOSTKEY } from './values.js';
import type { Multistate } from './values.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The effective settings for one target, keyed by `ssh -G`'s lower-case keyword names, with the
 * values `ssh -G -F file host` prints (numbers for numbers, arrays for repeatable keywords).
 *
 * Paths follow `ssh -G` exactly: `userknownhostsfile`, `identityagent` and a `forwardagent` path are
 * `~`/token/`${ENV}`-expanded, `identityfile`, `certificatefile` and `globalknownhostsfile` are
 * printed as written (ssh expands identity files only when it loads them) — their expanded
 * forms are in {@link ResolvedSshTarget.expanded}.
 *
 * @example
 * ```ts
 * const t = await resolveSshTarget('web');
 * const socket = net.connect(t.port, t.hostname);            // what ssh would dial
 * const keys = t.expanded.identityfile;                      // absolute paths to try, in order
 * if (t.stricthostkeychecking === 'false') console.warn('host key checking is off for', t.host);
 * ```
 */
export interface ResolvedSshTarget {
  /** The name as given (alias or URL host), before HostName substitution. */
  readonly host: string;
  /** HostName after `%h` substitution, lower-cased (a numeric address is canonicalised instead). */
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  /** As written, `~` and tokens unexpanded (`ssh -G` prints them so); defaults when none is configured. */
  readonly identityfile: readonly string[];
  readonly certificatefile: readonly string[];
  /** Expanded; `['none']` when `UserKnownHostsFile none` (no user file). */
  readonly userknownhostsfile: readonly string[];
  /** As written (`ssh -G` does not expand it). */
  readonly globalknownhostsfile: readonly string[];
  /** `true` (yes), `false` (no/off), `ask` (the default) or `accept-new`, as `ssh -G` prints them. */
  readonly stricthostkeychecking: 'true' | 'false' | 'ask' | 'accept-new';
  /** Lower-cased, as ssh does before using it. */
  readonly hostkeyalias?: string;
  /** `[extra hops,][user@]host[:port]`; absent when unset or `none`. Excludes `proxycommand`. */
  readonly proxyjump?: string;
  /** As written (tokens are expanded at connect time, see `expanded.proxycommand`); absent when unset or `none`. */
  readonly proxycommand?: string;
  /** Expanded; absent when unset (the agent is then `SSH_AUTH_SOCK`, see `expanded.agentsocket`). */
  readonly identityagent?: string;
  readonly identitiesonly: 'yes' | 'no';
  /** `yes`, `no`, or an (expanded) agent socket path. */
  readonly forwardagent: string;
  readonly batchmode: 'yes' | 'no';
  readonly compression: 'yes' | 'no';
  readonly addressfamily: 'any' | 'inet' | 'inet6';
  /** Seconds; 0 = off. */
  readonly serveraliveinterval: number;
  readonly serveralivecountmax: number;
  /** Seconds, or `none` when unset (the system's TCP timeout applies). */
  readonly connecttimeout: number | 'none';
  readonly preferredauthentications?: string;
  /** The assembled list, only when the config sets HostKeyAlgorithms. */
  readonly hostkeyalgorithms?: string;
  /** In order, repeats kept, `-pattern` removals applied (9.2 does not drop duplicates). */
  readonly sendenv: readonly string[];
  /** As `ssh -G` prints them: `8080 [localhost]:80`, `/path/sock [host]:22`; duplicates dropped, socket-path tokens expanded. */
  readonly localforward: readonly string[];
  /** As `ssh -G` prints them; a one-argument RemoteForward (remote SOCKS) prints as `9000 [socks]:0`. */
  readonly remoteforward: readonly string[];
  /** As `ssh -G` prints them: `1080`, `[127.0.0.1]:1080` (and, as ssh -G does, the listen side of a LocalForward to a socket path). */
  readonly dynamicforward: readonly string[];
  /** Values ssh computes only when it connects, computed here so callers need not. */
  readonly expanded: {
    /** `identityfile` with `~`, tokens and `${ENV}` expanded. */
    readonly identityfile: readonly string[];
    readonly certificatefile: readonly string[];
    /** `proxycommand` with `%h %k %n %p %r` expanded (ssh runs it as `exec <command>` with /bin/sh -c). */
    readonly proxycommand?: string;
    /** The agent socket ssh would use: IdentityAgent (`SSH_AUTH_SOCK` and `$VAR` resolved), else SSH_AUTH_SOCK; absent for `none` or no agent. */
    readonly agentsocket?: string;
  };
}

/**
 * Explicit settings; they win over the URL and over every config file (ssh's `-o`), and are
 * checked like config lines (a bad value is ERR_SSH_CONFIG from "overrides:0"; a wrong type is a
 * TypeError).
 *
 * @example
 * ```ts
 * const t = await resolveSshTarget('ssh://build-box', {
 *   overrides: { user: 'ci', identityfile: ['/run/secrets/ci_key'], stricthostkeychecking: 'yes' },
 * });
 * ```
 */
export interface SshConfigOverrides {
  readonly hostname?: string;
  readonly port?: number;
  readonly user?: string;
  /** Added before the config's identity files (they accumulate). */
  readonly identityfile?: readonly string[];
  readonly certificatefile?: readonly string[];
  readonly userknownhostsfile?: readonly string[];
  readonly globalknownhostsfile?: readonly string[];
  readonly stricthostkeychecking?: 'yes' | 'no' | 'ask' | 'accept-new' | 'true' | 'false' | 'off';
  readonly hostkeyalias?: string;
  /** `none` disables a configured ProxyJump. */
  readonly proxyjump?: string;
  /** `none` disables a configured ProxyCommand. */
  readonly proxycommand?: string;
  readonly identityagent?: string;
  readonly identitiesonly?: boolean;
  readonly forwardagent?: boolean | string;
  readonly batchmode?: boolean;
  readonly compression?: boolean;
  readonly addressfamily?: 'any' | 'inet' | 'inet6';
  /** Seconds. */
  readonly serveraliveinterval?: number;
  readonly serveralivecountmax?: number;
  /** Seconds. */
  readonly connecttimeout?: number;
  readonly preferredauthentications?: string;
  readonly hostkeyalgorithms?: string;
}

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
  /** Default `os.homedir()`. */
  readonly homeDir?: string;
  /** Default `os.userInfo().username`. */
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

/** Files one resolution may read, all passes and Includes together (OpenSSH has no such limit). */
const MAX_FILES_READ = 1000;
/** readconf.c READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
/** readconf.h SSH_MAX_IDENTITY_FILES, SSH_MAX_CERTIFICATE_FILES, SSH_MAX_HOSTS_FILES. */
const MAX_IDENTITY_FILES = 100;
const MAX_CERTIFICATE_FILES = 100;
const MAX_HOSTS_FILES = 32;

/** Where a value came from, for messages about expanding it later. */
interface Origin {
  readonly file: string;
  readonly line: number;
}

interface Located<T> {
  readonly value: T;
  readonly origin: Origin;
}

/** readconf.c `Options`: unset = undefined; the first value obtained wins. */
interface Settings {
  hostname?: Located<string>;
  user?: string;
  port?: number;
  identityFiles: { path: string; userProvided: boolean; origin: Origin }[];
  certificateFiles: { path: string; userProvided: boolean; origin: Origin }[];
  userKnownHosts?: Located<string>[];
  globalKnownHosts?: string[];
  strictHostKeyChecking?: string;
  hostKeyAlias?: string;
  jump?: JumpSpec;
  proxyCommand?: Located<string>;
  identityAgent?: Located<string>;
  forwardAgent?: string;
  forwardAgentPath?: Located<string>;
  identitiesOnly?: string;
  batchMode?: string;
  compression?: string;
  addressFamily?: string;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  connectTimeout?: number;
  preferredAuthentications?: string;
  hostKeyAlgorithms?: string;
  sendEnv: string[];
  localForwards: Located<Forward>[];
  remoteForwards: Located<Forward>[];
  clearAllForwardings?: string;
  canonicalizeHostname?: string;
  ignoreUnknown?: string;
}

/** readconf.c SSHCONF_* flags of one file being read. */
interface ReadFlags {
  readonly userConf: boolean;
  readonly checkPerm: boolean;
  readonly neverMatch: boolean;
  readonly finalPass: boolean;
  readonly cmdline: boolean;
}

interface Env2 {
  readonly homeDir: string;
  readonly localUser: string;
  readonly uid: number;
  readonly localHostname: string;
  readonly env: Env;
  readonly exec: MatchExec | null;
}

interface PassState {
  /** The name `Host` lines match in this pass. */
  readonly host: string;
  readonly originalHost: string;
  wantFinal: boolean;
}

function fail(origin: Origin | null, rule: string): never {
  throw new TransportError('ERR_SSH_CONFIG', origin === null ? `ssh config: ${rule}` : `${origin.file}:${origin.line}: ${rule}`);
}

class Resolver {
  readonly s: Settings = { identityFiles: [], certificateFiles: [], sendEnv: [], localForwards: [], remoteForwards: [] };
  private filesRead = 0;

  constructor(readonly ctx: Env2) {}

  /** readconf.c read_config_file_depth(). */
  async readFile(path: string, displayName: string, text: string | null, flags: ReadFlags, pass: PassState, active: { value: boolean }, depth: number, from: Origin | null): Promise<'read' | 'missing'> {
    if (depth > MAX_INCLUDE_DEPTH) {
      fail(from, `Include nested more than ${MAX_INCLUDE_DEPTH} levels deep (an Include loop?)`);
    }
    // Includes can fan out (a glob at every level): bound the work one resolution may do.
    if (++this.filesRead > MAX_FILES_READ) fail(from, `more than ${MAX_FILES_READ} config files read (Include fan-out)`);
    if (text !== null && text.length > MAX_CONFIG_BYTES) fail(from, `${displayName} is larger than ${MAX_CONFIG_BYTES} bytes`);
    let content = text;
    if (content === null) {
      const r = await readConfig(path, flags.checkPerm);
      if (r.kind === 'missing') return 'missing';
      if (r.kind === 'error') fail(from, `config file ${path} ${r.reason}`);
      content = r.text;
    }
    // getline(): lines end at "\n"; a trailing "\r" is whitespace to readconf.c.
    const lines = content.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      await this.line(lines[i] ?? '', { file: displayName, line: i + 1 }, flags, pass, active, depth);
    }
    return 'read';
  }

  /** readconf.c process_config_line_depth(). */
  async line(raw: string, origin: Origin, flags: ReadFlags, pass: PassState, active: { value: boolean }, depth: number): Promise<void> {
    const lexed = lexLine(raw);
    if (lexed === null) return;
    // Messages echo a keyword only when it is a real one: an unknown "keyword" may be a pasted secret.
    if ('error' in lexed) fail(origin, KNOWN_KEYWORDS.has(lexed.keyword) ? `${lexed.error} "${lexed.keyword}"` : `${lexed.error} (unknown keyword)`);
    let { keyword } = lexed;
    const { rest } = lexed;
    if (!KNOWN_KEYWORDS.has(keyword)) {
      // IgnoreUnknown: a pattern list, matched case-insensitively against the keyword.
      if (this.s.ignoreUnknown !== undefined && matchPatternList(keyword, this.s.ignoreUnknown, true) === 1) return;
      fail(origin, 'bad configuration option (unknown keyword)');
    }
    if (keyword === 'identityfile2') keyword = 'identityfile'; // readconf.c: obsolete alias
    const args = argvSplit(rest);
    if (args === null) fail(origin, 'invalid quotes');
    const on = active.value;
    const s = this.s;
    let used = 1; // how many args the keyword consumed; readconf.c rejects the rest
    const arg0 = args[0];
    const need = (): string => {
      if (arg0 === undefined || arg0 === '') fail(origin, `${keyword}: missing argument`);
      return arg0;
    };

    switch (keyword) {
      case 'host': {
        // ssh_config(5) Host: patterns split on whitespace, matched case-sensitively against the
        // name as typed (match.c match_pattern: `*`, `?` = one character, no comma lists); a
        // matching `!pattern` makes the block inactive whatever else matches.
        if (flags.cmdline) fail(origin, 'Host is not allowed in an override');
        active.value = false;
        used = args.length;
        for (const a of args) {
          if (a === '') fail(origin, 'Host: empty argument');
          if (flags.neverMatch) break;
          const negated = a.startsWith('!');
          if (matchPattern(pass.host, negated ? a.slice(1) : a)) {
            if (negated) {
              active.value = false;
              break;
            }
            active.value = true;
          }
        }
        return;
      }
      case 'match': {
        if (flags.cmdline) fail(origin, 'Match is not allowed in an override');
        let outcome;
        try {
          outcome = await matchCfgLine(rest, {
            host: pass.host,
            originalHost: pass.originalHost,
            finalPass: flags.finalPass,
            hostname: s.hostname?.value,
            port: s.port,
            user: s.user,
            hostKeyAlias: s.hostKeyAlias,
            localUser: this.ctx.localUser,
            homeDir: this.ctx.homeDir,
            uid: this.ctx.uid,
            localHostname: this.ctx.localHostname,
            exec:
              this.ctx.exec ??
              (() => {
                fail(origin, 'Match exec is disabled (matchExec: false)');
              }),
          });
        } catch (err) {
          if (err instanceof MatchError) fail(origin, `bad Match condition: ${err.message}`);
          throw err;
        }
        if (outcome.wantFinal) pass.wantFinal = true;
        active.value = flags.neverMatch ? false : outcome.matched;
        if (!outcome.consumedAll) fail(origin, 'Match: extra arguments at end of line');
        return;
      }
      case 'include': {
        if (flags.cmdline) fail(origin, 'Include is not allowed in an override');
        for (const a of args) {
          if (a === '') fail(origin, 'Include: empty argument');
          // readconf.c: user configs may use `~/`, system ones may not; a relative path is
          // relative to ~/.ssh (user config) or /etc/ssh (system config), not to the including file.
          if (a.startsWith('~') && !flags.userConf) fail(origin, 'Include: bad include path (~ is only allowed in user configs)');
          const pattern = a.startsWith('/') || a.startsWith('~') ? a : `${flags.userConf ? '~/.ssh' : '/etc/ssh'}/${a}`;
          const paths = await globPaths(pattern, this.ctx.homeDir, this.ctx.localUser);
          const before = active.value;
          for (const p of paths) {
            // Includes inside an inactive Host/Match are parsed but never activate anything.
            await this.readFile(p, p, null, { ...flags, checkPerm: true, neverMatch: flags.neverMatch || !before }, pass, active, depth + 1, origin);
            // "don't let Match in includes clobber the containing file's Match state"
            active.value = before;
          }
        }
        return;
      }
      case 'hostname':
        need();
        if (on && s.hostname === undefined) s.hostname = { value: need(), origin };
        break;
      case 'user':
        need();
        if (on && s.user === undefined) s.user = need();
        break;
      case 'hostkeyalias':
        need();
        if (on && s.hostKeyAlias === undefined) s.hostKeyAlias = need();
        break;
      case 'preferredauthentications':
        need();
        if (on && s.preferredAuthentications === undefined) s.preferredAuthentications = need();
        break;
      case 'ignoreunknown':
        need();
        if (on && s.ignoreUnknown === undefined) s.ignoreUnknown = need();
        break;
      case 'port': {
        const port = a2port(need());
        if (port === null) fail(origin, 'Port: bad port (1-65535)');
        if (on && s.port === undefined) s.port = port;
        break;
      }
      case 'identityfile':
      case 'certificatefile': {
        // ssh_config(5): IdentityFile and CertificateFile accumulate; readconf.c
        // add_identity_file()/add_certificate_file() drop a path already listed.
        const path = need();
        if (on) {
          const list = keyword === 'identityfile' ? s.identityFiles : s.certificateFiles;
          const max = keyword === 'identityfile' ? MAX_IDENTITY_FILES : MAX_CERTIFICATE_FILES;
          if (list.length >= max) fail(origin, `${keyword}: too many files (max ${max})`);
          if (!list.some((f) => f.path === path && f.userProvided === flags.userConf)) list.push({ path, userProvided: flags.userConf, origin });
        }
        break;
      }
      case 'userknownhostsfile':
      case 'globalknownhostsfile': {
        // readconf.c parse_char_array: the whole first line obtained wins (several files per line);
        // `none` must stand alone.
        used = args.length;
        const current = keyword === 'userknownhostsfile' ? s.userKnownHosts : s.globalKnownHosts;
        const wasEmpty = current === undefined;
        const taken: string[] = [];
        args.forEach((a, i) => {
          if (a === '') fail(origin, `${keyword}: empty argument`);
          if (asciiLower(a) === 'none' && (i > 0 || args.length > 1)) fail(origin, `${keyword}: "none" must appear alone`);
          taken.push(a);
        });
        // A line whose only word is a comment adds nothing (and is not an error).
        if (on && wasEmpty && taken.length > 0) {
          if (taken.length > MAX_HOSTS_FILES) fail(origin, `${keyword}: too many files (max ${MAX_HOSTS_FILES})`);
          if (keyword === 'userknownhostsfile') s.userKnownHosts = taken.map((value) => ({ value, origin }));
          else s.globalKnownHosts = taken;
        }
        break;
      }
      case 'stricthostkeychecking':
        this.multi(origin, keyword, STRICT_HOSTKEY, arg0, on, 'strictHostKeyChecking');
        break;
      case 'addressfamily':
        this.multi(origin, keyword, ADDRESS_FAMILY, arg0, on, 'addressFamily');
        break;
      case 'compression':
        this.multi(origin, keyword, COMPRESSION, arg0, on, 'compression');
        break;
      case 'canonicalizehostname':
        this.multi(origin, keyword, CANONICALIZE_HOSTNAME, arg0, on, 'canonicalizeHostname');
        break;
      case 'identitiesonly':
        this.multi(origin, keyword, FLAG, arg0, on, 'identitiesOnly');
        break;
      case 'batchmode':
        this.multi(origin, keyword, FLAG, arg0, on, 'batchMode');
        break;
      case 'forwardagent': {
        const a = need();
        const flag = multistate(FLAG, a);
        if (flag !== null) {
          if (on && s.forwardAgent === undefined) s.forwardAgent = flag;
          break;
        }
        // "ForwardAgent wasn't 'yes' or 'no', assume a path"
        if (on && s.forwardAgent === undefined) s.forwardAgent = 'yes';
        this.agentPath(origin, keyword, a);
        if (on && s.forwardAgentPath === undefined) s.forwardAgentPath = { value: a, origin };
        break;
      }
      case 'identityagent': {
        const a = need();
        this.agentPath(origin, keyword, a);
        if (on && s.identityAgent === undefined) s.identityAgent = { value: a, origin };
        break;
      }
      case 'proxycommand': {
        // readconf.c: ProxyCommand is the raw rest of the line (quotes and all). ProxyJump sets
        // ProxyCommand to "none", so whichever of the two comes first wins.
        used = args.length;
        if (on && s.proxyCommand === undefined) s.proxyCommand = { value: skipWhitespaceAndEquals(rest), origin };
        break;
      }
      case 'proxyjump': {
        need();
        used = args.length;
        // OpenSSH 9.2 reads ProxyJump from the raw line up to the first whitespace: no quote or
        // escape processing, and words after the first are ignored (checked with ssh -G).
        const jump = parseJump(skipWhitespaceAndEquals(rest).split(/[ \t\r\n]/)[0] ?? '');
        if (jump === null) fail(origin, 'ProxyJump: invalid jump host list');
        // parse_jump(): only active while neither ProxyCommand nor ProxyJump was obtained.
        if (on && s.proxyCommand === undefined && s.jump === undefined) {
          s.jump = jump;
          if (jump.host !== 'none' || jump.port !== 0) s.proxyCommand = { value: 'none', origin };
        }
        break;
      }
      case 'connecttimeout':
      case 'serveraliveinterval': {
        const a = need();
        // readconf.c parse_time: "none" leaves the value unset (a later line may still set it).
        const t = a === 'none' ? undefined : convtime(a);
        if (t === null) fail(origin, `${keyword}: invalid time value`);
        if (on && t !== undefined) {
          if (keyword === 'connecttimeout' && s.connectTimeout === undefined) s.connectTimeout = t;
          if (keyword === 'serveraliveinterval' && s.serverAliveInterval === undefined) s.serverAliveInterval = t;
        }
        break;
      }
      case 'serveralivecountmax': {
        const n = parseNonNegativeInt(arg0 ?? '');
        if (n === null) fail(origin, `${keyword}: invalid integer value`);
        if (on && s.serverAliveCountMax === undefined) s.serverAliveCountMax = n;
        break;
      }
      case 'hostkeyalgorithms': {
        const a = need();
        if (!a.startsWith('-') && !validKeyAlgorithmList(a.startsWith('+') || a.startsWith('^') ? a.slice(1) : a)) {
          fail(origin, `${keyword}: bad key types`);
        }
        if (on && s.hostKeyAlgorithms === undefined) s.hostKeyAlgorithms = a;
        break;
      }
      case 'sendenv': {
        // OpenSSH 9.2 appends every SendEnv name (no de-duplication); `-pattern` removes earlier ones.
        used = args.length;
        for (const a of args) {
          if (a === '' || a.includes('=')) fail(origin, 'SendEnv: invalid environment name');
          if (!on) continue;
          if (a.startsWith('-')) s.sendEnv = s.sendEnv.filter((e) => !matchPattern(e, a.slice(1)));
          else s.sendEnv.push(a);
        }
        break;
      }
      case 'localforward':
      case 'remoteforward':
      case 'dynamicforward': {
        need();
        const remote = keyword === 'remoteforward';
        let dynamic = keyword === 'dynamicforward';
        let spec = need();
        if (!dynamic) {
          const target = args[1];
          used = 2;
          // readconf.c: RemoteForward with one argument is a dynamic (SOCKS) remote forwarding.
          if (target === undefined || target === '') {
            if (!remote) fail(origin, `${keyword}: missing target argument`);
            dynamic = true;
            used = 1;
          } else spec = `${spec}:${target}`;
        }
        const fwd = parseForward(spec, dynamic, remote, this.ctx.env);
        if (fwd === null) fail(origin, `${keyword}: bad forwarding specification`);
        // ssh_config(5): forwardings accumulate; add_local_forward()/add_remote_forward() drop duplicates.
        if (on) {
          const list = remote ? s.remoteForwards : s.localForwards;
          if (!list.some((f) => forwardEquals(f.value, fwd))) list.push({ value: fwd, origin });
        }
        break;
      }
      case 'clearallforwardings':
        this.multi(origin, keyword, FLAG, arg0, on, 'clearAllForwardings');
        break;
      default:
        // A keyword we do not resolve: accepted as ssh accepts it, its value not checked.
        used = args.length;
    }
    if (args.length > used) fail(origin, `${keyword}: extra arguments at end of line`);
  }

  private multi(origin: Origin, keyword: string, table: Multistate, arg: string | undefined, on: boolean, field: 'strictHostKeyChecking' | 'addressFamily' | 'compression' | 'canonicalizeHostname' | 'identitiesOnly' | 'batchMode' | 'clearAllForwardings'): void {
    if (arg === undefined || arg === '') fail(origin, `${keyword}: missing argument`);
    const v = multistate(table, arg);
    if (v === null) fail(origin, `${keyword}: unsupported option (expected one of ${[...new Set(table.map(([n]) => n))].join(', ')})`);
    if (on && this.s[field] === undefined) this.s[field] = v;
  }

  /** readconf.c parse_agent_path: `${VAR}` must be set now; the legacy `$VAR` must be a valid name. */
  private agentPath(origin: Origin, keyword: string, a: string): void {
    try {
      expand(a, null, this.ctx.env);
    } catch (err) {
      if (err instanceof ExpandError) fail(origin, `${keyword}: invalid environment expansion (${err.message})`);
      throw err;
    }
    if (a.startsWith('$') && !a.startsWith('${') && !isValidEnvName(a.slice(1))) fail(origin, `${keyword}: invalid environment name`);
  }
}

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
export async function resolveSshTarget(urlOrAlias: string, options: ResolveSshTargetOptions = {}): Promise<ResolvedSshTarget> {
  if (typeof urlOrAlias !== 'string') throw new TypeError('resolveSshTarget() takes an ssh:// URL or a [user@]host string');
  checkOptions(options);

  let target: { host: string; user?: string; port?: number };
  if (/^ssh:\/\//i.test(urlOrAlias)) {
    const url = parseSshUrl(urlOrAlias);
    // We only need where to connect; the password (if any) is the transport's business: drop our copy.
    url.password?.clear();
    target = { host: url.host, ...(url.user === undefined ? {} : { user: url.user }), ...(url.port === undefined ? {} : { port: url.port }) };
    if (target.host.startsWith('-') || target.user?.startsWith('-') === true) {
      throw new TransportError('ERR_SSH_CONFIG', 'ssh target must not start with "-" (it would be read as an ssh option)');
    }
  } else {
    target = parseAlias(urlOrAlias);
  }

  let info: { username: string; uid: number; homedir: string } | null = null;
  const user = (): { username: string; uid: number; homedir: string } => (info ??= userInfo());
  const homeDir = options.homeDir ?? homedir();
  const env = options.env ?? process.env;
  const timeout = options.matchExecTimeoutMs ?? DEFAULT_MATCH_EXEC_TIMEOUT_MS;
  const ctx: Env2 = {
    homeDir,
    localUser: options.localUser ?? user().username,
    uid: options.localUid ?? user().uid,
    localHostname: options.localHostname ?? osHostname(),
    env,
    exec: options.matchExec === false ? null : shellMatchExec(env, timeout),
  };
  const r = new Resolver(ctx);
  const s = r.s;
  const hostArg = target.host;

  // ssh -o options are processed before the destination and the config files: first wins.
  const cmdFlags: ReadFlags = { userConf: true, checkPerm: false, neverMatch: false, finalPass: false, cmdline: true };
  const cmdPass: PassState = { host: hostArg, originalHost: hostArg, wantFinal: false };
  for (const line of overrideLines(options.overrides ?? {})) {
    await r.line(line, { file: 'overrides', line: 0 }, cmdFlags, cmdPass, { value: true }, 0);
  }
  // ssh.c: the destination's user and port only fill what -o did not set.
  if (target.user !== undefined && s.user === undefined) s.user = target.user;
  if (target.port !== undefined && s.port === undefined) s.port = target.port;

  const readAll = async (pass: PassState, finalPass: boolean): Promise<void> => {
    const userFlags: ReadFlags = { userConf: true, checkPerm: false, neverMatch: false, finalPass, cmdline: false };
    if (options.configText !== undefined) {
      await r.readFile('', 'configText', options.configText, userFlags, pass, { value: true }, 0, null);
    } else if (options.configFile !== false) {
      const explicit = options.configFile !== undefined;
      const path = options.configFile ?? `${homeDir.replace(/\/+$/, '')}/.ssh/config`;
      // ssh checks ownership/permissions of ~/.ssh/config, not of a file given with -F.
      const res = await r.readFile(path, path, null, { ...userFlags, checkPerm: !explicit }, pass, { value: true }, 0, null);
      if (res === 'missing' && explicit) fail(null, `config file ${path} does not exist`);
    }
    if (options.systemConfigFile !== undefined && options.systemConfigFile !== false) {
      const sys = options.systemConfigFile;
      await r.readFile(sys, sys, null, { userConf: false, checkPerm: false, neverMatch: false, finalPass, cmdline: false }, pass, { value: true }, 0, null);
    }
  };

  const first: PassState = { host: hostArg, originalHost: hostArg, wantFinal: false };
  await readAll(first, false);

  // ssh.c main(): "If the user has replaced the hostname then take it into use now" — HostName
  // accepts only the %h and %% tokens.
  let host = hostArg;
  if (s.hostname !== undefined) {
    host = expandAt(s.hostname.origin, 'HostName', s.hostname.value, { h: hostArg }, null);
    s.hostname = { value: host, origin: s.hostname.origin };
  }
  host = finalHostname(host, s.addressFamily);

  // ssh.c: `Match final`, or CanonicalizeHostname, asks for a second pass over the same files,
  // with `Host` now matching the final hostname; values from the first pass still win.
  if (first.wantFinal || (s.canonicalizeHostname !== undefined && s.canonicalizeHostname !== 'false')) {
    s.hostname = { value: host, origin: s.hostname?.origin ?? { file: 'hostname', line: 0 } };
    await readAll({ host, originalHost: hostArg, wantFinal: false }, true);
  }

  // readconf.c fill_default_options() and ssh.c defaults.
  const port = s.port ?? 22;
  const remoteUser = s.user ?? ctx.localUser;
  const identityfile = s.identityFiles.length > 0 ? s.identityFiles.map((f) => f.path) : ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_xmss', '~/.ssh/id_dsa'];
  const hostKeyAlias = s.hostKeyAlias === undefined ? undefined : asciiLower(s.hostKeyAlias);
  let jump = s.jump;
  if (jump !== undefined && jump.host === 'none' && jump.port === 0 && jump.user === undefined) jump = undefined;
  const proxyCommand = s.proxyCommand !== undefined && s.proxyCommand.value !== 'none' ? s.proxyCommand : undefined;

  if (jump !== undefined) {
    // ssh.c: "jumphost loop via …"
    const jumpUser = jump.user ?? remoteUser;
    const jumpPort = jump.port <= 0 ? 22 : jump.port;
    if (jump.host === host && jumpUser === remoteUser && jumpPort === port) fail(null, 'ProxyJump: the jump host is the target itself (jump host loop)');
  }

  // ssh.c: the connection info used by default_client_percent_dollar_expand().
  const portStr = String(port);
  const tokens: Record<string, string> = {
    C: connectionHash(ctx.localHostname, host, portStr, remoteUser),
    L: ctx.localHostname.split('.')[0] ?? ctx.localHostname,
    i: String(ctx.uid),
    k: hostKeyAlias ?? hostArg,
    l: ctx.localHostname,
    n: hostArg,
    p: portStr,
    d: homeDir,
    h: host,
    r: remoteUser,
    u: ctx.localUser,
  };
  const expandPath = (origin: Origin, keyword: string, value: string): string => {
    let t: string;
    try {
      t = tildeExpand(value, homeDir, ctx.localUser);
    } catch (err) {
      if (err instanceof ExpandError) fail(origin, `${keyword}: ${err.message}`);
      throw err;
    }
    return expandAt(origin, keyword, t, tokens, env);
  };

  const userKnownHosts = s.userKnownHosts ?? [
    { value: '~/.ssh/known_hosts', origin: { file: 'defaults', line: 0 } },
    { value: '~/.ssh/known_hosts2', origin: { file: 'defaults', line: 0 } },
  ];
  const identityAgent = s.identityAgent === undefined ? undefined : expandPath(s.identityAgent.origin, 'IdentityAgent', s.identityAgent.value);
  const forwardAgent = s.forwardAgentPath === undefined ? (s.forwardAgent ?? 'no') : expandPath(s.forwardAgentPath.origin, 'ForwardAgent', s.forwardAgentPath.value);

  // readconf.c fill_default_options(): ClearAllForwardings drops every forwarding; ssh.c then
  // expands the socket paths of the others (tokens only: `${ENV}` was expanded when parsing).
  const clear = s.clearAllForwardings === 'yes';
  const forwardPaths = (f: Located<Forward>, keyword: string): Forward => ({
    ...f.value,
    listenPath: f.value.listenPath === null ? null : expandAt(f.origin, keyword, f.value.listenPath, tokens, null),
    connectPath: f.value.connectPath === null ? null : expandAt(f.origin, keyword, f.value.connectPath, tokens, null),
  });
  const locals = clear ? [] : s.localForwards.map((f) => forwardPaths(f, 'LocalForward'));
  const remotes = clear ? [] : s.remoteForwards.map((f) => forwardPaths(f, 'RemoteForward'));

  let hostKeyAlgorithms: string | undefined;
  if (s.hostKeyAlgorithms !== undefined) {
    const assembled = assembleHostKeyAlgorithms(s.hostKeyAlgorithms);
    if (assembled === null) fail(null, 'HostKeyAlgorithms: the list selects no supported algorithm');
    hostKeyAlgorithms = assembled;
  }

  let agentSocket: string | undefined;
  if (identityAgent === undefined) agentSocket = env.SSH_AUTH_SOCK;
  else if (identityAgent === 'none') agentSocket = undefined;
  else if (identityAgent === 'SSH_AUTH_SOCK') agentSocket = env.SSH_AUTH_SOCK;
  else if (identityAgent.startsWith('$')) agentSocket = env[identityAgent.slice(1)];
  else agentSocket = identityAgent;
  if (agentSocket === '') agentSocket = undefined;

  const expanded = {
    identityfile: s.identityFiles.length > 0 ? s.identityFiles.map((f) => expandPath(f.origin, 'IdentityFile', f.path)) : identityfile.map((p) => tildeExpand(p, homeDir, ctx.localUser)),
    certificatefile: s.certificateFiles.map((f) => expandPath(f.origin, 'CertificateFile', f.path)),
    ...(proxyCommand === undefined || jump !== undefined
      ? {}
      : { proxycommand: expandAt(proxyCommand.origin, 'ProxyCommand', proxyCommand.value, { h: host, k: hostKeyAlias ?? hostArg, n: hostArg, p: portStr, r: remoteUser }, null) }),
    ...(agentSocket === undefined ? {} : { agentsocket: agentSocket }),
  };

  return {
    host: hostArg,
    hostname: host,
    port,
    user: remoteUser,
    identityfile,
    certificatefile: s.certificateFiles.map((f) => f.path),
    userknownhostsfile: userKnownHosts.map((f) => expandPath(f.origin, 'UserKnownHostsFile', f.value)),
    globalknownhostsfile: s.globalKnownHosts ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
    stricthostkeychecking: (s.strictHostKeyChecking ?? 'ask') as ResolvedSshTarget['stricthostkeychecking'],
    ...(hostKeyAlias === undefined ? {} : { hostkeyalias: hostKeyAlias }),
    ...(jump === undefined ? {} : { proxyjump: formatJump(jump) }),
    ...(jump !== undefined || proxyCommand === undefined ? {} : { proxycommand: proxyCommand.value }),
    ...(identityAgent === undefined ? {} : { identityagent: identityAgent }),
    identitiesonly: (s.identitiesOnly ?? 'no') as 'yes' | 'no',
    forwardagent: forwardAgent,
    batchmode: (s.batchMode ?? 'no') as 'yes' | 'no',
    compression: (s.compression ?? 'no') as 'yes' | 'no',
    addressfamily: (s.addressFamily ?? 'any') as ResolvedSshTarget['addressfamily'],
    // readconf.c fill_default_options(): "in batch mode, default is 5mins".
    serveraliveinterval: s.serverAliveInterval ?? (s.batchMode === 'yes' ? 300 : 0),
    serveralivecountmax: s.serverAliveCountMax ?? 3,
    connecttimeout: s.connectTimeout ?? 'none',
    ...(s.preferredAuthentications === undefined ? {} : { preferredauthentications: s.preferredAuthentications }),
    ...(hostKeyAlgorithms === undefined ? {} : { hostkeyalgorithms: hostKeyAlgorithms }),
    sendenv: s.sendEnv,
    // dump_cfg_forwards(): a forwarding to a socket path (no target host) is printed under both
    // localforward and dynamicforward by ssh -G 9.2; we list it the same way.
    localforward: locals.filter((f) => !isDynamic(f)).map((f) => formatForward(f, false)),
    remoteforward: remotes.map((f) => formatForward(f, false)),
    dynamicforward: locals.filter((f) => isDynamic(f) || f.connectHost === null).map((f) => formatForward(f, true)),
    expanded,
  };
}

function expandAt(origin: Origin, keyword: string, value: string, tokens: Record<string, string>, env: Env | null): string {
  try {
    return expand(value, tokens, env);
  } catch (err) {
    if (err instanceof ExpandError) fail(origin, `${keyword}: ${err.message}`);
    throw err;
  }
}
