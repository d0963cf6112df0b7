import { dockerContextHost, fromDockerEnv } from '@ssh-docker/transport';
import type { CredentialContext, DockerSshTransportOptions } from '@ssh-docker/transport';
import { formatSshUrl, parseSshUrl, Secret } from '@ssh-docker/url';
import { timingSafeEqual } from 'node:crypto';
import type { ConnectArgs, ParsedConnectArgs } from './args.js';
import { UsageError } from './usage-error.js';

/** The secrets read from stdin, kept by the CLI (for redaction and reconnects) until it exits. */
export interface StdinSecrets {
  readonly password?: Secret;
  readonly passphrase?: Secret;
  /** With no --passphrase-stdin and stdin a terminal: asks on /dev/tty when an encrypted key is met. */
  readonly askPassphrase?: (context: CredentialContext) => Promise<Secret>;
}

/**
 * A provider that lends the transport a fresh copy of a secret at each connect: the transport
 * clears what it is given after the handshake, and `proxy` reconnects after a drop.
 */
function provider(vault: Secret): () => Promise<Secret> {
  return () => Promise.resolve(vault.use((bytes) => Secret.from(bytes)));
}

/**
 * The transport's options for a `check` or `proxy` command line.
 *
 * @throws UrlError `ERR_SSH_URL_PASSWORD` when the target URL holds a password: on the command line
 * it would be visible to every local user in the process list.
 */
export function transportOptions(
  args: ConnectArgs,
  secrets: StdinSecrets,
  env: Readonly<Record<string, string | undefined>>,
  homeDir: string,
): DockerSshTransportOptions {
  refuseSecretTarget(args, secrets);
  const { ssh } = args;
  return {
    url: args.target,
    env,
    homeDir,
    ...(ssh.configFile === undefined ? {} : { configFile: ssh.configFile }),
    ...(ssh.user === undefined ? {} : { user: ssh.user }),
    ...(ssh.port === undefined ? {} : { port: ssh.port }),
    ...(ssh.identityFiles.length === 0 ? {} : { identityFiles: ssh.identityFiles }),
    ...(ssh.agent === undefined ? {} : { agent: ssh.agent }),
    ...(ssh.hostKeyPolicy === undefined ? {} : { hostKeyPolicy: ssh.hostKeyPolicy }),
    ...(ssh.knownHostsFiles === undefined ? {} : { knownHostsFiles: ssh.knownHostsFiles }),
    ...(ssh.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: ssh.connectTimeoutMs }),
    ...(ssh.keepaliveIntervalMs === undefined ? {} : { keepaliveIntervalMs: ssh.keepaliveIntervalMs }),
    ...(ssh.keepaliveCountMax === undefined ? {} : { keepaliveCountMax: ssh.keepaliveCountMax }),
    ...(ssh.family === undefined ? {} : { family: ssh.family }),
    ...(ssh.proxyJump === undefined ? {} : { proxyJump: ssh.proxyJump }),
    // The config's User and ProxyJump users are known only to the transport: it refuses them too.
    refuseAsUser: [secrets.password, secrets.passphrase].filter((s): s is Secret => s !== undefined),
    ...(secrets.password === undefined ? {} : { password: provider(secrets.password) }),
    ...(secrets.passphrase !== undefined ? { passphrase: provider(secrets.passphrase) } : secrets.askPassphrase === undefined ? {} : { passphrase: secrets.askPassphrase }),
    ...(args.remoteSocket === undefined ? {} : { socketPath: args.remoteSocket }),
    ...(args.streamlocal ? { socketVia: 'streamlocal' as const } : {}),
  };
}

/**
 * Refuses a target whose user name (in an `ssh://` URL, a `user@host` target, `-l` or `-o User`) is
 * the secret read from stdin. Called before anything names the target (a note, `Checking …`).
 *
 * @throws UsageError when it is.
 */
export function refuseSecretTarget(args: ConnectArgs, secrets: StdinSecrets): void {
  const isUrl = /^ssh:\/\//i.test(args.target);
  const parsedUrl = isUrl ? parseSshUrl(args.target, { allowPassword: false }) : undefined;
  // `user@host`: ssh(1) takes the user from before the last '@'; the first is tried too (equality only).
  const at = isUrl || !args.target.includes('@') ? [] : [args.target.slice(0, args.target.lastIndexOf('@')), args.target.slice(0, args.target.indexOf('@'))];
  refuseSecretAsUser([parsedUrl?.user, ...at, args.ssh.user], secrets);
}

