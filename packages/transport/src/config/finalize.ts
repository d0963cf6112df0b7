/**
 * What ssh does once the config files are read, as OpenSSH 9.2p1 ssh.c main() and readconf.c
 * fill_default_options() do it: HostName substitution, defaults, the connection's `%` tokens and
 * the expansions `ssh -G` prints (or ssh computes when it connects).
 */
import { assembleHostKeyAlgorithms } from './algorithms.js';
import { finalHostname } from './hostname.js';
import { formatForward, isDynamic } from './forward.js';
import type { Forward } from './forward.js';
import { formatJump } from './jump.js';
import { asciiLower } from './lexer.js';
import { fail } from './readconf.js';
import type { LocalContext, Settings } from './readconf.js';
import { shellTokenProblem } from './shell.js';
import { connectionHash, expand, ExpandError, tildeExpand } from './tokens.js';
import { collectWarnings } from './warnings.js';
import type { Env, Located, Origin, ResolvedSshTarget } from './types.js';

/**
 * ssh.c main(): "If the user has replaced the hostname then take it into use now" — HostName
 * accepts only the %h and %% tokens; then the name is canonicalised (numeric) or lower-cased.
 * Stores the substituted HostName back into `s` and returns the final hostname.
 */
export function substituteHostname(s: Settings, hostArg: string): string {
  let host = hostArg;
  if (s.hostname !== undefined) {
    host = expandAt(s.hostname.origin, 'HostName', s.hostname.value, { h: hostArg }, null);
    s.hostname = { value: host, origin: s.hostname.origin };
  }
  return finalHostname(host, s.addressFamily);
}

/** readconf.c fill_default_options() and the expansions of ssh.c, for the settings of the last pass. */
export function finalize(s: Settings, ctx: LocalContext, hostArg: string, host: string): ResolvedSshTarget {
  const { homeDir, env } = ctx;
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
      : // /bin/sh runs it: every token value must be free of shell syntax (CVE-2023-51385).
        { proxycommand: expandAt(proxyCommand.origin, 'ProxyCommand', proxyCommand.value, { h: host, k: hostKeyAlias ?? hostArg, n: hostArg, p: portStr, r: remoteUser }, null, shellTokenProblem) }),
    ...(agentSocket === undefined ? {} : { agentsocket: agentSocket }),
  };

  const firstOrigin = (list: readonly { readonly origin: Origin }[]): Origin | undefined => list[0]?.origin;
  const warnings = collectWarnings(s.firstSeen, {
    certificateFile: firstOrigin(s.certificateFiles),
    sendEnv: { count: s.sendEnv.length, origin: s.sendEnvOrigin },
    localForward: clear ? undefined : firstOrigin(s.localForwards.filter((f) => !isDynamic(f.value))),
    remoteForward: clear ? undefined : firstOrigin(s.remoteForwards),
    dynamicForward: clear ? undefined : firstOrigin(s.localForwards.filter((f) => isDynamic(f.value))),
  });

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
    warnings,
  };
}

export function expandAt(origin: Origin, keyword: string, value: string, tokens: Record<string, string>, env: Env | null, check?: (key: string, value: string) => string | null): string {
  try {
    return expand(value, tokens, env, check);
  } catch (err) {
    if (err instanceof ExpandError) fail(origin, `${keyword}: ${err.message}`);
    throw err;
  }
}
