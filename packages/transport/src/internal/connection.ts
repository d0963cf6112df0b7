import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Algorithms, ClientChannel, ConnectConfig } from 'ssh2';
import { createHostKeyVerifier } from '@ssh-docker/hostkeys';
import type { HostKeyPolicy, HostKeyVerifier, KnownHosts } from '@ssh-docker/hostkeys';
import { scrubRemoteText } from '@ssh-docker/url';
import type { Secret } from '@ssh-docker/url';
import type { TransportError, TransportErrorTarget } from '../errors.js';
import { authHandler } from './credentials.js';
import type { AuthAttempt, Credentials } from './credentials.js';
import { publish } from './diagnostics.js';
import { connectFailure, handshakeClosed, handshakeFailure, isChannelRefusal, RemoteBytes, transportError, where } from './failures.js';
import { ProxyCommandStream, startProxyCommand } from './proxy-command.js';
import type { ProxyCommandSpec } from './proxy-command.js';
import { DockerStream } from './stream.js';

/** Everything one SSH connection needs; shared by all connections of a transport. */
export interface ConnectionSettings {
  readonly target: TransportErrorTarget & { readonly port: number; readonly user: string };
  readonly family?: 4 | 6;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
  readonly algorithms: Algorithms;
  readonly knownHosts: KnownHosts;
  readonly hostKeyPolicy: HostKeyPolicy;
  readonly hostKeyAlias?: string;
  readonly recordTo?: string;
  readonly credentials: Credentials;
  /** `exec` of this command, or a direct-streamlocal channel to `streamLocalPath`. */
  readonly command: string;
  readonly streamLocalPath?: string;
  /** Opens the byte stream to the server through a jump host, instead of TCP. */
  readonly via?: () => Promise<Duplex>;
  /** Reaches the server through a ProxyCommand's stdin/stdout instead of TCP (excludes `via`). */
  readonly proxyCommand?: ProxyCommandSpec;
}

/** What the connection learned while it connected, for `check()` and diagnostics. */
export interface ConnectReport {
  tcpMs: number;
  hostKeyMs: number;
  authMs: number;
  hostKey?: { keyType: string; fingerprint: string; outcome: string };
  authMethod?: string;
}

/** One stream's channel, over the settings' default: an exec of `command`, or direct-streamlocal to a socket. */
export type ChannelChoice = { readonly command: string } | { readonly streamLocalPath: string };

/** A channel open the server refused (MaxSessions reached, or streamlocal not allowed). */
export class ChannelRefused extends Error {
  override readonly name = 'ChannelRefused';
}

interface Ssh2Internals {
  _protocol?: { ping?: () => void };
  _callbacks?: ((...args: unknown[]) => void)[];
}

// ssh2 is CommonJS; its default export works from both the ESM and the CJS build.
const { Client } = ssh2;
type Client = InstanceType<typeof Client>;

let nextId = 1;

/** Who owns a connection: told once when it ends, and each time one of its channels is released. */
export interface ConnectionHooks {
  readonly onEnd: (connection: SshConnection, error: TransportError | undefined) => void;
  readonly onRelease: (connection: SshConnection) => void;
}

/**
 * One ssh2 connection: TCP (or a jump host's channel), the handshake with host-key verification,
 * authentication, keepalive, and channels. It reports its end once, through `onEnd`.
 */
export class SshConnection {
  readonly id = nextId++;
  readonly settings: ConnectionSettings;
  readonly report: ConnectReport = { tcpMs: 0, hostKeyMs: 0, authMs: 0 };
  readonly #streams = new Set<DockerStream>();
  #ready = false;
  #ended = false;
  #client: Client | undefined;
  #socket: Socket | undefined;
  #proxy: ProxyCommandStream | undefined;
  #refs = 0;
  #keepalive: NodeJS.Timeout | undefined;
  #lastData = Date.now();
  #unanswered = 0;
  #onEnd: ConnectionHooks['onEnd'];
  #onRelease: ConnectionHooks['onRelease'];
  /** The credentials this connection's handshake used (cleared once it is over; they keep a keyed digest). */
  #secrets: readonly Secret[] = [];

