import type { DockerSshTransportOptions } from '@ssh-docker/transport';
import { parseSshUrl, Secret } from '@ssh-docker/url';
import type { ConnectArgs } from './args.js';

/** The secrets read from stdin, kept by the CLI (for redaction and reconnects) until it exits. */
export interface StdinSecrets {
  readonly password?: Secret;
  readonly passphrase?: Secret;
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
  if (/^ssh:\/\//i.test(args.target)) parseSshUrl(args.target, { allowPassword: false });
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
    ...(secrets.password === undefined ? {} : { password: provider(secrets.password) }),
    ...(secrets.passphrase === undefined ? {} : { passphrase: provider(secrets.passphrase) }),
    ...(args.remoteSocket === undefined ? {} : { socketPath: args.remoteSocket }),
    ...(args.streamlocal ? { socketVia: 'streamlocal' as const } : {}),
  };
}
