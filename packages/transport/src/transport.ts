import { timingSafeEqual } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Algorithms } from 'ssh2';
import { KnownHosts } from '@ssh-docker/hostkeys';
import type { HostKeyPolicy } from '@ssh-docker/hostkeys';
import { parseSshUrl, Secret } from '@ssh-docker/url';
import { localHomeDir, resolveSshTarget } from './config/index.js';
import { publish } from './internal/diagnostics.js';
import type { ResolvedSshTarget, SshTarget } from './config/index.js';
import { parseJump } from './config/jump.js';
import { GUARD_MATCH_EXEC_USER } from './config/resolve.js';
import type { GuardedResolveOptions } from './config/resolve.js';
import type { TransportErrorTarget } from './errors.js';
import { HARDENED_ALGORITHMS } from './internal/algorithms.js';
import { runCheck } from './internal/check.js';
import type { CheckOptions, CheckReport } from './internal/check.js';
import { SshConnection } from './internal/connection.js';
import type { ConnectionSettings } from './internal/connection.js';
import { Credentials } from './internal/credentials.js';
import type { SecretSource } from './internal/credentials.js';
import { isSafeSocketPath, SocketRouter } from './internal/endpoint.js';
import type { SocketRoute, SocketVia } from './internal/endpoint.js';
import { transportError } from './internal/failures.js';
import { ConnectionPool } from './internal/pool.js';
import type { PoolStats } from './internal/pool.js';

export type { CredentialContext, SecretSource } from './internal/credentials.js';

