import { Agent, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ResolvedSshTarget } from '../config/index.js';
import type { TransportError, TransportErrorCode, TransportErrorTarget } from '../errors.js';
import { fixFor } from '../fixes.js';
import { printable } from '../printable.js';
import { SshConnection } from './connection.js';
import type { ConnectionSettings } from './connection.js';
import type { Secret } from '@ssh-docker/url';
import { cutToLines, dialStdioFailure, quoteRemote, safeCause, transportError, where } from './failures.js';

/** The steps of `check()`, in order. */
export type CheckStepName = 'resolve' | 'tcp' | 'host key' | 'auth' | 'docker CLI' | 'daemon ping' | 'API version' | 'round trip';

/** One line of the diagnosis. Safe to print: no credential is ever in it, and remote text in it is made printable. */
export interface CheckStep {
  readonly name: CheckStepName;
  readonly status: 'ok' | 'failed' | 'skipped';
  /** Time the step took, in milliseconds. */
  readonly ms: number;
  /** What was found (`user@host:port`, a fingerprint, a version), or the error message. */
  readonly detail: string;
  /** The error code when the step failed: always one of the documented codes. */
  readonly code?: string;
  /** What to try when the step failed, phrased for a program (library option names). */
  readonly fix?: string;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly steps: readonly CheckStep[];
}

/**
 * Options of `check()`.
 *
 * @example
 * ```ts
 * const report = await transport.check({ stepTimeoutMs: 5000, onStep: (step) => console.log(step.name, step.status) });
 * ```
 */
export interface CheckOptions {
  /**
   * The deadline of each remote step (`docker --version`, opening the channel, `/_ping`,
   * `/version`, each round-trip ping). Default: the connect timeout (`connectTimeoutMs`,
   * ConnectTimeout, else 10,000 ms). TCP and the handshake keep their own connect timeout.
   */
  readonly stepTimeoutMs?: number;
  /** Called as a step begins, so a slow one can be shown as running. */
  readonly onStepStart?: (name: CheckStepName) => void;
  /** Called with each step as soon as it is known (the skipped ones too), in order. */
  readonly onStep?: (step: CheckStep) => void;
}

const CHECK_STEPS: readonly CheckStepName[] = ['resolve', 'tcp', 'host key', 'auth', 'docker CLI', 'daemon ping', 'API version', 'round trip'];

/** Local file errors, met while recording a host key (accept-new) or reading keys. */
const FILE_ERRNOS = new Set(['EINVAL', 'ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EISDIR', 'ENOTDIR', 'EEXIST', 'EBUSY']);
/** How much of the first bytes of a channel is kept to quote what came instead of HTTP. */
const PEEK_BYTES = 512;

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
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

/** `work`, or `onTimeout()`'s error when it has not settled after `ms`. The timer never outlives the race. */
function within<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(onTimeout());
    }, ms);
  });
  return Promise.race([work, expired]).finally(() => {
    clearTimeout(timer);
  });
}

/** The tcp step's detail: the address, or the ProxyCommand that stands for TCP. */
function connectedTo(settings: ConnectionSettings): string {
  return settings.proxyCommand === undefined ? `connected to ${where(settings.target)}` : `ProxyCommand started for ${where(settings.target)}`;
}

/** The ssh command a person can run to see what the remote account does with `command`. */
function sshCommand(target: TransportErrorTarget, command: string): string {
  const port = target.port === undefined || target.port === 22 ? '' : `-p ${target.port} `;
  const user = target.user === undefined ? '' : `${target.user}@`;
  return `ssh ${port}${user}${target.host} ${command}`;
}

/** Non-HTTP bytes where the daemon's answer should be: the remote account printed something. */
function notHttp(target: TransportErrorTarget & { user: string }, what: string, text: string, secrets: readonly Secret[], cause?: unknown): TransportError {
  const quoted = quoteRemote(text, secrets);
  return transportError(
    'ERR_REMOTE_NOT_HTTP',
    `${what} on ${where(target)} ${quoted === '' ? 'was not an HTTP answer' : `began with "${quoted}", not an HTTP answer`}: the account ${target.user} prints text of its own — likely its login shell (nologin, a menu), a banner, or an rc file (~/.bashrc, ~/.profile) that prints in non-interactive sessions. \`${sshCommand(target, 'true')}\` must print nothing.`,
    target,
    cause,
    secrets,
  );
}

