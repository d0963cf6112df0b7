import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkConnector, checkMs, DEFAULT_CONNECT_TIMEOUT_MS, openStream } from './internal/connect.js';

/**
 * What undici passes to a connector; only its shape matters here, the target is always the daemon.
 *
 * @example
 * ```ts
 * const connector = createUndiciConnector(connect);
 * connector({ hostname: 'docker', protocol: 'http:', port: '' }, (err, socket) => {});
 * ```
 */
export interface UndiciConnectOptions {
  readonly hostname?: string;
  readonly host?: string;
  readonly protocol?: string;
  readonly port?: string;
}

/**
 * undici's connector callback: `(null, socket)` or `(error, null)`.
 *
 * @example
 * ```ts
 * const callback: UndiciConnectCallback = (...args) => {
 *   if (args[0] !== null) console.error(args[0].code);
 * };
 * ```
 */
export type UndiciConnectCallback = (...args: [null, Socket] | [Error, null]) => void;

/**
 * The function undici's `Agent({ connect })` and `Client({ connect })` accept.
 *
 * @example
 * ```ts
 * const connect: UndiciConnector = createUndiciConnector(() => transport.openStream());
 * new Agent({ connect });
 * ```
 */
export type UndiciConnector = (options: UndiciConnectOptions, callback: UndiciConnectCallback) => void;

/**
 * Options of {@link createUndiciConnector}.
 *
 * @example
 * ```ts
 * createUndiciConnector(connect, { connectTimeoutMs: 10_000 });
 * ```
 */
export interface UndiciConnectorOptions {
  /** The connector must open a stream within this long, else `ERR_HTTP_TIMEOUT`. Default 30 000 ms. */
  readonly connectTimeoutMs?: number | undefined;
}

/**
 * A connector for undici's `Agent({ connect })`: each undici connection is one stream from
 * `connect`. The callback is called exactly once. The stream is typed as a `net.Socket` because
 * undici's types say so; at run time any Duplex works (missing socket methods are filled in).
 * Use `http://docker` as the origin; only `http:` is meaningful, the daemon speaks plain HTTP on the stream.
 *
 * @example
 * ```ts
 * import { Agent, fetch } from 'undici';
 * import { createUndiciConnector } from '@ssh-docker/http';
 *
 * const dispatcher = new Agent({ connect: createUndiciConnector(() => transport.openStream()) });
 * const res = await fetch('http://docker/_ping', { dispatcher });
 * ```
 */
export function createUndiciConnector(connect: () => Promise<Duplex>, options: UndiciConnectorOptions = {}): UndiciConnector {
  checkConnector(connect);
  const timeoutMs = checkMs('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  return (_options, callback) => {
    openStream(connect, { timeoutMs }, (err, stream) => {
      if (err !== null) callback(err, null);
      else callback(null, stream as Socket);
    });
  };
}