/** Options of {@link createDockerSshTransport}. Every limit has a default, said here. */
export interface DockerSshTransportOptions {
  /** An `ssh://[user@]host[:port]` URL, or a `[user@]alias` from ssh_config. */
  readonly url: string;
  /** The ssh_config file: default `~/.ssh/config`; `false` for none. */
  readonly configFile?: string | false;
  /** The user, over the URL and the config (ssh `-l`). */
  readonly user?: string;
  /** The port, over the URL and the config (ssh `-p`). */
  readonly port?: number;
  /** Identity files tried first (ssh `-i`); the config's and the defaults follow. */
  readonly identityFiles?: readonly string[];
  /** The ssh-agent socket: default IdentityAgent from the config, else `SSH_AUTH_SOCK`; `false` for none. */
  readonly agent?: string | false;
  /** A password (also answers keyboard-interactive), as a Secret — cleared after the handshake — or a provider asked at each connect. */
  readonly password?: SecretSource;
  /** The passphrase of encrypted identity files, as a Secret or a provider. */
  readonly passphrase?: SecretSource;
  /**
   * Secrets that must never be sent as a user name: a target or ProxyJump hop whose user (from the
   * URL, `user`, ssh_config's `User` or `-J`) equals one is refused with `ERR_SSH_CONFIG` before any
   * connection. A `password` or `passphrase` given as a Secret is always included; give here the
   * Secrets behind your providers (the CLI gives what it read from stdin).
   */
  readonly refuseAsUser?: readonly Secret[];
  /**
   * Credentials for ProxyJump hops, asked per hop. `password`, `passphrase` and `identityFiles` above
   * are for the target only and are never offered to a jump host (as with ssh, whose `-i` does not
   * reach the `-J` hop); a hop gets its config's identity files and the agent, plus what this returns
   * for it. Default: nothing more.
   */
  readonly jumpCredentials?: (hop: { readonly host: string; readonly port: number; readonly user: string }) =>
    | { readonly password?: SecretSource; readonly passphrase?: SecretSource; readonly identityFiles?: readonly string[] }
    | undefined;
  /**
   * Default from StrictHostKeyChecking: `yes` and `ask` (the default) → `'strict'`; `accept-new`
   * and `no` → `'accept-new'` (never weaker: a changed key always refuses).
   */
  readonly hostKeyPolicy?: HostKeyPolicy;
  /** known_hosts files: default UserKnownHostsFile then GlobalKnownHostsFile from the config. */
  readonly knownHostsFiles?: readonly string[];
  /**
   * TCP connect and SSH handshake, each: default ConnectTimeout from the config, else 10,000 ms.
   * The time a password or passphrase provider takes to answer is not counted.
   */
  readonly connectTimeoutMs?: number;
  /** Keepalive interval (0 turns it off): default ServerAliveInterval from the config, else 15,000 ms. */
  readonly keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection counts as lost: default ServerAliveCountMax, 3. */
  readonly keepaliveCountMax?: number;
  /** IP family: default AddressFamily from the config (any). */
  readonly family?: 4 | 6;
  /**
   * The remote Docker socket, when it is not the one the remote docker CLI dials. Validated
   * (absolute, only `A-Za-z0-9._/-`, no `..`), then used as `docker --host=unix://PATH system
   * dial-stdio`, or as a direct-streamlocal channel (`socketVia`). Never taken from the URL's path.
   */
  readonly socketPath?: string;
  /**
   * How streams reach the daemon. `'auto'` (default): the first stream runs `docker system
   * dial-stdio`; beside it, the transport asks the remote docker CLI which daemon that reaches
   * (`docker context inspect`: the remote user's DOCKER_HOST and context), or takes `socketPath`, and
   * when it is a unix socket whose daemon answers `/info` with the same ID over a direct-streamlocal
   * channel, later streams are direct-streamlocal channels (no remote process per stream). Otherwise
   * (not a unix socket, forwarding refused, another daemon) streams stay on dial-stdio; the reason is
   * published on the `ssh-docker:transport:route` diagnostics channel and shown by `check()`.
   * `'dial-stdio'`: always `docker system dial-stdio`. `'streamlocal'`: always direct-streamlocal to
   * `socketPath` (no docker CLI needed remotely).
   */
  readonly socketVia?: SocketVia;
  /** Channels per SSH connection: default 9, under OpenSSH's MaxSessions of 10. */
  readonly maxChannelsPerConnection?: number;
  /**
   * SSH connections per transport: default 4. Streams beyond all slots wait in order. With a
   * `password` or `passphrase` given as a Secret (not a provider), or a password in the URL, it is 1:
   * the Secret is cleared after that connection's handshake; a value above 1 then throws a RangeError.
   */
  readonly maxConnections?: number;
  /**
   * Jump hosts (`[user@]host[:port][,…]`, as ssh `-J`): default ProxyJump from the config; `false` for none
   * (as `-J none`, a ProxyCommand from the config still applies: pass `proxyCommand: false` too). Each
   * hop's host key is verified. A string here wins over a ProxyCommand from the config.
   */
  readonly proxyJump?: string | false;
  /**
   * A command whose stdin and stdout reach the SSH server, as ssh's `-o ProxyCommand=…` (e.g.
   * `'nc %h %p'`, `'ssh -W %h:%p bastion'`, `'aws ssm start-session --target %h …'`): default ProxyCommand
   * from the config; `false` (or `'none'`) for none. It is never taken from the URL. `%h %p %r %n %k %%`
   * are expanded (values holding shell syntax are refused, as by OpenSSH), then it runs as `exec
   * <command>` under `/bin/sh -c` with `env`. Its stderr is kept (bounded) and quoted, scrubbed, in
   * `ERR_PROXY_COMMAND` when it ends before the handshake; it is ended (and waited for) with its
   * connection. Whichever of ProxyCommand and ProxyJump is obtained first wins, as in ssh; giving both
   * options is a TypeError (ssh: "Cannot specify -J with ProxyCommand").
   */
  readonly proxyCommand?: string | false;
  /** Replaces the hardened algorithm profile (kex, cipher, hmac, compress; host keys come from known_hosts). */
  readonly algorithms?: Omit<Algorithms, 'serverHostKey'>;
  /** For hermetic use and tests: the home directory (default: the passwd entry's, as ssh; not `$HOME`), environment and local user ssh_config resolution sees. */
  readonly homeDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly localUser?: string;
}

/** Counters of a transport, for monitoring. Safe to log. */
export interface TransportStats extends PoolStats {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** The path streams take to the daemon now: `'dial-stdio'`, or `'streamlocal'` once `auto` proved it. */
  readonly socketVia: 'dial-stdio' | 'streamlocal';
}

/**
 * One SSH connection (or a few), many `docker system dial-stdio` channels: give `openStream` to
 * an HTTP client as its connector.
 */
