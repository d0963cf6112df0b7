/**
 * What to try for each error code of every ssh-docker package: one table, one owner.
 *
 * A fix is written once, with the names of the knobs it mentions left as words; each audience fills
 * them in its own terms. A program using the library reads option names (`socketPath`); a person
 * at the `ssh-docker` command line reads flags (`--remote-socket`). So a CLI user is never told
 * about a library option, and the two phrasings cannot drift apart.
 *
 * Adding a code: add its line to {@link FIX_TABLE} (the test `fixes.test.ts` fails until every code
 * in every package's `errors.ts` union has one, phrased for each audience).
 */

/** Who reads the fix: a program's author (library option names) or a person at the CLI (flags). */
export type FixAudience = 'library' | 'cli';

/** The knobs a fix may name, as each audience calls them. */
interface Words {
  /** Where the user is set. */
  readonly user: string;
  /** Where identity files are given. */
  readonly identity: string;
  /** Where the port is set. */
  readonly port: string;
  /** Where the ssh_config file is chosen. */
  readonly config: string;
  /** The remote daemon's socket path. */
  readonly remoteSocket: string;
  /** Reaching that socket by stream-local forwarding. */
  readonly streamlocal: string;
  /** Accepting a new host key once. */
  readonly acceptNew: string;
  /** Giving a password or passphrase without putting it in the URL. */
  readonly password: string;
  /** The same, as an instruction. */
  readonly passwordIn: string;
  /** The connect (and per-step) timeout. */
  readonly timeout: string;
  /** The algorithm profile. */
  readonly algorithms: string;
  /** Running the step-by-step diagnosis. */
  readonly check: string;
  /** Where the help or the reference is. */
  readonly reference: string;
  /** The local socket the proxy serves. */
  readonly localSocket: string;
  /** How to supply a one-time password again for a new connection. */
  readonly reconnect: string;
  /** Turning a configured ProxyCommand off. */
  readonly noProxyCommand: string;
}

const WORDS: Readonly<Record<FixAudience, Words>> = {
  library: {
    user: 'the `user` option (or user@ in `url`)',
    identity: 'the `identityFiles` option',
    port: 'the `port` option',
    config: 'the `configFile` option',
    remoteSocket: '`socketPath`',
    streamlocal: "`socketVia: 'streamlocal'`",
    acceptNew: "`hostKeyPolicy: 'accept-new'` once",
    password: 'the `password` option (a Secret or a provider)',
    passwordIn: 'pass it as the `password` option (a Secret or a provider)',
    timeout: '`connectTimeoutMs`',
    algorithms: 'the `algorithms` option',
    check: '`transport.check()`',
    reference: 'the option types and their TSDoc',
    localSocket: "serveDockerSocket's path",
    reconnect: 'pass a provider (() => Promise<Secret>) instead of a Secret to reconnect',
    noProxyCommand: '`proxyCommand: false`',
  },
  cli: {
    user: '-l or user@',
    identity: '-i',
    port: '-p',
    config: '-F',
    remoteSocket: '--remote-socket',
    streamlocal: '--streamlocal',
    acceptNew: '-o StrictHostKeyChecking=accept-new once',
    password: '--password-stdin',
    passwordIn: 'pipe it to --password-stdin',
    timeout: '-o ConnectTimeout=SECONDS',
    algorithms: 'ssh_config',
    check: 'ssh-docker check on the same target',
    reference: '--help',
    localSocket: 'a --socket path',
    reconnect: 'run the command again to pipe it in anew',
    noProxyCommand: '-o ProxyCommand=none',
  },
};

type Fix = (w: Words) => string;

/**
 * The fixes, by code. Grouped by the package whose `errors.ts` declares the code; the CLI's own
 * codes last. New codes go in their package's group.
 */
