import { request } from 'node:http';
import type { TransportErrorTarget } from '../errors.js';
import { ChannelRefused } from './connection.js';
import type { ChannelChoice } from './connection.js';
import { publish } from './diagnostics.js';
import { transportError, where } from './failures.js';
import type { DockerStream } from './stream.js';

/** How streams reach the remote daemon: see `DockerSshTransportOptions.socketVia`. */
export type SocketVia = 'auto' | 'dial-stdio' | 'streamlocal';

/**
 * Asks the remote docker CLI which daemon it would dial: the endpoint of its current context, which
 * honours the remote user's DOCKER_HOST, DOCKER_CONTEXT and `docker context use`, as
 * `docker system dial-stdio` does. A constant from this file: nothing from any input or from the
 * remote side is ever part of it.
 */
export const ENDPOINT_COMMAND = "docker context inspect --format '{{.Endpoints.docker.Host}}'";

/** Only these characters may reach a remote shell or an SSH request as a socket path (docker/cli validates alike). */
const SOCKET_PATH = /^\/[A-Za-z0-9._/-]{1,4095}$/;

/** An absolute path of `A-Za-z0-9._/-`, at most 4,096 characters, without `..`: for `socketPath` and a discovered socket alike. */
export function isSafeSocketPath(path: string): boolean {
  return SOCKET_PATH.test(path) && !path.split('/').includes('..');
}

/** Discovery (three short channels) gives up after this long; the requests meanwhile go by dial-stdio. */
const DISCOVERY_TIMEOUT_MS = 10_000;
/** After a discovery that could not decide (connection lost, daemon down), the next one waits this long… */
const RETRY_AFTER_MS = 2_000;
/** …and after this many undecided attempts, the transport stays on dial-stdio. */
const MAX_ATTEMPTS = 5;
/** The most read of the endpoint command's output and of an `/info` answer. */
const MAX_ENDPOINT_BYTES = 4096;
const MAX_INFO_BYTES = 1024 * 1024;

/** Which path a transport's streams take now, and why. Safe to log: no credential, no remote free text. */
export interface SocketRoute {
  readonly via: 'dial-stdio' | 'streamlocal';
  /** The socket a direct-streamlocal channel is opened to. */
  readonly path?: string;
  readonly reason: string;
  /** False while `auto` has not decided yet (streams go by dial-stdio meanwhile). */
  readonly settled: boolean;
}

/** Opens a channel; `probe` marks the router's own discovery channels, which `stats().streamsOpened` does not count. */
type Open = (choice?: ChannelChoice, probe?: boolean) => Promise<DockerStream>;

interface Decision {
  readonly route: SocketRoute;
  /** Undecided: try again later (a lost connection, a daemon down). */
  readonly retry?: boolean;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof ChannelRefused ? 'channel refused' : 'failed';
}

/**
 * Chooses the channel of each stream of one transport (one host). With `auto`, the first stream goes
 * by `docker system dial-stdio` at once, and beside it the transport learns which daemon dial-stdio
 * reaches; when that is a unix socket that a direct-streamlocal channel reaches too, and the daemon
 * answers `/info` with the same ID over both paths, later streams are direct-streamlocal channels (no
 * remote process, one copy less). Anything else keeps dial-stdio, and the reason goes to the
 * `ssh-docker:transport:route` diagnostics channel.
 */
export class SocketRouter {
  readonly #via: SocketVia;
  readonly #socketPath: string | undefined;
  readonly #open: Open;
  readonly #target: () => TransportErrorTarget;
  #route: SocketRoute;
  #discovering: Promise<void> | undefined;
  #attempts = 0;
  #retryAt = 0;
  /** Whether a direct-streamlocal channel opened on this transport: a later refusal then means the socket, not sshd_config. */
  #streamLocalWorked = false;
  /** Counts discoveries: a probe that opens after its discovery ended (timed out) is closed at once. */
  #generation = 0;
  /** Streams discovery has open, ended when the transport closes. */
  readonly #probes = new Set<DockerStream>();

  constructor(options: { via: SocketVia; socketPath?: string; open: Open; target: () => TransportErrorTarget }) {
    this.#via = options.via;
    this.#socketPath = options.socketPath;
    this.#open = options.open;
    this.#target = options.target;
    this.#route =
      options.via === 'streamlocal' && options.socketPath !== undefined
        ? { via: 'streamlocal', path: options.socketPath, reason: "socketVia 'streamlocal'", settled: true }
        : options.via === 'dial-stdio'
          ? { via: 'dial-stdio', reason: "socketVia 'dial-stdio'", settled: true }
          : { via: 'dial-stdio', reason: 'auto: not decided yet', settled: false };
  }

  get route(): SocketRoute {
    return this.#route;
  }

