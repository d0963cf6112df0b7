/**
 * `Match` evaluation, as OpenSSH 9.2p1 readconf.c match_cfg_line() does it.
 */
import { spawn } from 'node:child_process';
import { asciiLower, strdelim } from './lexer.js';
import type { Cursor } from './lexer.js';
import { matchHostname, matchPatternList } from './patterns.js';
import { shellTokenProblem } from './shell.js';
import { connectionHash, expand, ExpandError } from './tokens.js';

/** What `Match` needs to know about the connection as configured so far. */
export interface MatchContext {
  /** The name `Host` lines are matched against in this pass (as typed; the final hostname in the final pass). */
  readonly host: string;
  /** The name as given on the command line (`%n`, `Match originalhost`). */
  readonly originalHost: string;
  /** True in the second pass that `Match final` (or CanonicalizeHostname) asks for. */
  readonly finalPass: boolean;
  /** Config values obtained so far: incomplete by design, defaults stand in (ssh does the same). */
  readonly hostname: string | undefined;
  readonly port: number | undefined;
  readonly user: string | undefined;
  readonly hostKeyAlias: string | undefined;
  readonly localUser: string;
  readonly homeDir: string;
  readonly uid: number;
  readonly localHostname: string;
  readonly exec: MatchExec;
}

/** Criteria of any OpenSSH version, safe to name in a message. */
const KNOWN_CRITERIA: ReadonlySet<string> = new Set(['all', 'canonical', 'final', 'host', 'originalhost', 'user', 'localuser', 'exec', 'localnetwork', 'tagged', 'command', 'version', 'sessiontype']);

/** Runs a `Match exec` command; resolves to its exit status. */
/** `user` is the remote user (`%r`) at this line, for a caller that must refuse it before it reaches a shell. */
export type MatchExec = (command: string, user: string) => Promise<number>;

/** The outcome of one Match line. */
export interface MatchOutcome {
  readonly matched: boolean;
  /** True when `Match final` was seen (a second pass is wanted). */
  readonly wantFinal: boolean;
  /** False when words were left over (readconf.c then reports extra arguments). */
  readonly consumedAll: boolean;
}

/** A Match line that cannot be evaluated; the message is OpenSSH's rule, without the value. */
export class MatchError extends Error {
  override readonly name = 'MatchError';
}

/**
 * readconf.c match_cfg_line(): criteria are ANDed; each may be negated with `!`; `all` must stand
 * alone; `canonical` and `final` match only in the final pass; `host` tests the HostName after
 * `%h` substitution (case-insensitively, a pattern list), `originalhost` the name as typed,
 * `user` the remote user so far (case-sensitive), `localuser` the local user; `exec` runs a
 * command (only while every earlier criterion matched) and matches on exit status 0.
 * `localnetwork` and `tagged` are refused: OpenSSH 9.2 has no `tagged`, and we do not read
 * interface addresses for `localnetwork`.
 */
