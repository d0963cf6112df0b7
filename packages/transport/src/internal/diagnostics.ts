import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

const debug = debuglog('ssh-docker:transport');

/**
 * The diagnostics channels of the transport: `ssh-docker:transport:connect`, `:stream`, `:error`,
 * `:config` (ssh_config settings resolved but not honoured), `:route` (which path streams take
 * to the daemon, and why) and `:warning` (a failure ssh(1) also only warns about).
 * Messages are flat records of safe values — connection id, host, port, user, phase, timing,
 * fingerprint, error code — never an options object, a URL, a header or a credential.
 */
export type DiagnosticsMessage = Readonly<Record<string, string | number | boolean>>;

const channels = {
  connect: channel('ssh-docker:transport:connect'),
  stream: channel('ssh-docker:transport:stream'),
  error: channel('ssh-docker:transport:error'),
  /** A setting of ssh_config that resolved but is not honoured: { host, keyword, file, line, message }, once each. */
  config: channel('ssh-docker:transport:config'),
  route: channel('ssh-docker:transport:route'),
  /**
   * Something went wrong that ssh(1) also only warns about, and the connection goes on:
   * { code, host, port, message, file? }. Codes: `WARN_KNOWN_HOSTS_NOT_RECORDED` (accept-new could not
   * write the accepted key to known_hosts; ssh prints "Failed to add the host to the list of known hosts").
   */
  warning: channel('ssh-docker:transport:warning'),
} as const;

export function publish(name: keyof typeof channels, message: DiagnosticsMessage): void {
  const target = channels[name];
  if (target.hasSubscribers) target.publish(message);
  debug('%s %j', name, message);
}