export interface DockerSshTransport {
  /** A fresh channel to the remote Docker daemon, shaped like a socket. */
  openStream(): Promise<Duplex>;
  /**
   * A step-by-step diagnosis on a connection of its own: resolve, TCP, host key, auth, docker CLI,
   * ping, API version, round trip. When every step passes and the transport has no connection yet,
   * that connection serves the requests that follow (no second handshake). Each remote step has a
   * deadline (`stepTimeoutMs`, default the connect timeout) and ends with a documented code; remote
   * text in a step is made printable. `onStep` sees each step as soon as it is known.
   */
  check(options?: CheckOptions): Promise<CheckReport>;
  /** Refuses new streams, waits for open ones up to `timeoutMs` (default 5,000), then ends them. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  stats(): TransportStats;
}

/** How deep the first hop's own ProxyJump may nest before a loop is assumed (ssh itself has no limit). */
const MAX_JUMP_DEPTH = 8;

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new RangeError(`${name} must be ${allowZero ? 'a non-negative' : 'a positive'} integer`);
  return value;
}

function policyFromConfig(value: ResolvedSshTarget['stricthostkeychecking']): HostKeyPolicy {
  // `no` would let OpenSSH connect to a changed key with restrictions; here it never goes below accept-new.
  return value === 'accept-new' || value === 'false' ? 'accept-new' : 'strict';
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

/**
 * Creates the transport. Nothing connects until the first `openStream()` or `check()`.
 *
 * @throws TypeError or RangeError for a malformed option (a caller mistake); a bad URL throws its
 * `UrlError` (`ERR_SSH_URL_*`).
 *
 * @example
 * ```ts
 * import http from 'node:http';
 * import { createDockerSshTransport } from '@ssh-docker/transport';
 *
 * const transport = createDockerSshTransport({ url: 'ssh://deploy@docker-1.example.com' });
 * const agent = new http.Agent({ keepAlive: true });
 * agent.createConnection = (_opts, cb) => {
 *   transport.openStream().then((s) => cb(null, s), (e) => cb(e));
 *   return undefined;
 * };
 * // …or use createDockerAgent(transport.openStream) from @ssh-docker/http.
 * await transport.close();
 * ```
 */
export function createDockerSshTransport(options: DockerSshTransportOptions): DockerSshTransport {
  if (typeof options !== 'object' || options === null) throw new TypeError('createDockerSshTransport() takes an options object');
  if (typeof options.url !== 'string' || options.url === '') throw new TypeError('options.url must be an ssh:// URL or an ssh_config host alias');
  const maxChannelsPerConnection = positive('maxChannelsPerConnection', options.maxChannelsPerConnection, 9);
  const requestedConnections = positive('maxConnections', options.maxConnections, 4);
  if (options.connectTimeoutMs !== undefined) positive('connectTimeoutMs', options.connectTimeoutMs, 0);
  if (options.keepaliveIntervalMs !== undefined) positive('keepaliveIntervalMs', options.keepaliveIntervalMs, 0, true);
  if (options.keepaliveCountMax !== undefined) positive('keepaliveCountMax', options.keepaliveCountMax, 0);
  if (options.family !== undefined && options.family !== 4 && options.family !== 6) throw new RangeError('family must be 4 or 6');
  if (options.socketPath !== undefined && (typeof options.socketPath !== 'string' || !isSafeSocketPath(options.socketPath))) {
    throw new TypeError("socketPath must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'");
  }
  if (options.socketVia !== undefined && options.socketVia !== 'auto' && options.socketVia !== 'dial-stdio' && options.socketVia !== 'streamlocal') {
    throw new TypeError("socketVia must be 'auto', 'dial-stdio' or 'streamlocal'");
  }
  if (options.refuseAsUser !== undefined && (!Array.isArray(options.refuseAsUser) || !options.refuseAsUser.every((s) => s instanceof Secret))) {
    throw new TypeError('refuseAsUser must be an array of Secrets');
  }
  if (options.socketVia === 'streamlocal' && options.socketPath === undefined) throw new TypeError("socketVia 'streamlocal' needs a socketPath");
  if (options.proxyCommand !== undefined && options.proxyCommand !== false) {
    // eslint-disable-next-line no-control-regex
    if (typeof options.proxyCommand !== 'string' || options.proxyCommand.trim() === '' || /[\u0000-\u001f\u007f]/.test(options.proxyCommand)) {
      throw new TypeError('proxyCommand must be a non-empty command without control characters, or false');
    }
    if (typeof options.proxyJump === 'string' && options.proxyCommand.trim() !== 'none') throw new TypeError('proxyCommand and proxyJump exclude each other (as ssh -J and ProxyCommand): give one');
  }

  // A password in the URL is taken as the password (a direct Secret: cleared after the handshake).
  let urlPassword: Secret | undefined;
  let label: { host: string; port?: number; user?: string } = { host: options.url };
  // Any `scheme://` is a URL, never an alias: `unix://…` or `tcp://…` is refused (ERR_SSH_URL_SCHEME) instead of
  // being looked up as a host name.
  // The URL is parsed once, here; resolution takes the parsed target (no second parse, no second Secret).
  let parsedUrl: SshTarget | undefined;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(options.url)) {
    const parsed = parseSshUrl(options.url);
    urlPassword = parsed.password;
    label = parsed;
    parsedUrl = { host: parsed.host, ...(parsed.user === undefined ? {} : { user: parsed.user }), ...(parsed.port === undefined ? {} : { port: parsed.port }) };
  } else if (/^-|[\s\p{Cc}]/u.test(options.url)) {
    throw new TypeError("options.url must not start with '-' or contain whitespace or control characters");
  } else if (options.url.includes('@')) {
    // A `user@host` alias, as ssh reads it (the last '@'): until resolution, messages and stats()
    // name the host, never the whole string (its user may be the secret, refused below).
    const at = options.url.lastIndexOf('@');
    label = { host: options.url.slice(at + 1), user: options.url.slice(0, at) };
  }
  // The password database's home, as ssh (not $HOME).
  const homeDir = options.homeDir ?? localHomeDir();
  const env = options.env ?? process.env;
  const localUser = options.localUser ?? userInfo().username;
  // Until resolution has run, messages name the host as given.
  let target: TransportErrorTarget & { port: number; user: string } = {
    host: label.host,
    port: options.port ?? label.port ?? 22,
    user: options.user ?? label.user ?? localUser,
  };

  // Each ignored ssh_config setting is published once per transport (config/warnings.ts).
  const warned = new Set<string>();
  const warn = (resolved: ResolvedSshTarget): ResolvedSshTarget => {
    for (const w of resolved.warnings) {
      const key = `${resolved.host}\0${w.keyword}\0${w.file}\0${String(w.line)}`;
      if (warned.has(key)) continue;
      warned.add(key);
      publish('config', { host: resolved.host, keyword: w.keyword, file: w.file, line: w.line, message: w.message });
    }
    return resolved;
  };
  let resolving: Promise<ResolvedSshTarget> | undefined;
  const resolve = (): Promise<ResolvedSshTarget> =>
    (resolving ??= resolveSshTarget(parsedUrl ?? options.url, {
      ...guardFor(label.host),
      ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
      homeDir,
      env,
      localUser,
      overrides: {
        ...(options.user === undefined ? {} : { user: options.user }),
        ...(options.port === undefined ? {} : { port: options.port }),
        // As ssh's -o: first obtained, so it also wins over a ProxyJump from the config.
        ...(options.proxyCommand === undefined ? {} : { proxycommand: options.proxyCommand === false ? 'none' : options.proxyCommand }),
      },
    })
      .then(warn)
      .then((resolved) => refuseSecretAsUser(resolved, resolved.host)));
  /** The internal guard of resolveSshTarget: a user that is a given secret never reaches a Match exec shell as %r. */
  const guardFor = (forHost: string): GuardedResolveOptions => ({
    [GUARD_MATCH_EXEC_USER]: (user: string) => {
      if (isGivenSecret(user)) throw secretUserError(forHost);
    },
  });

  const password = options.password ?? urlPassword;
  /**
   * A user name that is the password or passphrase given as a Secret (pasted into the wrong field,
   * or a `User` line in ssh_config) would be sent before any password, into the server's auth log,
   * and printed by every message naming the target: it is refused before anything is sent. Equality
   * only, in constant time: a secret inside a longer name is a coincidence, and saying so would tell it.
   */
  const isGivenSecret = (user: string | undefined): boolean =>
    [password, options.passphrase, ...(options.refuseAsUser ?? [])].some((source) => source instanceof Secret && !source.cleared && sameBytes(source, user));
  if (isGivenSecret(options.user) || isGivenSecret(label.user)) {
    throw new TypeError('the SSH user (options.user or the URL) is the password or passphrase given, so nothing was sent: give the account name as the user and the secret only as password or passphrase');
  }
  function secretUserError(forHost: string, at?: { host: string; port: number }): Error {
    return transportError(
      'ERR_SSH_CONFIG',
      `the SSH user for ${forHost} (from ssh_config's User, -l or ProxyJump) is the password or passphrase given, so nothing was sent: fix the User line or the user@ of the target, and give the secret only as password or passphrase`,
      at ?? { host: forHost },
    );
  }
  function refuseSecretAsUser(resolved: ResolvedSshTarget, forHost: string): ResolvedSshTarget {
    if (!isGivenSecret(resolved.user)) return resolved;
    throw secretUserError(forHost, { host: resolved.hostname, port: resolved.port });
  }
  // A Secret given directly is cleared by the handshake that uses it, so only the connection open
  // while it is held can use it: the pool is pinned to one connection, and its streams queue for
  // its channels. (A second connection opened under load would find the Secret cleared, and fail or
  // not depending on timing.) Asking for more connections with a direct Secret cannot work: refused here.
  const direct = password instanceof Secret || options.passphrase instanceof Secret;
  if (direct && options.maxConnections !== undefined && options.maxConnections > 1) {
    throw new RangeError('maxConnections above 1 needs the password and passphrase as provider functions (() => Promise<Secret>): a Secret given directly is cleared after the one connection that uses it');
  }
  const maxConnections = direct ? 1 : requestedConnections;
  const command =
    options.socketPath === undefined
      ? 'docker system dial-stdio'
      : // The path was validated above; single quotes keep the remote shell from reading it anyway.
        `docker --host='unix://${options.socketPath}' system dial-stdio`;

  /** The ProxyCommand children alive now, waited for by `close()`. */
  const proxyChildren = new Set<Promise<void>>();
  const track = (exited: Promise<void>): void => {
    proxyChildren.add(exited);
    void exited.then(() => proxyChildren.delete(exited));
  };

  /**
   * `jumpOf`: the destination when `resolved` is a jump host. `firstHop`: that hop is reached
   * directly (ssh runs it with its own config, ProxyCommand included; a later hop's is overridden by -J).
   */
  async function settingsFor(resolved: ResolvedSshTarget, jumpOf?: string, firstHop = false): Promise<ConnectionSettings> {
    const hop = { host: resolved.hostname, port: resolved.port, user: resolved.user };
    const userFiles = resolved.userknownhostsfile.filter((f) => f !== 'none');
    // Explicit files serve every hop, the target and the jump hosts alike (ssh's UserKnownHostsFile).
    const knownHostsFiles = options.knownHostsFiles ?? [...userFiles, ...resolved.globalknownhostsfile.map((f) => expandHome(f, homeDir))];
    const recordTo = options.knownHostsFiles === undefined ? userFiles[0] : options.knownHostsFiles[0];
    const agent = options.agent === false ? undefined : (options.agent ?? resolved.expanded.agentsocket);
    const family = options.family ?? (resolved.addressfamily === 'inet' ? 4 : resolved.addressfamily === 'inet6' ? 6 : undefined);
    const auth = jumpOf === undefined ? { password, passphrase: options.passphrase, identityFiles: options.identityFiles } : (options.jumpCredentials?.(hop) ?? {});
    // A hop's own password or passphrase, given as a Secret, must not be its user name either.
    if (jumpOf !== undefined && [auth.password, auth.passphrase].some((s) => s instanceof Secret && !s.cleared && sameBytes(s, hop.user))) {
      throw secretUserError(jumpOf, { host: hop.host, port: hop.port });
    }
    const jump = jumpOf === undefined ? (options.proxyJump === false ? undefined : (options.proxyJump ?? resolved.proxyjump)) : undefined;
    // The expanded ProxyCommand, unless a ProxyJump (an explicit one wins over the config's command, as ssh -J) or a later hop.
    const proxyCommand = jump === undefined && (jumpOf === undefined || firstHop) ? resolved.expanded.proxycommand : undefined;
    const settings: ConnectionSettings = {
      target: hop,
      ...(family === undefined ? {} : { family }),
      connectTimeoutMs: options.connectTimeoutMs ?? (typeof resolved.connecttimeout === 'number' ? resolved.connecttimeout * 1000 : 10_000),
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? (resolved.serveraliveinterval > 0 ? resolved.serveraliveinterval * 1000 : 15_000),
      keepaliveCountMax: options.keepaliveCountMax ?? resolved.serveralivecountmax,
      algorithms: { ...HARDENED_ALGORITHMS, ...options.algorithms } as Algorithms,
      knownHosts: KnownHosts.load([...knownHostsFiles]),
      hostKeyPolicy: options.hostKeyPolicy ?? policyFromConfig(resolved.stricthostkeychecking),
      ...(resolved.hostkeyalias === undefined ? {} : { hostKeyAlias: resolved.hostkeyalias }),
      ...(recordTo === undefined ? {} : { recordTo }),
      credentials: new Credentials({
        // The caller's password, passphrase and identity files are for the target; a jump host gets
        // only what jumpCredentials gives for it: a credential is never offered to another host.
        ...(auth.password === undefined ? {} : { password: auth.password }),
        ...(auth.passphrase === undefined ? {} : { passphrase: auth.passphrase }),
        identityFiles: [...(auth.identityFiles ?? []), ...resolved.expanded.identityfile],
        for: { host: hop.host, port: hop.port, role: jumpOf === undefined ? 'target' : 'jump' },
        homeDir,
        ...(agent === undefined ? {} : { agent }),
        identitiesOnly: resolved.identitiesonly === 'yes',
      }),
      command,
      ...(options.socketVia === 'streamlocal' && options.socketPath !== undefined ? { streamLocalPath: options.socketPath } : {}),
      ...(proxyCommand === undefined ? {} : { proxyCommand: { command: proxyCommand, name: resolved.host, env, track } }),
    };
    if (jump === undefined) return settings;
    return { ...settings, via: await jumpVia(jump, resolved) };
  }

  /** Connections to jump hosts, kept for reuse and closed with the transport. */
  const hopConnections = new Set<SshConnection>();

  /**
   * The hops of a ProxyJump list, each resolved with the config. As with ssh, which reaches the
   * first hop with a plain `ssh -W` and each later one with `ssh -J <hops before it>`, the first
   * hop's own ProxyJump applies (and its first hop's, and so on), while a later hop's is overridden.
   */
  async function resolveHops(spec: string, destination: ResolvedSshTarget, depth: number): Promise<ResolvedSshTarget[]> {
    const hops: ResolvedSshTarget[] = [];
    for (const [index, raw] of spec.split(',').entries()) {
      const parsed = parseJump(raw.trim());
      if (parsed === null || parsed.host === 'none') {
        throw transportError('ERR_SSH_CONFIG', `a ProxyJump hop for ${destination.host} is not [user@]host[:port]`, target);
      }
      const hop = { host: parsed.host, ...(parsed.user === undefined ? {} : { user: parsed.user }), ...(parsed.port > 0 ? { port: parsed.port } : {}) };
      const resolvedHop = refuseSecretAsUser(
        warn(
          await resolveSshTarget(hop, {
            ...guardFor(destination.host),
            ...(options.configFile === undefined ? {} : { configFile: options.configFile }),
            homeDir,
            env,
            localUser,
          }),
        ),
        destination.host,
      );
      if (index === 0 && resolvedHop.proxyjump !== undefined) {
        if (depth >= MAX_JUMP_DEPTH) {
          throw transportError('ERR_SSH_CONFIG', `ProxyJump for ${destination.host} goes through more than ${MAX_JUMP_DEPTH} levels of jump hosts, or loops (${resolvedHop.host} is reached through ${resolvedHop.proxyjump}): check the ProxyJump lines in ssh_config`, target);
        }
        hops.push(...(await resolveHops(resolvedHop.proxyjump, resolvedHop, depth + 1)));
      }
      hops.push(resolvedHop);
    }
    return hops;
  }

  /**
   * ProxyJump, as ssh -J: the first hop is reached over TCP, each next one through a TCP forward
   * on the hop before it, and the target through the last. Every hop's host key is verified with
   * its own known_hosts entries; hops reconnect on demand.
   */
  async function jumpVia(spec: string, destination: ResolvedSshTarget): Promise<() => Promise<Duplex>> {
    const hops: ConnectionSettings[] = [];
    // Only the first hop of the whole chain is reached directly, so only its ProxyCommand runs.
    for (const [index, resolvedHop] of (await resolveHops(spec, destination, 0)).entries()) hops.push(await settingsFor(resolvedHop, destination.host, index === 0));
    const live: (Promise<SshConnection> | undefined)[] = hops.map(() => undefined);
    const through = async (index: number, host: string, port: number): Promise<Duplex> => {
      const hop = hops[index];
      if (hop === undefined) throw transportError('ERR_SSH_CONFIG', `ProxyJump for ${destination.host} names no host`, target);
      let pending = live[index];
      if (pending === undefined) {
        const before = index > 0 ? { via: () => through(index - 1, hop.target.host, hop.target.port) } : {};
        const connection = new SshConnection({ ...hop, ...before }, {
          onEnd: (ended) => {
            hopConnections.delete(ended);
            live[index] = undefined;
          },
          onRelease: () => undefined,
        });
        hopConnections.add(connection);
        pending = connection.connect().then(
          () => connection,
          (err: unknown) => {
            hopConnections.delete(connection);
            live[index] = undefined;
            throw err;
          },
        );
        live[index] = pending;
      }
      return (await pending).forwardOut(host, port);
    };
    return () => through(hops.length - 1, destination.hostname, destination.port);
  }

  const pool = new ConnectionPool(async () => {
    const resolved = await resolve();
    target = { host: resolved.hostname, port: resolved.port, user: resolved.user };
    return settingsFor(resolved);
  }, { maxChannelsPerConnection, maxConnections });

  const router = new SocketRouter({
    via: options.socketVia ?? 'auto',
    ...(options.socketPath === undefined ? {} : { socketPath: options.socketPath }),
    open: (choice, probe) => pool.openStream(choice, probe),
    target: () => target,
  });

  return {
    openStream: () => router.openStream(),
    async check(checkOptions = {}) {
      if (checkOptions.stepTimeoutMs !== undefined) positive('stepTimeoutMs', checkOptions.stepTimeoutMs, 0);
      const report = await runCheck(
        {
          resolve,
          settings: async () => settingsFor(await resolve()),
          target: () => target,
          adopt: (connection) => pool.adopt(connection),
        },
        checkOptions,
      );
      if (!report.ok) return report;
      // Which path requests take, and why: learned now (on the connection the check handed over) if not yet.
      const route = describeRoute(await router.settle());
      return { ...report, steps: report.steps.map((step) => (step.name === 'daemon ping' ? { ...step, detail: `${step.detail}; requests go ${route}` } : step)) };
    },
    async close(closeOptions = {}) {
      router.abort();
      await pool.close(positive('timeoutMs', closeOptions.timeoutMs, 5000, true), target);
      for (const connection of hopConnections) connection.close();
      // No ProxyCommand child outlives the transport (each is sent SIGTERM, then SIGKILL, by its connection).
      await Promise.all([...proxyChildren]);
    },
    stats() {
      return { ...pool.stats(), host: target.host, port: target.port, user: target.user, socketVia: router.route.via };
    },
  };
}



/** `by direct-streamlocal to PATH (why)` or `by dial-stdio (why)`, for the check's report. */
function describeRoute(route: SocketRoute): string {
  return route.via === 'streamlocal' ? `by direct-streamlocal to ${route.path ?? ''} (${route.reason})` : `by docker system dial-stdio (${route.reason})`;
}

/** Whether `user` is the secret's bytes (UTF-8), compared in constant time; the copy is wiped. */
function sameBytes(secret: Secret, user: string | undefined): boolean {
  if (user === undefined || user === '') return false;
  const bytes = Buffer.from(user, 'utf8');
  try {
    return secret.use((held) => held.length === bytes.length && timingSafeEqual(held, bytes));
  } finally {
    bytes.fill(0);
  }
}
