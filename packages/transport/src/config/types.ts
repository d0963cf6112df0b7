/**
 * The public shape of a resolved target (what `ssh -G` prints, in our types) and the environment
 * type the resolution passes around.
 */
/** An environment, as `process.env` (for `${VAR}`, SSH_AUTH_SOCK and `Match exec`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where a value came from (a config file and line, `overrides`:0), for messages and warnings. */
export interface Origin {
  readonly file: string;
  readonly line: number;
}

/**
 * A setting that resolved but is not honoured. `message` says what happens instead and what to
 * do; it names the keyword and at most a yes/no-style value, never a path or a command.
 */
export interface ConfigWarning {
  /** The keyword as ssh_config(5) spells it, e.g. `ForwardAgent`. */
  readonly keyword: string;
  /** The config file (or `overrides`, `configText`) of the line that set it. */
  readonly file: string;
  /** 1-based; 0 for an override. */
  readonly line: number;
  readonly message: string;
}

/** A value with where it came from. */
export interface Located<T> {
  readonly value: T;
  readonly origin: Origin;
}

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
  /**
   * Settings that resolved but that the transport does not honour (ForwardAgent, CertificateFile,
   * ControlMaster, forwardings, SendEnv, StrictHostKeyChecking ask, …): one per keyword, with the
   * file and line that set it. The transport publishes each once on `ssh-docker:transport:config`.
   */
  readonly warnings: readonly ConfigWarning[];
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