/** The first bytes of the check's channel: whether any came, and their text (whole lines only, once cut). */
interface Peek {
  any(): boolean;
  text(): string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One GET on the check's channel, within `ms`. Every way it can fail ends as one of our codes:
 * the deadline (`ERR_DAEMON_TIMEOUT`), bytes that are not HTTP (`ERR_REMOTE_NOT_HTTP`, quoting the
 * first line), an unasked-for 101, a channel that ends without an answer.
 */
function get(agent: Agent, path: string, ms: number, settings: ConnectionSettings, peek: Peek, secrets: readonly Secret[]): Promise<Answer> {
  const { target } = settings;
  let req: ReturnType<typeof request> | undefined;
  const work = new Promise<Answer>((resolve, reject) => {
    req = request({ agent, path, host: 'docker', headers: { Host: 'docker' } }, (res) => {
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
    // Docker answers a plain GET with 101 never; Node would wait on such an answer forever.
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      reject(transportError('ERR_DAEMON_UNREACHABLE', `${path} on ${where(target)} was answered with HTTP ${res.statusCode ?? 101} Switching Protocols, which the Docker daemon never sends to a plain GET: something else answers on the remote Docker socket`, target));
    });
    req.on('error', reject);
    req.end();
  });
  return within(work, ms, () => {
    req?.destroy();
    return transportError(
      'ERR_DAEMON_TIMEOUT',
      `the Docker daemon on ${where(target)} did not answer GET ${path} within ${ms} ms${peek.any() ? ' (its answer stopped half-way)' : ''}: check dockerd there (systemctl status docker)`,
      target,
    );
  }).catch((err: unknown) => {
    throw channelFailure(err, path, settings, peek.text(), secrets);
  });
}

/** Maps what Node's http client throws on the check's channel to our codes. */
function channelFailure(err: unknown, path: string, settings: ConnectionSettings, peeked: string, secrets: readonly Secret[]): unknown {
  const code = codeOf(err);
  const target = settings.target;
  if (code?.startsWith('ERR_') === true && !code.startsWith('ERR_HTTP') && !code.startsWith('ERR_STREAM')) return err;
  // llhttp's errors (HPE_INVALID_CONSTANT, HPE_STRICT, HPE_INVALID_HEADER_TOKEN, …): the bytes were not HTTP.
  if (code?.startsWith('HPE_') === true) {
    return notHttp(target, `the answer to GET ${path}`, peeked, secrets, err);
  }
  // ECONNRESET ("socket hang up"), EPIPE, a premature close: the channel ended without an answer.
  return transportError(
    'ERR_DAEMON_UNREACHABLE',
    `the channel to the Docker daemon on ${where(target)} ended without an answer to GET ${path}: run \`${sshCommand(target, settings.streamLocalPath === undefined ? 'docker system dial-stdio' : 'true')}\` to see why`,
    target,
    err,
    secrets,
  );
}

/**
 * Any failure a step meets, as one of our documented codes: ours pass as they are; a local file
 * error (recording an accepted host key in an unwritable known_hosts) becomes ERR_SSH_CONFIG; any
 * other raw Node code becomes ERR_CONNECTION_LOST with the raw code named in the message.
 */
function documented(err: unknown, settings: ConnectionSettings | undefined): unknown {
  const code = codeOf(err);
  if (code !== undefined && /^ERR_[A-Z0-9_]+$/.test(code) && fixFor(code, 'library') !== undefined) return err;
  const target = settings?.target ?? { host: 'the host' };
  if (code !== undefined && FILE_ERRNOS.has(code)) {
    return transportError(
      'ERR_SSH_CONFIG',
      `a local file needed to connect to ${where(target)} could not be used (${code}): check that IdentityFile, UserKnownHostsFile and the other files ssh_config names exist and are readable`,
      target,
      err,
    );
  }
  return transportError('ERR_CONNECTION_LOST', `the connection to ${where(target)} failed (${code ?? 'no code'}): check the network and the sshd logs on the host`, target, err);
}

/**
 * The diagnosis behind `ssh-docker check`: each step on a connection of its own (not the pool),
 * timed, each remote step within a deadline, stopping at the first failure; later steps are
 * reported as skipped. A connection that passed is offered to the pool afterwards.
 */
export async function runCheck(context: CheckContext, options: CheckOptions = {}): Promise<CheckReport> {
  const steps: CheckStep[] = [];
  let failed = false;
  const push = (step: CheckStep): void => {
    steps.push(step);
    options.onStep?.(step);
  };
  const begin = (name: CheckStepName): void => {
    options.onStepStart?.(name);
  };
  const ok = (name: CheckStepName, ms: number, detail: string): void => {
    push({ name, status: 'ok', ms, detail });
  };
  const fail = (name: CheckStepName, ms: number, error: unknown, settings?: ConnectionSettings): void => {
    const err = documented(error, settings);
    const code = codeOf(err) as TransportErrorCode;
    const message = safeCause(err)?.message ?? 'failed';
    const fix = fixFor(code, 'library');
    push({ name, status: 'failed', ms, detail: printable(message, { keepNewlines: true }), code, ...(fix === undefined ? {} : { fix }) });
    failed = true;
  };
  const finish = (): CheckReport => {
    for (const name of CHECK_STEPS.slice(steps.length)) push({ name, status: 'skipped', ms: 0, detail: 'not run: an earlier step failed' });
    return { ok: !failed, steps };
  };

  let started = Date.now();
  let settings: ConnectionSettings;
  begin('resolve');
  try {
    const resolved = await context.resolve();
    settings = await context.settings();
    ok('resolve', Date.now() - started, `${resolved.user}@${where({ host: resolved.hostname, port: resolved.port })}${resolved.proxyjump === undefined ? '' : ` via ${resolved.proxyjump}`}${settings.proxyCommand === undefined ? '' : ' through its ProxyCommand'}`);
  } catch (err) {
    fail('resolve', Date.now() - started, err);
    return finish();
  }
  const stepMs = options.stepTimeoutMs ?? settings.connectTimeoutMs;
  const { target } = settings;

  begin('tcp');
  const connection = new SshConnection(settings, { onEnd: () => undefined, onRelease: () => undefined });
  try {
    await connection.connect();
  } catch (e) {
    // A connect that failed after the handshake (recording an accepted key) may hold a live client.
    connection.close();
    const err = documented(e, settings);
    const { tcpMs, hostKeyMs } = connection.report;
    const code = codeOf(err) ?? '';
    const raw = codeOf(e) ?? '';
    // A ProxyCommand that ended by itself failed where TCP would have: the path to the server.
    if ((tcpMs === 0 || code === 'ERR_PROXY_COMMAND') && !code.startsWith('ERR_HOST_KEY') && code !== 'ERR_AUTH_FAILED' && code !== 'ERR_HANDSHAKE_FAILED') {
      fail('tcp', Date.now() - started, err, settings);
    } else {
      ok('tcp', tcpMs, connectedTo(settings));
      if (code.startsWith('ERR_HOST_KEY') || code === 'ERR_HANDSHAKE_FAILED' || FILE_ERRNOS.has(raw) || (hostKeyMs === 0 && code !== 'ERR_AUTH_FAILED')) {
        fail('host key', Date.now() - started - tcpMs, err, settings);
      } else {
        ok('host key', hostKeyMs, 'verified');
        fail('auth', Date.now() - started - tcpMs - hostKeyMs, err, settings);
      }
    }
    return finish();
  }
  const report = connection.report;
  ok('tcp', report.tcpMs, connectedTo(settings));
  ok('host key', report.hostKeyMs, report.hostKey === undefined ? 'verified' : `${report.hostKey.keyType} ${report.hostKey.fingerprint} (${report.hostKey.outcome})`);
  ok('auth', report.authMs, `${target.user} by ${report.authMethod ?? 'none'}`);
  // What the server sends from here on is scrubbed of the credentials it was given (cleared by now).
  const secrets = connection.secrets;

  let agent: Agent | undefined;
  let step: CheckStepName = 'docker CLI';
  try {
    started = Date.now();
    begin(step);
    if (settings.streamLocalPath !== undefined) {
      push({ name: step, status: 'skipped', ms: 0, detail: `not needed: streamlocal to ${settings.streamLocalPath}` });
    } else {
      const result = await within(connection.exec('docker --version'), stepMs, () =>
        transportError(
          'ERR_REMOTE_TIMEOUT',
          `\`docker --version\` on ${where(target)} did not finish within ${stepMs} ms: a docker wrapper or a login shell there waits for something. Run \`${sshCommand(target, 'docker --version')}\` to see it`,
          target,
        ),
      );
      const lines = result.stdout.split(/\r?\n/).filter((line) => line.trim() !== '');
      // docker (and podman's docker) prints one line; anything before it, or output with a failure
      // that is not "not found", is the account's own text: it would corrupt dial-stdio's stream too.
      if (lines.length > 1 || (result.code !== 0 && result.code !== 127 && lines.length > 0)) {
        throw notHttp(target, 'the output of `docker --version`', result.stdout, secrets);
      }
      if (result.code !== 0) throw dialStdioFailure(result.code, null, result.stderr, target, secrets);
      ok(step, Date.now() - started, quoteRemote(result.stdout, secrets));
    }

    step = 'daemon ping';
    started = Date.now();
    begin(step);
    // An open channel counts as a slot by itself, so the count is right if the pool adopts the connection.
    const stream = await within(connection.openChannel(), stepMs, () => {
      connection.close();
      return transportError('ERR_REMOTE_TIMEOUT', `SSH server ${where(target)} did not open a channel within ${stepMs} ms: check its load and the sshd logs`, target);
    });
    // The first bytes of the channel, to quote them when they are not HTTP.
    let peeked = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      if (peeked.length < PEEK_BYTES) peeked = Buffer.concat([peeked, chunk.subarray(0, PEEK_BYTES - peeked.length)]);
    });
    // Cut at PEEK_BYTES: the line the cut went through is dropped (see RemoteBytes).
    const peek: Peek = { any: () => peeked.length > 0, text: () => cutToLines(peeked.toString('utf8'), peeked.length >= PEEK_BYTES) };
    agent = agentFor(stream);
    const ping = await get(agent, '/_ping', stepMs, settings, peek, secrets);
    if (ping.status !== 200) {
      throw transportError('ERR_DAEMON_UNREACHABLE', `the daemon on ${where(target)} answered /_ping with HTTP ${ping.status}: ${quoteRemote(ping.body, secrets, 200)}`, target);
    }
    ok(step, Date.now() - started, `HTTP 200 ${quoteRemote(ping.body, secrets, 40)}`);