/**
 * A user name typed on the command line that is the password or passphrase read from stdin (pasted
 * into the wrong place) is refused before anything is sent: as the SSH user it would reach the
 * server's auth log, and every message about the target would print it. Equality only: a short
 * secret inside a real user name is a coincidence, and saying so would tell its letters.
 */
function refuseSecretAsUser(users: readonly (string | undefined)[], secrets: StdinSecrets): void {
  const given = [secrets.password, secrets.passphrase].filter((s): s is Secret => s !== undefined);
  for (const user of users) {
    if (user === undefined || user === '') continue;
    const bytes = Buffer.from(user, 'utf8');
    const same = given.some((secret) => secret.use((held) => held.length === bytes.length && timingSafeEqual(held, bytes)));
    bytes.fill(0);
    if (same) {
      throw new UsageError('the user name given (in the target or with -l / -o User) is the secret read from stdin, so nothing was sent: give the account name as user@host or with -l, and only the password or passphrase on stdin');
    }
  }
}

/** A target as the docker CLI would name it, and what to tell the user about it. */
export interface ResolvedTarget {
  readonly args: ConnectArgs;
  /** Lines for stderr: where the target came from, a path that is ignored. */
  readonly notes: readonly string[];
}

/** The docker CLI's rule for context names. */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

function pathNote(url: string, path: string): string {
  return `the path ${path} in the Docker host URL is ignored: docker system dial-stdio on the remote host finds the daemon's socket itself, and a path from a URL never reaches a remote shell; using ${url} (for another socket give --remote-socket PATH)`;
}

/**
 * The target of a `check` or `proxy` line: as typed; a Docker context's endpoint when `--context`
 * names one or the target is a context's name; else, with no target, what the docker CLI would use
 * (DOCKER_HOST, DOCKER_CONTEXT, `currentContext`). A path in an `ssh://` URL is dropped, with a note.
 *
 * @throws UrlError `ERR_SSH_URL_SCHEME` for a `unix://`, `tcp://`, `npipe://` or `http(s)://` host,
 * `ERR_SSH_URL_PASSWORD` for a password in the URL; TransportError `ERR_DOCKER_CONTEXT`.
 */
export function resolveTarget(parsed: ParsedConnectArgs, env: Readonly<Record<string, string | undefined>>, homeDir: string): ResolvedTarget {
  const { target: typed, context, ...rest } = parsed;
  const notes: string[] = [];
  let target: string;
  let path: string | undefined;
  if (typed === undefined || context !== undefined) {
    const found = fromDockerEnv({ env, homeDir, ...(context === undefined ? {} : { context }) });
    notes.push(found.context === undefined ? `using DOCKER_HOST: ${found.url}` : `using Docker context ${found.context} (from ${found.source}): ${found.url}`);
    target = found.url;
    path = found.ignoredSocketPath;
  } else if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(typed)) {
    // Any scheme: parseSshUrl refuses all but ssh:// with ERR_SSH_URL_SCHEME, instead of an alias lookup.
    const url = parseSshUrl(typed, { allowPassword: false });
    path = url.ignoredSocketPath;
    target = path === undefined ? typed : formatSshUrl({ host: url.host, ...(url.port === undefined ? {} : { port: url.port }), ...(url.user === undefined ? {} : { user: url.user }) });
  } else {
    const host = CONTEXT_NAME.test(typed) ? dockerContextHost(typed, { env, homeDir }) : undefined;
    if (host === undefined) {
      target = typed;
    } else {
      const found = fromDockerEnv({ env, homeDir, context: typed });
      notes.push(`using Docker context ${typed}: ${found.url} (write ssh://${typed} for the ssh_config Host of that name)`);
      target = found.url;
      path = found.ignoredSocketPath;
    }
  }
  if (path !== undefined) notes.push(pathNote(target, path));
  return { args: { ...rest, target }, notes };
}