  /** A connection is used once: a failed connect is not retried on the same object (the pool makes a fresh one). */
  constructor(settings: ConnectionSettings, hooks: ConnectionHooks) {
    this.settings = settings;
    this.#onEnd = hooks.onEnd;
    this.#onRelease = hooks.onRelease;
  }

  /** The handshake completed (it stays true after the end: see `ended`). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Ended (closed, lost, or its connect failed); never open again. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Channels open on this connection now (opened and not yet released). */
  get openStreams(): number {
    return this.#streams.size;
  }

  /**
   * The passwords and passphrases this connection used (a direct Secret and what providers gave),
   * cleared since the handshake: pass them to `scrubRemoteText()` with anything the server sends
   * that enters an error or a report.
   */
  get secrets(): readonly Secret[] {
    return this.#secrets;
  }

  /** The streams open on this connection now (read-only view, for the pool's reclaim signal). */
  get streams(): ReadonlySet<DockerStream> {
    return this.#streams;
  }

  /** Hands a ready connection to a new owner (the pool taking over the one `check()` made). */
  rehome(hooks: ConnectionHooks): void {
    this.#onEnd = hooks.onEnd;
    this.#onRelease = hooks.onRelease;
  }

  /** Opens TCP, verifies the host key, authenticates. Settles exactly once. */
  async connect(): Promise<void> {
    const { target } = this.settings;
    const started = Date.now();
    publish('connect', { phase: 'start', connection: this.id, host: target.host, port: target.port, user: target.user });
    const sock = await this.#openSocket();
    this.report.tcpMs = Date.now() - started;
    const verifier = createHostKeyVerifier({
      knownHosts: this.settings.knownHosts,
      host: target.host,
      port: target.port,
      policy: this.settings.hostKeyPolicy,
      ...(this.settings.hostKeyAlias === undefined ? {} : { hostKeyAlias: this.settings.hostKeyAlias }),
      ...(this.settings.recordTo === undefined ? {} : { recordTo: this.settings.recordTo }),
    });
    // ssh2 takes the socket at once (no await in between), so its listeners see any reset from here on.
    try {
      await this.#handshake(sock, verifier, started);
    } catch (err) {
      this.#client?.removeAllListeners();
      this.#client?.on('error', () => undefined);
      this.#ended = true;
      // A ProxyCommand that ended by itself is the cause: its exit and stderr say why (and it is waited for).
      if (sock instanceof ProxyCommandStream && err instanceof Error) throw await sock.failure(err, this.#secrets);
      sock.destroy();
      throw err;
    }
    // From here the connection is authenticated: any failure must end it, or it stays ESTABLISHED.
    try {
      const decision = verifier.decision;
      if (decision?.outcome === 'new') {
        // accept-new: the server proved it holds the key; only now is it recorded.
        await this.#record(verifier);
      }
      if (decision !== undefined) {
        this.report.hostKey = { keyType: decision.result.presented.keyType, fingerprint: decision.result.presented.fingerprint, outcome: decision.outcome };
      }
      this.#ready = true;
      this.#startKeepalive();
      this.#applyRef();
    } catch (err) {
      this.#ready = false;
      this.#ended = true;
      this.#client?.removeAllListeners();
      this.#client?.on('error', () => undefined);
      this.#client?.end();
      sock.destroy();
      throw err;
    }
    publish('connect', {
      phase: 'ready',
      connection: this.id,
      host: target.host,
      port: target.port,
      user: target.user,
      ms: Date.now() - started,
      ...(this.report.hostKey === undefined ? {} : { fingerprint: this.report.hostKey.fingerprint }),
    });
  }

  /**
   * Writes the key accept-new accepted. As ssh(1) (sshconnect.c: "Failed to add the host to the list
   * of known hosts"), a file that cannot be written does not fail the connection: the key was
   * verified by the policy the caller chose, so the connection goes on, the key stays trusted for
   * this transport (a different key later is refused as changed), and a warning is published on
   * `ssh-docker:transport:warning` with code `WARN_KNOWN_HOSTS_NOT_RECORDED`.
   */
  async #record(verifier: HostKeyVerifier): Promise<void> {
    const { target } = this.settings;
    try {
      await verifier.recordAccepted();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const file = this.settings.recordTo ?? 'known_hosts';
      publish('warning', {
        code: 'WARN_KNOWN_HOSTS_NOT_RECORDED',
        host: target.host,
        port: target.port,
        file,
        message: `failed to add the host to the list of known hosts (${file}${typeof code === 'string' ? `: ${code}` : ''}); the connection goes on, but the key will be unknown again next time: make UserKnownHostsFile a writable file in a writable directory`,
      });
    }
  }