    step = 'API version';
    started = Date.now();
    begin(step);
    const apiVersion = ping.headers['api-version'];
    const version = await get(agent, '/version', stepMs, settings, peek, secrets);
    let server: string;
    try {
      const parsed = JSON.parse(version.body) as { Version?: unknown; Os?: unknown; Arch?: unknown };
      server = `Docker ${quoteRemote(String(parsed.Version), secrets, 40)} (${quoteRemote(String(parsed.Os), secrets, 20)}/${quoteRemote(String(parsed.Arch), secrets, 20)})`;
    } catch {
      server = `HTTP ${version.status}`;
    }
    ok(step, Date.now() - started, `API ${typeof apiVersion === 'string' ? quoteRemote(apiVersion, secrets, 20) : 'unknown'}, ${server}`);

    step = 'round trip';
    begin(step);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = process.hrtime.bigint();
      await get(agent, '/_ping', stepMs, settings, peek, secrets);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const median = times[2] ?? 0;
    ok(step, median, `median of 5 pings on a warm channel: ${median.toFixed(2)} ms`);
    return finish();
  } catch (err) {
    fail(step, Date.now() - started, err, settings);
    return finish();
  } finally {
    agent?.destroy();
    // A connection that passed every step serves the requests that follow, if the pool has none.
    if (failed || context.adopt?.(connection) !== true) connection.close();
  }
}
