/**
 * Reading config files, as OpenSSH 9.2p1 readconf.c does: read_config_file_depth() reads a file
 * line by line, process_config_line_depth() applies one line (Host, Match, Include and every
 * keyword we resolve), first obtained value wins. What ssh does after reading (defaults, token
 * expansion) is in finalize.ts.
 */
import { TransportError } from '../errors.js';
import { validKeyAlgorithmList } from './algorithms.js';
import { forwardEquals, parseForward } from './forward.js';
import type { Forward } from './forward.js';
import { globPaths, MAX_CONFIG_BYTES, readConfig } from './include.js';
import { KNOWN_KEYWORDS } from './keywords.js';
import { argvSplit, asciiLower, lexLine, skipWhitespaceAndEquals } from './lexer.js';
import { parseJump } from './jump.js';
import type { JumpSpec } from './jump.js';
import { matchCfgLine, MatchError } from './match.js';
import type { MatchExec } from './match.js';
import { matchPattern, matchPatternList } from './patterns.js';
import { assertShellSafe, isShellSafe, shellUnsafeMessage } from './shell.js';
import { expand, ExpandError, isValidEnvName } from './tokens.js';
import { WATCHED_KEYWORDS } from './warnings.js';
import type { FirstSeen } from './warnings.js';
import { a2port, ADDRESS_FAMILY, CANONICALIZE_HOSTNAME, COMPRESSION, convtime, FLAG, multistate, parseNonNegativeInt, STRICT_HOSTKEY } from './values.js';
import type { Multistate } from './values.js';
import type { Env, Located, Origin } from './types.js';

/** Files one resolution may read, all passes and Includes together (OpenSSH has no such limit). */
const MAX_FILES_READ = 1000;
/** readconf.c READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
/** readconf.h SSH_MAX_IDENTITY_FILES, SSH_MAX_CERTIFICATE_FILES, SSH_MAX_HOSTS_FILES. */
const MAX_IDENTITY_FILES = 100;
const MAX_CERTIFICATE_FILES = 100;
const MAX_HOSTS_FILES = 32;



/** readconf.c `Options`: unset = undefined; the first value obtained wins. */
export interface Settings {
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
  sendEnvOrigin?: Origin;
  localForwards: Located<Forward>[];
  remoteForwards: Located<Forward>[];
  clearAllForwardings?: string;
  canonicalizeHostname?: string;
  ignoreUnknown?: string;
  /** The first active line of each keyword we do not honour (warnings.ts decides which values matter). */
  firstSeen: Map<string, FirstSeen>;
}

/** readconf.c SSHCONF_* flags of one file being read. */
export interface ReadFlags {
  readonly userConf: boolean;
  readonly checkPerm: boolean;
  readonly neverMatch: boolean;
  readonly finalPass: boolean;
  readonly cmdline: boolean;
}

/** What the resolution knows about the local side: the values of the local tokens, and how to run `Match exec`. */
export interface LocalContext {
  /** `~` and `%d` (ssh's tilde_expand and the passwd home). */
  readonly homeDir: string;
  /** `~` in an Include: glob(3) GLOB_TILDE takes `$HOME` (the same as `homeDir` when that was given explicitly). */
  readonly globHome: string;
  readonly localUser: string;
  readonly uid: number;
  readonly localHostname: string;
  readonly env: Env;
  /** null when `Match exec` is disabled. */
  readonly exec: MatchExec | null;
}

/** One pass over the config files (ssh reads them twice when `Match final` or CanonicalizeHostname asks). */
export interface PassState {
  /** The name `Host` lines match in this pass. */
  readonly host: string;
  readonly originalHost: string;
  wantFinal: boolean;
}

/** Where one line is read: the file's flags, the pass, whether the current Host/Match block applies, and the Include depth. */
export interface LineScope {
  readonly flags: ReadFlags;
  readonly pass: PassState;
  readonly active: { value: boolean };
  readonly depth: number;
}

/** One file (or text) to read; `text` null reads `path`. `from` is the Include line that named it, null for a top-level file. */
export interface ReadFileRequest {
  readonly path: string;
  readonly displayName: string;
  readonly text: string | null;
  readonly scope: LineScope;
  readonly from: Origin | null;
}

export function fail(origin: Origin | null, rule: string): never {
  throw new TransportError('ERR_SSH_CONFIG', origin === null ? `ssh config: ${rule}` : `${origin.file}:${origin.line}: ${rule}`);
}

/** readconf.c: the settings obtained so far, filled by reading files and override lines. */
export class ConfigReader {
  readonly s: Settings = { identityFiles: [], certificateFiles: [], sendEnv: [], localForwards: [], remoteForwards: [], firstSeen: new Map() };
  private filesRead = 0;

  constructor(readonly ctx: LocalContext) {}

  /** readconf.c read_config_file_depth(). */
  async readFile(request: ReadFileRequest): Promise<'read' | 'missing'> {
    const { path, displayName, text, scope, from } = request;
    const { flags, depth } = scope;
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
      await this.line(lines[i] ?? '', { file: displayName, line: i + 1 }, scope);
    }
    return 'read';
  }

  /** readconf.c process_config_line_depth(). */
  async line(raw: string, origin: Origin, scope: LineScope): Promise<void> {
    const { flags, pass, active, depth } = scope;
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
          const paths = await globPaths(pattern, { tilde: this.ctx.globHome, localUser: this.ctx.localUser, localUserHome: this.ctx.homeDir });
          const before = active.value;
          for (const p of paths) {
            // Includes inside an inactive Host/Match are parsed but never activate anything.
            await this.readFile({
              path: p,
              displayName: p,
              text: null,
              scope: { flags: { ...flags, checkPerm: true, neverMatch: flags.neverMatch || !before }, pass, active, depth: depth + 1 },
              from: origin,
            });
            // "don't let Match in includes clobber the containing file's Match state"
            active.value = before;
          }
        }
        return;
      }
      case 'hostname':
        need();
        if (flags.cmdline) assertShellSafe('host', need(), 'the hostname option (-o HostName)');
        if (on && s.hostname === undefined) s.hostname = { value: need(), origin };
        break;
      case 'user':
        need();
        // A user from the command line (-l, -o User) may reach a shell through %r (OpenSSH ≥ 9.6 valid_ruser()).
        if (flags.cmdline) assertShellSafe('user', need(), 'the user option (user, -l or -o User)');
        if (on && s.user === undefined) s.user = need();
        break;
      case 'hostkeyalias':
        need();
        if (flags.cmdline) assertShellSafe('host', need(), 'the host key alias option (-o HostKeyAlias)');
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
        // Each hop becomes the destination of its own connection (ssh runs `ssh -J`/`-W` for it, where
        // OpenSSH ≥ 9.6 checks it as a command-line name), and its user and host feed that hop's tokens.
        for (const hop of jump.hops) {
          const where = flags.cmdline ? 'the proxyJump option' : 'ProxyJump';
          if (!isShellSafe('host', hop.host)) fail(flags.cmdline ? null : origin, shellUnsafeMessage('host', `${where}: a jump host's name`));
          if (hop.user !== undefined && !isShellSafe('user', hop.user)) fail(flags.cmdline ? null : origin, shellUnsafeMessage('user', `${where}: a jump host's user name`));
        }
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
          else {
            s.sendEnvOrigin ??= origin;
            s.sendEnv.push(a);
          }
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
    if (on && WATCHED_KEYWORDS.has(keyword) && !s.firstSeen.has(keyword)) s.firstSeen.set(keyword, { args, origin });
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
