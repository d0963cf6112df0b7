import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedSshTarget } from '../config/index.js';
import type { TransportErrorTarget } from '../errors.js';
import { SshConnection } from './connection.js';
import type { ConnectionSettings } from './connection.js';
import { dialStdioFailure, safeCause, where } from './failures.js';

/** The steps of `check()`, in order. */
export type CheckStepName = 'resolve' | 'tcp' | 'host key' | 'auth' | 'docker CLI' | 'daemon ping' | 'API version' | 'round trip';

/** One line of the diagnosis. Safe to print: no credential is ever in it. */
export interface CheckStep {
  readonly name: CheckStepName;
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Time the step took, in milliseconds. */
  readonly ms: number;
  /** What was found (`user@host:port`, a fingerprint, a version), or the error message. */
  readonly detail: string;
  /** The error code when the step failed. */
  readonly code?: string;
  /** What to try when the step failed. */
  readonly fix?: string;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly steps: readonly CheckStep[];
}

const FIXES: Record<string, string> = {
  ERR_SSH_CONFIG: 'fix the ssh_config entry named in the message (`ssh -G <host>` shows what ssh sees)',
  ERR_SSH_URL_SCHEME: 'write the host as ssh://[user@]host[:port]',
  ERR_CONNECTION_REFUSED: 'start sshd on the host, or check the port (-p)',
  ERR_HOST_NOT_FOUND: 'check the host name, or add a HostName for it in ~/.ssh/config',
  ERR_CONNECT_TIMEOUT: 'check the address, the port and firewalls between here and the host',
  ERR_HANDSHAKE_FAILED: "check the server's sshd_config algorithms (ssh-audit shows them)",
  ERR_HOST_KEY_UNKNOWN: 'verify the fingerprint with the host owner, then add it: ssh-keyscan -H -p PORT HOST >> ~/.ssh/known_hosts, or -o StrictHostKeyChecking=accept-new once',
  ERR_HOST_KEY_CHANGED: 'find out why the key changed; if expected, remove the old entry with ssh-keygen -R and add the new one',
  ERR_HOST_KEY_REVOKED: 'the host key is revoked in known_hosts: do not connect; ask the host owner',
  ERR_AUTH_FAILED: 'check the user (-l or user@), the key (-i) and ~/.ssh/authorized_keys on the host, or load the key into ssh-agent',
  ERR_REMOTE_DOCKER_MISSING: 'install the docker CLI on the host and make sure it is on the PATH of non-interactive SSH sessions',
  ERR_DAEMON_UNREACHABLE: 'start dockerd on the host (systemctl start docker) and add the user to the docker group',
  ERR_CHANNEL_REFUSED: 'raise MaxSessions in the host sshd_config, or allow stream-local forwarding for socketPath',
  ERR_CONNECTION_LOST: 'the connection dropped: check the network and the sshd logs on the host',
};

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'ERR_UNKNOWN';
}

interface CheckContext {
  readonly resolve: () => Promise<ResolvedSshTarget>;
  readonly settings: () => Promise<ConnectionSettings>;
  readonly target: () => TransportErrorTarget;
  /** Offered the connection after a check that passed; true when it was taken (and must stay open). */
  readonly adopt?: (connection: SshConnection) => boolean;
}

/** A keep-alive agent whose one socket is `stream`: the ping and version requests share the channel. */
function agentFor(stream: Duplex): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  Object.assign(agent, { createConnection: () => stream });
  return agent;
}