export async function matchCfgLine(condition: string, ctx: MatchContext): Promise<MatchOutcome> {
  const port = ctx.port ?? 22;
  const ruser = ctx.user ?? ctx.localUser;
  let host: string;
  if (ctx.finalPass) host = ctx.hostname ?? ctx.host;
  else if (ctx.hostname !== undefined) host = expandOrThrow(ctx.hostname, { h: ctx.host });
  else host = ctx.host;

  const cursor: Cursor = { rest: condition };
  let result = true;
  let attributes = 0;
  let wantFinal = false;
  for (;;) {
    const oattrib = strdelim(cursor);
    if (oattrib === null || oattrib === '') break;
    if (oattrib.startsWith('#')) {
      cursor.rest = null;
      break;
    }
    const negate = oattrib.startsWith('!');
    const attrib = asciiLower(negate ? oattrib.slice(1) : oattrib);
    if (attrib === 'all') {
      const arg = strdelim(cursor);
      if (attributes > 1 || (arg !== null && arg !== '' && !arg.startsWith('#'))) {
        throw new MatchError("'all' cannot be combined with other Match attributes");
      }
      if (arg !== null && arg.startsWith('#')) cursor.rest = null;
      if (result) result = !negate;
      return { matched: result, wantFinal, consumedAll: cursor.rest === null || cursor.rest === '' };
    }
    attributes++;
    if (attrib === 'canonical' || attrib === 'final') {
      if (attrib === 'final') wantFinal = true;
      if (ctx.finalPass === negate) result = false;
      continue;
    }
    // Only known criterion names are echoed in messages: anything else may be a pasted secret.
    const known = KNOWN_CRITERIA.has(attrib);
    const arg = strdelim(cursor);
    if (arg === null || arg === '' || arg.startsWith('#')) throw new MatchError(known ? `missing Match criteria for ${attrib}` : 'missing Match criteria for an unknown attribute');
    let r: boolean;
    switch (attrib) {
      case 'host':
        r = matchHostname(host, arg) === 1;
        break;
      case 'originalhost':
        r = matchHostname(ctx.originalHost, arg) === 1;
        break;
      case 'user':
        r = matchPatternList(ruser, arg, false) === 1;
        break;
      case 'localuser':
        r = matchPatternList(ctx.localUser, arg, false) === 1;
        break;
      case 'exec': {
        const thishost = ctx.localHostname;
        const portstr = String(port);
        // The command goes to /bin/sh: every token value must be free of shell syntax (CVE-2023-51385).
        const cmd = expandOrThrow(arg, {
          C: connectionHash(thishost, host, portstr, ruser),
          L: thishost.split('.')[0] ?? thishost,
          d: ctx.homeDir,
          h: host,
          k: ctx.hostKeyAlias ?? host,
          l: thishost,
          n: ctx.originalHost,
          p: portstr,
          r: ruser,
          u: ctx.localUser,
          i: String(ctx.uid),
        }, shellTokenProblem);
        // "skip execution if prior predicate failed"
        if (!result) continue;
        r = (await ctx.exec(cmd, ruser)) === 0;
        break;
      }
      case 'localnetwork':
        throw new MatchError('Match localnetwork is not supported (interface addresses are not read)');
      case 'tagged':
        throw new MatchError('unsupported Match attribute tagged (it needs OpenSSH 9.4)');
      default:
        throw new MatchError('unsupported Match attribute');
    }
    if (r === negate) result = false;
  }
  if (attributes === 0) throw new MatchError('one or more attributes required for Match');
  return { matched: result, wantFinal, consumedAll: cursor.rest === null || cursor.rest === '' };
}

function expandOrThrow(input: string, tokens: Record<string, string>, check?: (key: string, value: string) => string | null): string {
  try {
    return expand(input, tokens, null, check);
  } catch (err) {
    if (err instanceof ExpandError) throw new MatchError(err.message);
    throw err;
  }
}

/** The default `Match exec` time limit: a config must not hang the caller. */
export const DEFAULT_MATCH_EXEC_TIMEOUT_MS = 5000;

/**
 * Runs `Match exec` commands with `/bin/sh -c` (ssh uses $SHELL, falling back to /bin/sh), stdin
 * and stdout on /dev/null, stderr ignored, the given environment, and a time limit: a command
 * that times out or dies from a signal is an error, as "exited abnormally" is in ssh.
 */
export function shellMatchExec(env: Readonly<Record<string, string | undefined>>, timeoutMs: number): MatchExec {
  return (command) =>
    new Promise<number>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: 'ignore', env: { ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' });
      child.once('error', () => {
        reject(new MatchError('Match exec could not start /bin/sh'));
      });
      child.once('exit', (code, signal) => {
        if (code !== null) {
          resolve(code);
          return;
        }
        reject(new MatchError(signal === 'SIGKILL' ? `Match exec command timed out after ${timeoutMs} ms` : 'Match exec command exited abnormally'));
      });
    });
}