  async #openSocket(): Promise<Duplex> {
    const { target, connectTimeoutMs } = this.settings;
    if (this.settings.proxyCommand !== undefined) {
      // ssh_config ProxyCommand: the child's stdio is the connection (sshconnect.c ssh_proxy_connect()).
      const proxy = startProxyCommand(this.settings.proxyCommand, target);
      this.#proxy = proxy;
      proxy.on('error', () => undefined);
      publish('connect', { phase: 'proxy-command', connection: this.id, host: target.host, port: target.port, pid: proxy.pid ?? 0 });
      return proxy;
    }
    if (this.settings.via !== undefined) return this.settings.via();
    return new Promise<Socket>((resolve, reject) => {
      const socket = netConnect({ host: target.host, port: target.port, noDelay: true, ...(this.settings.family === undefined ? {} : { family: this.settings.family }) });
      this.#socket = socket;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(transportError('ERR_CONNECT_TIMEOUT', `SSH connection to ${where(target)} timed out after ${connectTimeoutMs} ms: check the address, the port and any firewall on the way`, target));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(connectFailure(err, target));
      });
    });
  }

  /**
   * Key exchange, host key check, then authentication. The credentials are prepared (keys read and
   * decrypted, providers asked) only when ssh2 first asks for an auth method: after the server has
   * proved it holds a trusted host key, as ssh asks for a passphrase only then. A refused, silent or
   * dropped server never makes a provider run or a key be decrypted. The password is asked for later
   * still, only if the server wants one after the keys.
   */
  #handshake(sock: Duplex, verifier: HostKeyVerifier, started: number): Promise<void> {
    const { target, connectTimeoutMs, credentials } = this.settings;
    const client = new Client();
    this.#client = client;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let authStarted = 0;
      let lastMethod: string | undefined;
      let attempt: AuthAttempt | undefined;
      let handler: ReturnType<typeof authHandler> | undefined;
      let preparing = false;
      const secrets = (): Secret[] => attempt?.secrets ?? [];
      const settle = (err: Error | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A server that saw the credentials (auth began) makes them spent; a network failure before does not.
        // Credentials still being prepared are finished by the preparation itself, as not reached.
        attempt?.finish(err === undefined ? 'authenticated' : authStarted > 0 ? 'rejected' : 'not-reached');
        if (err === undefined) resolve();
        else reject(err);
      };
      const expire = (): void => {
        settle(transportError('ERR_CONNECT_TIMEOUT', `SSH handshake with ${where(target)} did not complete within ${connectTimeoutMs} ms: the server may be overloaded (MaxStartups) or not an SSH server`, target));
        client.end();
        sock.destroy();
      };
      let timer = setTimeout(expire, connectTimeoutMs);

      client.on('handshake', () => {
        this.report.hostKeyMs = Date.now() - started - this.report.tcpMs;
        authStarted = Date.now();
      });
      client.on('ready', () => {
        this.report.authMs = Date.now() - authStarted;
        if (lastMethod !== undefined) this.report.authMethod = lastMethod;
        client.removeAllListeners('error');
        client.on('error', (err: Error) => {
          this.#end(transportError('ERR_CONNECTION_LOST', `SSH connection to ${where(target)} was lost; the next request reconnects`, target, err, secrets()));
        });
        client.on('close', () => {
          this.#end(transportError('ERR_CONNECTION_LOST', `SSH connection to ${where(target)} was closed; the next request reconnects`, target));
        });
        settle(undefined);
      });
      client.on('error', (err: Error & { level?: string }) => {
        const refusal = verifier.decision?.error;
        if (refusal !== undefined && verifier.decision?.accepted === false) {
          settle(refusal);
          return;
        }
        settle(handshakeFailure(err, { target, authStarted: authStarted > 0, described: attempt?.described ?? [], spent: attempt?.spent === true, secrets: secrets() }));
      });
      client.on('close', () => {
        settle(handshakeClosed(target));
      });

      /** A provider failed (or gave no Secret): the connect fails with its error, as a caller mistake. */
      const failAuth = (err: Error): void => {
        settle(err);
        client.end();
      };
      /** While a provider may be answering (a prompt, a vault), the handshake clock stops: its time is not the server's. */
      const asking = <T>(work: Promise<T>): Promise<T> => {
        clearTimeout(timer);
        return work.finally(() => {
          if (!settled) timer = setTimeout(expire, connectTimeoutMs);
        });
      };
      type Next = Parameters<ReturnType<typeof authHandler>>[2];
      const nextMethod = (methodsLeft: Parameters<ReturnType<typeof authHandler>>[0], partial: boolean | null, next: Next): void => {
        if (handler !== undefined) {
          handler(methodsLeft, partial, (method) => {
            if (method !== false) lastMethod = method.type;
            next(method);
          });
          return;
        }
        if (preparing) return;
        preparing = true;
        asking(credentials.prepare(target.user, () => settled)).then(
          (prepared) => {
            if (settled) {
              prepared.finish('not-reached');
              return;
            }
            attempt = prepared;
            // The same array: a password asked for later is added to it.
            this.#secrets = prepared.secrets;
            handler = authHandler(prepared.methods, { fail: failAuth, asking });
            nextMethod(methodsLeft, partial, next);
          },
          (err: unknown) => {
            failAuth(err instanceof Error ? err : new Error(String(err)));
          },
        );
      };
      const config: ConnectConfig = {
        sock: sock,
        username: target.user,
        hostVerifier: verifier.hostVerifier,
        algorithms: { ...this.settings.algorithms, serverHostKey: verifier.hostKeyAlgorithms as NonNullable<Algorithms['serverHostKey']> },
        // Our own timers (connect, handshake, keepalive) replace ssh2's, so that none keeps an idle process alive.
        readyTimeout: 0,
        keepaliveInterval: 0,
        agentForward: false,
        tryKeyboard: true,
        authHandler: nextMethod as unknown as NonNullable<ConnectConfig['authHandler']>,
      };
      client.connect(config);
    });
  }

  /**
   * Keepalive of our own, on an unref'd timer: when nothing arrived for an interval, ask the server
   * for an answer (OpenSSH's keepalive@openssh.com, as ssh's ServerAliveInterval); after
   * `keepaliveCountMax` unanswered intervals the connection is declared lost.
   */
  #startKeepalive(): void {
    const { keepaliveIntervalMs, keepaliveCountMax, target } = this.settings;
    if (keepaliveIntervalMs <= 0) return;
    const client = this.#client as (Client & Ssh2Internals) | undefined;
    const sock = this.#socket ?? (client as unknown as { _sock?: Duplex } | undefined)?._sock;
    sock?.on('data', () => {
      this.#lastData = Date.now();
      this.#unanswered = 0;
    });
    this.#keepalive = setInterval(() => {
      if (Date.now() - this.#lastData < keepaliveIntervalMs) return;
      this.#unanswered += 1;
      if (this.#unanswered > keepaliveCountMax) {
        const waited = keepaliveIntervalMs * keepaliveCountMax;
        this.#end(transportError('ERR_CONNECTION_LOST', `SSH server ${where(target)} did not answer ${keepaliveCountMax} keepalives (${waited} ms); the next request reconnects`, target));
        return;
      }
      if (client?._protocol?.ping !== undefined && client._callbacks !== undefined) {
        // ssh2 matches global-request replies to callbacks in order; queue one for ours.
        client._callbacks.push(() => undefined);
        client._protocol.ping();
      }
    }, keepaliveIntervalMs);
    this.#keepalive.unref();
  }

  /** Opens one channel: dial-stdio, or direct-streamlocal to the socket path (the settings', or `choice`'s). */
  openChannel(choice?: ChannelChoice): Promise<DockerStream> {
    const streamLocalPath = choice === undefined ? this.settings.streamLocalPath : 'streamLocalPath' in choice ? choice.streamLocalPath : undefined;
    const command = choice !== undefined && 'command' in choice ? choice.command : this.settings.command;
    const client = this.#client;
    const { target } = this.settings;
    if (client === undefined || this.#ended) {
      return Promise.reject(transportError('ERR_CONNECTION_LOST', `SSH connection to ${where(target)} is closed; the request can be retried`, target));
    }
    // A channel being opened keeps the process alive, as a connecting socket does.
    this.#refs += 1;
    this.#applyRef();
    return new Promise<DockerStream>((resolve, reject) => {
      const kind = streamLocalPath === undefined ? 'exec' : 'streamlocal';
      // A server that never answers the open must not hold the request forever: the connect timeout bounds it.
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        this.#refs -= 1;
        this.#applyRef();
        reject(transportError('ERR_REMOTE_TIMEOUT', `SSH server ${where(target)} did not open a channel within ${this.settings.connectTimeoutMs} ms: check its load and the sshd logs`, target));
      }, this.settings.connectTimeoutMs);
      const done = (err: Error | undefined, channel: ClientChannel | undefined): void => {
        clearTimeout(timer);
        if (expired) {
          channel?.close();
          return;
        }
        this.#refs -= 1;
        this.#applyRef();
        if (err !== undefined || channel === undefined) {
          if (isChannelRefusal(err)) {
            reject(new ChannelRefused(scrubRemoteText(err?.message ?? '', this.#secrets)));
            return;
          }
          reject(transportError('ERR_CONNECTION_LOST', `SSH channel to ${where(target)} could not be opened; the request can be retried`, target, err, this.#secrets));
          return;
        }
        if (this.#ended) {
          channel.close();
          reject(transportError('ERR_CONNECTION_LOST', `SSH connection to ${where(target)} was lost; the request can be retried`, target));
          return;
        }
        const stream = new DockerStream({
          channel,
          kind,
          target,
          secrets: () => this.#secrets,
          host: {
            released: () => {
              this.#streams.delete(stream);
              publish('stream', { phase: 'close', connection: this.id, host: target.host, port: target.port });
              this.#onRelease(this);
            },
            setRef: (ref) => {
              this.#refs += ref ? 1 : -1;
              this.#applyRef();
            },
          },
        });
        this.#streams.add(stream);
        publish('stream', { phase: 'open', connection: this.id, host: target.host, port: target.port, kind });
        resolve(stream);
      };
      try {
        if (streamLocalPath !== undefined) {
          client.openssh_forwardOutStreamLocal(streamLocalPath, (err, channel) => {
            done(err, channel);
          });
        } else {
          // No env, no pty, no agent forwarding: nothing from this process reaches the remote side.
          client.exec(command, (err, channel) => {
            done(err, channel);
          });
        }
      } catch (err) {
        done(err instanceof Error ? err : new Error('channel open failed'), undefined);
      }
    });
  }

  /** Runs a fixed command from our own code (never user input) and collects a bounded part of its output. For `check()`. */
  exec(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const client = this.#client;
    const { target } = this.settings;
    if (client === undefined || this.#ended) {
      return Promise.reject(transportError('ERR_CONNECTION_LOST', `SSH connection to ${where(target)} is closed`, target));
    }
    // Like a channel being opened, a running command keeps the process alive until it ends.
    this.#refs += 1;
    this.#applyRef();
    const unref = (): void => {
      this.#refs -= 1;
      this.#applyRef();
    };
    return new Promise((resolve, reject) => {
      client.exec(command, (err, channel) => {
        if (err !== undefined) {
          unref();
          reject(transportError('ERR_CHANNEL_REFUSED', `SSH server ${where(target)} refused to run a command: check MaxSessions in its sshd_config`, target, err, this.#secrets));
          return;
        }
        // Bounded, whole lines only: see RemoteBytes. The caller scrubs what it shows of them.
        const stdout = new RemoteBytes(8192);
        const stderr = new RemoteBytes(8192);
        let code: number | null = null;
        channel.on('data', (chunk: Buffer) => {
          stdout.push(chunk);
        });
        channel.stderr.on('data', (chunk: Buffer) => {
          stderr.push(chunk);
        });
        channel.on('exit', (exitCode: number | null) => {
          code = exitCode;
        });
        channel.on('close', () => {
          unref();
          resolve({ code, stdout: stdout.text(), stderr: stderr.text() });
        });
        channel.end();
      });
    });
  }

  /** A TCP forward to `host:port` through this connection (a ProxyJump hop), as a Duplex. */
  forwardOut(host: string, port: number): Promise<Duplex> {
    const client = this.#client;
    const { target } = this.settings;
    if (client === undefined || this.#ended) {
      return Promise.reject(transportError('ERR_CONNECTION_LOST', `jump host ${where(target)} is not connected; the request can be retried`, target));
    }
    return new Promise<Duplex>((resolve, reject) => {
      // A hop that never answers the channel open must not hold the connect forever (the target's
      // TCP timer does not cover a forward): the hop's connect timeout bounds it.
      let expired = false;
      const timer = setTimeout(() => {
        expired = true;
        reject(transportError('ERR_CONNECT_TIMEOUT', `jump host ${where(target)} did not open a forward to ${host}:${port} within ${this.settings.connectTimeoutMs} ms: check that it can reach that address and its sshd logs`, target));
      }, this.settings.connectTimeoutMs);
      client.forwardOut('127.0.0.1', 0, host, port, (err, channel) => {
        clearTimeout(timer);
        if (expired) {
          channel?.close();
          return;
        }
        if (err !== undefined) {
          reject(transportError('ERR_CHANNEL_REFUSED', `jump host ${where(target)} refused to forward to ${host}:${port}: check AllowTcpForwarding in its sshd_config`, target, err, this.#secrets));
          return;
        }
        this.#refs += 1;
        this.#applyRef();
        channel.once('close', () => {
          this.#refs -= 1;
          this.#applyRef();
        });
        resolve(channel);
      });
    });
  }

  /** A connection with no ref'd stream does not keep the process alive. */
  #applyRef(): void {
    const sock = this.#socket ?? this.#proxy;
    if (sock === undefined) return;
    if (this.#refs > 0 || !this.#ready) sock.ref();
    else sock.unref();
  }

  /** Ends the connection: every stream still open fails with `error`. */
  #end(error: TransportError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    // Every open stream ends with the loss as its error (a stream never throws it uncaught).
    for (const stream of this.#streams) stream.destroy(error);
    this.#streams.clear();
    const client = this.#client;
    if (client !== undefined) {
      client.removeAllListeners('close');
      client.on('error', () => undefined);
      client.end();
      this.#socket?.destroy();
    }
    // The ProxyCommand's child is ended with the connection (and waited for: see ProxyCommandStream).
    this.#proxy?.destroy();
    if (error !== undefined) publish('error', { connection: this.id, code: error.code, host: this.settings.target.host, port: this.settings.target.port });
    this.#onEnd(this, error);
  }

  /** Closes the connection; open streams end with `error` (none: they just end). */
  close(error?: TransportError): void {
    this.#end(error);
  }
}