function get(agent: Agent, path: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, path, host: 'docker', headers: { Host: 'docker' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The diagnosis behind `ssh-docker check`: each step on a connection of its own (not the pool),
 * timed, stopping at the first failure; later steps are reported as skipped. A connection that
 * passed is offered to the pool afterwards.
 */
export async function runCheck(context: CheckContext): Promise<CheckReport> {
  const steps: CheckStep[] = [];
  const order: CheckStepName[] = ['resolve', 'tcp', 'host key', 'auth', 'docker CLI', 'daemon ping', 'API version', 'round trip'];
  let failed = false;
  const ok = (name: CheckStepName, ms: number, detail: string): void => {
    steps.push({ name, status: 'ok', ms, detail });
  };
  const fail = (name: CheckStepName, ms: number, err: unknown): void => {
    const code = codeOf(err);
    const message = safeCause(err)?.message ?? 'failed';
    steps.push({ name, status: 'failed', ms, detail: message, code, ...(FIXES[code] === undefined ? {} : { fix: FIXES[code] }) });
    failed = true;
  };
  const finish = (): CheckReport => {
    for (const name of order.slice(steps.length)) steps.push({ name, status: 'skipped', ms: 0, detail: 'not run: an earlier step failed' });
    return { ok: !failed, steps };
  };

  let started = Date.now();
  let settings: ConnectionSettings;
  try {
    const resolved = await context.resolve();
    settings = await context.settings();
    ok('resolve', Date.now() - started, `${resolved.user}@${where({ host: resolved.hostname, port: resolved.port })}${resolved.proxyjump === undefined ? '' : ` via ${resolved.proxyjump}`}`);
  } catch (err) {
    fail('resolve', Date.now() - started, err);
    return finish();
  }

  const connection = new SshConnection(settings, { onEnd: () => undefined, onRelease: () => undefined });
  try {
    await connection.connect();
  } catch (err) {
    const { tcpMs, hostKeyMs } = connection.report;
    const code = codeOf(err);
    if (tcpMs === 0 && !code.startsWith('ERR_HOST_KEY') && code !== 'ERR_AUTH_FAILED' && code !== 'ERR_HANDSHAKE_FAILED') {
      fail('tcp', Date.now() - started, err);
    } else {
      ok('tcp', tcpMs, `connected to ${where(settings.target)}`);
      if (code.startsWith('ERR_HOST_KEY') || code === 'ERR_HANDSHAKE_FAILED' || hostKeyMs === 0 && code !== 'ERR_AUTH_FAILED') fail('host key', Date.now() - started - tcpMs, err);
      else {
        ok('host key', hostKeyMs, 'verified');
        fail('auth', Date.now() - started - tcpMs - hostKeyMs, err);
      }
    }
    return finish();
  }
  const report = connection.report;
  ok('tcp', report.tcpMs, `connected to ${where(settings.target)}`);
  ok('host key', report.hostKeyMs, report.hostKey === undefined ? 'verified' : `${report.hostKey.keyType} ${report.hostKey.fingerprint} (${report.hostKey.outcome})`);
  ok('auth', report.authMs, `${settings.target.user} by ${report.authMethod ?? 'none'}`);

  let agent: Agent | undefined;
  try {
    started = Date.now();
    if (settings.streamLocalPath !== undefined) {
      steps.push({ name: 'docker CLI', status: 'skipped', ms: 0, detail: `not needed: streamlocal to ${settings.streamLocalPath}` });
    } else {
      const result = await connection.exec('docker --version');
      if (result.code !== 0) {
        fail('docker CLI', Date.now() - started, dialStdioFailure(result.code, null, result.stderr, settings.target));
        return finish();
      }
      ok('docker CLI', Date.now() - started, result.stdout.trim());
    }

    started = Date.now();
    let ping: Awaited<ReturnType<typeof get>>;
    try {
      // An open channel counts as a slot by itself, so the count is right if the pool adopts the connection.
      agent = agentFor(await connection.openChannel());
      ping = await get(agent, '/_ping');
      if (ping.status !== 200) throw Object.assign(new Error(`the daemon answered /_ping with HTTP ${ping.status}`), { code: 'ERR_DAEMON_UNREACHABLE' });
    } catch (err) {
      fail('daemon ping', Date.now() - started, err);
      return finish();
    }
    ok('daemon ping', Date.now() - started, `HTTP 200 ${ping.body.trim()}`);

    started = Date.now();
    const apiVersion = ping.headers['api-version'];
    const version = await get(agent, '/version');
    let server = '';
    try {
      const parsed = JSON.parse(version.body) as { Version?: unknown; ApiVersion?: unknown; Os?: unknown; Arch?: unknown };
      server = `Docker ${String(parsed.Version)} (${String(parsed.Os)}/${String(parsed.Arch)})`;
    } catch {
      server = `HTTP ${version.status}`;
    }
    ok('API version', Date.now() - started, `API ${typeof apiVersion === 'string' ? apiVersion : 'unknown'}, ${server}`);

    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      await get(agent, '/_ping');
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[2] ?? 0;
    ok('round trip', median, `median of 5 pings on a warm channel: ${median.toFixed(2)} ms`);
    return finish();
  } catch (err) {
    const next = order[steps.length] ?? 'round trip';
    fail(next, Date.now() - started, err);
    return finish();
  } finally {
    agent?.destroy();
    // A connection that passed every step serves the requests that follow, if the pool has none.
    if (failed || context.adopt?.(connection) !== true) connection.close();
  }
}