const FIX_TABLE = {
  // @ssh-docker/url
  ERR_SSH_URL_SCHEME: () => 'write the target as ssh://[user@]host[:port], or as a Host alias from ssh_config',
  ERR_SSH_URL_HOST: () => 'write the target as ssh://[user@]host[:port] with a host name or address',
  ERR_SSH_URL_PORT: () => 'use a port from 1 to 65535',
  ERR_SSH_URL_CHARS: () => 'remove spaces and control characters from the target',
  ERR_SSH_URL_INJECTION: () => "a host or user may not start with '-'",
  ERR_SSH_URL_QUERY: () => 'remove the ?query or #fragment from the target',
  ERR_SSH_URL_PASSWORD: (w) => `leave the password out of the URL and ${w.passwordIn}, or use a key (${w.identity}) or ssh-agent`,
  ERR_SSH_URL_MALFORMED: () => 'write the target as ssh://[user@]host[:port]',

  // @ssh-docker/hostkeys
  ERR_HOST_KEY_UNKNOWN: (w) => `verify the fingerprint with the host owner, then add it: ssh-keyscan -H -p PORT HOST >> ~/.ssh/known_hosts, or ${w.acceptNew}`,
  ERR_HOST_KEY_CHANGED: () => 'find out why the key changed; if expected, remove the old entry with ssh-keygen -R and add the new one',
  ERR_HOST_KEY_REVOKED: () => 'the host key is revoked in known_hosts: do not connect; ask the host owner',

  // @ssh-docker/transport
  ERR_DOCKER_CONTEXT: () => 'check DOCKER_HOST and DOCKER_CONTEXT, or the context named (docker context ls shows what the docker CLI sees)',
  ERR_SECRET_SPENT: (w) => `a password or passphrase given once serves one SSH connection and is then wiped: ${w.reconnect}, or use a key or ssh-agent`,
  ERR_PROXY_COMMAND: (w) =>
    `the ProxyCommand ended before the SSH handshake: read its stderr in the message and run it by hand (ssh -G HOST shows it expanded); fix it in ssh_config, or turn it off with ${w.noProxyCommand}`,
  ERR_SSH_CONFIG: () => 'fix the ssh_config entry named in the message (`ssh -G <host>` shows what ssh sees)',
  ERR_AUTH_FAILED: (w) => `check the user (${w.user}), the key (${w.identity}) and ~/.ssh/authorized_keys on the host, or load the key into ssh-agent`,
  ERR_CONNECT_TIMEOUT: (w) => `check the address, the port and firewalls between here and the host; a slow link may need a longer ${w.timeout}`,
  ERR_CONNECTION_REFUSED: (w) => `start sshd on the host, or check the port (${w.port})`,
  ERR_HOST_NOT_FOUND: () => 'check the host name, or add a HostName for it in ~/.ssh/config',
  ERR_HANDSHAKE_FAILED: (w) => `check the server's sshd_config algorithms (ssh-audit shows them), or adjust ${w.algorithms}`,
  ERR_CONNECTION_LOST: () => 'the connection dropped: check the network and the sshd logs on the host',
  ERR_REMOTE_DOCKER_MISSING: (w) => `install the docker CLI on the host and make sure it is on the PATH of non-interactive SSH sessions, or reach the socket with ${w.remoteSocket} and ${w.streamlocal}`,
  ERR_DAEMON_UNREACHABLE: () => 'start dockerd on the host (systemctl start docker) and add the user to the docker group',
  ERR_CHANNEL_REFUSED: (w) => `raise MaxSessions in the host's sshd_config, or allow stream-local forwarding (AllowStreamLocalForwarding) for ${w.remoteSocket}`,
  ERR_TRANSPORT_CLOSED: () => 'the connection was closed while in use; run the command again',
  ERR_REMOTE_NOT_HTTP: (w) =>
    `the remote account prints text where Docker's API should answer: make its login shell a real shell (not nologin), and keep ~/.bashrc, ~/.profile and banners silent for non-interactive sessions (ssh HOST true must print nothing); check the user (${w.user})`,
  ERR_REMOTE_TIMEOUT: (w) => `a remote command did not finish in time: run it with ssh by hand to see where it waits (a wrapper script, a prompt); a slow host may need a longer ${w.timeout}`,
  ERR_DAEMON_TIMEOUT: (w) => `the remote Docker daemon did not answer in time: check dockerd on the host (systemctl status docker, its logs); a slow host may need a longer ${w.timeout}`,
  // More codes go here (and in errors.ts), each with its fix for both audiences.

  // @ssh-docker/http
  ERR_HTTP_STATUS: () => 'the daemon refused the request: read its message (statusCode and daemonMessage) for the reason',
  ERR_HTTP_CONNECT: (w) => `no channel to the daemon could be opened: see the cause's code, or run ${w.check}`,
  ERR_HTTP_PROTOCOL: (w) => `the bytes from the remote side were not a valid HTTP answer: run ${w.check} to see what the remote account prints`,
  ERR_HTTP_UPGRADE: () => 'the daemon did not switch protocols for attach/exec: check the API version and any proxy in between',
  ERR_HTTP_ABORTED: () => 'the request was aborted by its signal; run it again if that was not meant',
  ERR_HTTP_TIMEOUT: (w) => `the remote daemon did not answer in time: run ${w.check}, or allow more time for slow calls`,
  ERR_HTTP_CLOSED: (w) => `the connection closed before the response was complete: run the request again, or ${w.check} if it keeps happening`,
  ERR_HTTP_UNSAFE_PATH: (w) => `choose ${w.localSocket} in a directory you own that others cannot write to`,
  ERR_HTTP_SOCKET_PATH: (w) => `choose ${w.localSocket} in an existing directory you own (mkdir -p -m 700 DIR), with nothing but a stale socket of yours at it`,
  ERR_HTTP_SOCKET_IN_USE: (w) => `another process serves on ${w.localSocket}: stop it (or use it), or choose another path`,

  // @ssh-docker/testkit (the demo's throwaway host)
  ERR_FIXTURE_MISSING_PACKAGE: () => 'install sshd, dockerd and the docker CLI: sudo bash packages/testkit/bin/install-system-deps.sh',
  ERR_FIXTURE_PRIVILEGE: () => 'run as root on Linux: the fixture creates users, a network namespace and its own sshd and dockerd',
  ERR_FIXTURE_START: () => 'read the log tail in the message (sshd or dockerd did not start); another fixture may hold the address block',
  ERR_FIXTURE_COMMAND: () => 'a system command of the fixture failed: the message names it and its output',
  ERR_FIXTURE_UNSUPPORTED: () => 'this fault needs network isolation (the netns fixture, as root on Linux)',
  ERR_FIXTURE_STOPPED: () => 'the fixture was already stopped: start a new one',

  // @ssh-docker/cli's own
  ERR_USAGE: (w) => `see ${w.reference} for the commands and options`,
  ERR_STDIN: () => 'pipe the secret in: ssh-docker check TARGET --password-stdin < password-file',
  ERR_INVALID_ARG: (w) => `see ${w.reference} for the values each option takes`,
  ERR_UNEXPECTED: () => 'this is a bug: please report it with the command and this output (no secret is in it)',
} as const satisfies Record<string, Fix>;

/** Every code with a fix. */
export type FixCode = keyof typeof FIX_TABLE;

/** The codes {@link fixFor} knows, in the table's order. */
export const FIX_CODES: readonly FixCode[] = Object.keys(FIX_TABLE) as FixCode[];

/**
 * What to try for `code`, phrased for `audience`; `undefined` for a code without a fix.
 *
 * @example
 * ```ts
 * import { fixFor } from '@ssh-docker/transport';
 *
 * fixFor('ERR_CHANNEL_REFUSED', 'library'); // "… allow stream-local forwarding … for `socketPath`"
 * fixFor('ERR_CHANNEL_REFUSED', 'cli');     // "… allow stream-local forwarding … for --remote-socket"
 * ```
 */
export function fixFor(code: string, audience: FixAudience): string | undefined {
  if (!Object.hasOwn(FIX_TABLE, code)) return undefined;
  const fix: Fix = FIX_TABLE[code as FixCode];
  return fix(WORDS[audience]);
}