  /**
   * A stream by the route in use; with `auto`, the first call starts discovery beside it. A stream
   * that failed before its caller could listen (the server sent the open, the exit and the close in
   * one read, as a dial-stdio that fails at once does) is not handed out: its error rejects the open,
   * rather than being emitted to nobody and leaving a dead socket with an HTTP client.
   */
  async openStream(): Promise<DockerStream> {
    const stream = await this.#pick();
    if (!stream.destroyed) return stream;
    const target = this.#target();
    throw stream.errored ?? transportError('ERR_CONNECTION_LOST', `SSH channel to ${where(target)} closed as it opened; the request can be retried`, target);
  }

  async #pick(): Promise<DockerStream> {
    if (this.#via === 'streamlocal') return this.#openStreamLocal();
    if (this.#via === 'dial-stdio') return this.#open();
    const route = this.#route;
    if (route.via === 'streamlocal' && route.path !== undefined) {
      try {
        return await this.#open({ streamLocalPath: route.path });
      } catch (err) {
        if (!(err instanceof ChannelRefused)) throw err;
        // The socket stopped accepting (dockerd stopped, or moved): this request goes by dial-stdio,
        // whose answer or error (ERR_DAEMON_UNREACHABLE) says what is wrong, and the endpoint is learned again.
        this.#decide({
          route: { via: 'dial-stdio', reason: `auto: direct-streamlocal to ${route.path} was refused after it had worked (dockerd stopped or moved?); learning the endpoint again`, settled: false },
          retry: true,
        });
        this.#attempts = 0;
        this.#retryAt = 0;
      }
    }
    this.#startDiscovery(false);
    return this.#open();
  }

  /**
   * The route once discovery has decided, running it now if it has not run (for `check()`). An
   * undecided outcome is returned as it is.
   */
  async settle(): Promise<SocketRoute> {
    if (this.#via !== 'auto') return this.#route;
    this.#startDiscovery(true);
    await this.#discovering;
    return this.#route;
  }

  /** Ends the streams of a discovery in progress (the transport is closing). */
  abort(): void {
    for (const probe of this.#probes) probe.destroy();
  }

  async #openStreamLocal(): Promise<DockerStream> {
    try {
      const stream = await this.#open();
      this.#streamLocalWorked = true;
      return stream;
    } catch (err) {
      if (!(err instanceof ChannelRefused)) throw err;
      const target = this.#target();
      const path = this.#socketPath ?? '';
      // OpenSSH answers every refused direct-streamlocal alike ("open failed"): forwarding forbidden,
      // no socket there, or no permission. After one worked, sshd_config is not the reason.
      throw this.#streamLocalWorked
        ? transportError('ERR_DAEMON_UNREACHABLE', `the Docker socket ${path} on ${where(target)} no longer accepts connections: start dockerd there, or check that user ${target.user ?? '(default)'} may open the socket`, target)
        : transportError('ERR_CHANNEL_REFUSED', `SSH server ${where(target)} refused a direct-streamlocal channel to ${path}: check that dockerd listens there, that user ${target.user ?? '(default)'} may open it, and AllowStreamLocalForwarding (or DisableForwarding) in its sshd_config`, target);
    }
  }

  #startDiscovery(now: boolean): void {
    if (this.#discovering !== undefined || this.#route.settled) return;
    if (!now && (Date.now() < this.#retryAt || this.#attempts >= MAX_ATTEMPTS)) return;
    this.#attempts += 1;
    this.#discovering = this.#discover().finally(() => {
      this.#discovering = undefined;
    });
  }

  async #discover(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<Decision>((resolve) => {
      timer = setTimeout(() => {
        this.abort();
        resolve({ route: { via: 'dial-stdio', reason: `auto: discovery took over ${DISCOVERY_TIMEOUT_MS} ms`, settled: false }, retry: true });
      }, DISCOVERY_TIMEOUT_MS);
      // Like an idle socket's timer, it never keeps the process alive by itself.
      timer.unref();
    });
    const generation = ++this.#generation;
    const learned = this.#learn(generation).catch(
      (err: unknown): Decision => ({ route: { via: 'dial-stdio', reason: `auto: discovery failed (${codeOf(err)})`, settled: false }, retry: true }),
    );
    const decision = await Promise.race([learned, expired]);
    clearTimeout(timer);
    this.#generation += 1;
    this.abort();
    this.#decide(decision);
  }

  #decide(decision: Decision): void {
    let route = decision.route;
    if (decision.retry === true) {
      this.#retryAt = Date.now() + RETRY_AFTER_MS;
      if (this.#attempts >= MAX_ATTEMPTS) route = { ...route, reason: `${route.reason}; gave up after ${MAX_ATTEMPTS} attempts`, settled: true };
    }
    this.#route = route;
    const target = this.#target();
    publish('route', {
      host: target.host,
      ...(target.port === undefined ? {} : { port: target.port }),
      via: route.via,
      ...(route.path === undefined ? {} : { path: route.path }),
      settled: route.settled,
      reason: route.reason,
    });
  }

  async #learn(generation: number): Promise<Decision> {
    const stay = (reason: string, retry = false): Decision => ({ route: { via: 'dial-stdio', reason: `auto: ${reason}`, settled: !retry }, ...(retry ? { retry } : {}) });
    let path = this.#socketPath;
    if (path === undefined) {
      let output: string;
      try {
        output = (await this.#run(generation, ENDPOINT_COMMAND)).trim();
      } catch (err) {
        const code = codeOf(err);
        if (code === 'ERR_REMOTE_DOCKER_MISSING') return stay('no docker CLI on the remote PATH to ask which daemon dial-stdio reaches');
        if (code === 'ERR_DAEMON_UNREACHABLE') return stay('`docker context inspect` failed on the remote side');
        return stay(`could not ask which daemon dial-stdio reaches (${code})`, true);
      }
      const unix = /^unix:\/\/(\/\S*)$/.exec(output);
      if (unix === null) {
        // Only the scheme is repeated: the rest is the remote side's text.
        const scheme = /^([a-z][a-z0-9+.-]{0,15}):\/\//i.exec(output)?.[1];
        return stay(scheme === undefined ? 'the remote docker endpoint is not a unix socket' : `the remote docker endpoint is ${scheme.toLowerCase()}://, not a unix socket`);
      }
      const found = unix[1] ?? '';
      if (!isSafeSocketPath(found)) return stay("the remote docker socket path has characters outside A-Za-z0-9._/-, '..', or is too long");
      path = found;
    }
    // Both at once: the daemon's ID over dial-stdio (the path every request has taken so far) and
    // over direct-streamlocal to the socket; only the same ID proves it is the same daemon.
    const [overDialStdio, overStreamLocal] = await Promise.allSettled([this.#daemonId(generation, undefined), this.#daemonId(generation, { streamLocalPath: path })]);
    if (overDialStdio.status === 'rejected') {
      return stay(`dial-stdio did not reach the daemon to compare with (${codeOf(overDialStdio.reason)})`, true);
    }
    if (overStreamLocal.status === 'rejected') {
      if (overStreamLocal.reason instanceof ChannelRefused) {
        return stay(`the SSH server refused direct-streamlocal to ${path}: AllowStreamLocalForwarding no or DisableForwarding yes in its sshd_config, or the user may not open the socket`);
      }
      return stay(`direct-streamlocal to ${path} did not answer /info (${codeOf(overStreamLocal.reason)})`, true);
    }
    if (overDialStdio.value !== overStreamLocal.value) return stay(`the daemon at ${path} is not the one dial-stdio reaches (its /info ID differs)`);
    this.#streamLocalWorked = true;
    return { route: { via: 'streamlocal', path, reason: `auto: ${path} is the daemon dial-stdio reaches (same /info ID)`, settled: true } };
  }

  /**
   * A channel for discovery, on a connection the requests already use (the pool never opens one for
   * a probe); closed at once if its discovery is over by the time it opens.
   */
  async #probe(generation: number, choice: ChannelChoice | undefined): Promise<DockerStream> {
    const stream = await this.#open(choice, true);
    if (generation !== this.#generation) {
      stream.destroy();
      throw new Error('discovery ended before the channel opened');
    }
    this.#probes.add(stream);
    stream.once('close', () => this.#probes.delete(stream));
    return stream;
  }

  /** The endpoint command's standard output (bounded); its failure is the stream's typed error. */
  async #run(generation: number, command: string): Promise<string> {
    const stream = await this.#probe(generation, { command });
    stream.end();
    return new Promise((resolve, reject) => {
      let out = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (out.length < MAX_ENDPOINT_BYTES) out += chunk;
      });
      stream.once('end', () => {
        stream.destroy();
        resolve(out.slice(0, MAX_ENDPOINT_BYTES));
      });
      stream.once('error', reject);
      stream.once('close', () => {
        reject(new Error('closed before the end of the output'));
      });
    });
  }

  /** `GET /info` over one fresh channel with Node's own HTTP client; the daemon's `ID`. */
  async #daemonId(generation: number, choice: ChannelChoice | undefined): Promise<string> {
    const stream = await this.#probe(generation, choice);
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = request(
          { path: '/info', host: 'docker', headers: { Host: 'docker', Connection: 'close' }, createConnection: () => stream },
          (res) => {
            const chunks: Buffer[] = [];
            let bytes = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              if (bytes > MAX_INFO_BYTES) {
                req.destroy(new Error('/info answer too large'));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () => {
              try {
                const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ID?: unknown }).ID;
                if (res.statusCode !== 200 || typeof id !== 'string' || id === '') throw new Error(`/info answered HTTP ${res.statusCode ?? 0} without an ID`);
                resolve(id);
              } catch (err) {
                reject(err instanceof Error ? err : new Error('/info answer is not JSON'));
              }
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    } finally {
      stream.destroy();
    }
  }
}
